import Foundation
import Hummingbird
import NIOCore
import TaskpilotCore

extension Request {
    /// Reads the body as a JSON object, refusing bodies over `limit` bytes.
    func jsonObject(limit: Int) async throws -> [String: JSONValue] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw TaskpilotError.payloadTooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw TaskpilotError.payloadTooLarge(limit: limit)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TaskpilotError.invalidJSON(Self.cutShort)
        }
        return try JSONValue.parseObject(Data(buffer.readableBytesView))
    }

    /// Why a body that stopped arriving (fewer bytes than its Content-Length, a broken chunk) is refused: a client's
    /// fault, answered 400 and not logged as the server's.
    static let cutShort = "the request body ended before all of it arrived (fewer bytes than Content-Length, or a broken chunk); send it again whole"

    /// The query parameters as a dictionary (the last value of a repeated name wins); pairs without a name
    /// (`?&limit=1`, `?a=1&&b=2`) are left out.
    var queryParameters: [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in uri.queryParameters where !key.isEmpty { parameters[String(key)] = String(value) }
        return parameters
    }

    /// The query parameters of a listing: a name given twice is refused, as one value would silently win
    /// (`?priority=high&priority=urgent`; lists are one value, comma-separated).
    func listParameters() throws -> [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in uri.queryParameters where !key.isEmpty {
            guard parameters.updateValue(String(value), forKey: String(key)) == nil else {
                let list = TaskFilter.listNames.contains(String(key)) ? " (a list is comma-separated: \(key)=a,b)" : ""
                throw TaskpilotError.invalidParameter(field: String(key), message: "is given more than once; give it once" + list)
            }
        }
        return parameters
    }
}

extension Parameters {
    /// A path parameter that must be a positive 64-bit integer id.
    func taskID(_ name: String = "id") throws -> Int64 {
        guard let text = get(name), let id = Int64(text), id > 0 else {
            throw TaskpilotError.invalidParameter(field: name, message: "must be a positive whole number")
        }
        return id
    }

    /// A path parameter that must be a UUID.
    func uuid(_ name: String) throws -> UUID {
        guard let text = get(name), let id = UUID(uuidString: text) else {
            throw TaskpilotError.invalidParameter(field: name, message: "must be a UUID")
        }
        return id
    }
}
