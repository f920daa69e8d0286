public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
public import TaskpilotCore

/// A failed call, with a message that says what to do next.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The HTTP status, when the server answered.
    public let status: Int?

    init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }
}

/// The HTTP API as the CLI uses it: JSON in, JSON out, errors turned into sentences.
public struct TaskpilotHTTPClient: Sendable {
    /// Why a connection failed, in a few words ("connection refused"), not NIO's description of it.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        let lower = text.lowercased()
        if lower.contains("connection refused") { return "connection refused" }
        if lower.contains("timed out") || lower.contains("timeout") { return "no answer in time" }
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("handshake") {
            return "the secure connection failed: check http:// or https:// in the address"
        }
        if lower.contains("resolve") || lower.contains("nodename") || lower.contains("name or service") || lower.contains("lookup") {
            return "the host name did not resolve"
        }
        if lower.contains("connection reset") { return "the connection was reset" }
        return text
    }

    public let configuration: ClientConfiguration
    let client: HTTPClient

    /// A client of the configured server.
    public init(configuration: ClientConfiguration, client: HTTPClient = MCPStdioBridge.httpClient) {
        self.configuration = configuration
        self.client = client
    }

    /// Calls the API; `body` is sent as JSON. Throws `ClientError` with the server's message on a non-2xx status.
    @discardableResult
    public func call(
        _ method: String,
        _ path: String,
        body: JSONValue? = nil,
        token: String? = nil,
        authenticated: Bool = true
    ) async throws(ClientError)
        -> JSONValue
    {
        let server = configuration.serverURL.lowercased()
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ClientError("'\(configuration.serverURL)' is not a server URL: write it with http:// or https://, e.g. http://127.0.0.1:8080")
        }
        var request = HTTPClientRequest(url: configuration.serverURL + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        if let language = Self.acceptLanguage() { request.headers.add(name: "Accept-Language", value: language) }
        if authenticated {
            guard let bearer = token ?? configuration.token else {
                let stored = ClientConfiguration.storeURL().path
                // A file that reads as a login without a token is one `logout` left: simply not logged in.
                let readable = FileManager.default.contents(atPath: stored).flatMap { try? JSONDecoder().decode(ClientConfiguration.self, from: $0) }
                if FileManager.default.fileExists(atPath: stored), readable == nil {
                    throw ClientError("\(stored) cannot be read as a stored login: run `taskpilot login` again (it rewrites the file)")
                }
                throw ClientError("not logged in: run `taskpilot login`, or set TASKPILOT_TOKEN to a personal API token")
            }
            request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        }
        let status: Int
        let text: String
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            status = Int(response.status.code)
            text = String(buffer: try await response.body.collect(upTo: 32 * 1024 * 1024))
        } catch {
            throw ClientError("cannot reach the server at \(configuration.serverURL): is `taskpilot serve` running there? (\(Self.reason(error)))")
        }
        let json = text.isEmpty ? JSONValue.null : (JSONValue.parse(text) ?? .string(text))
        guard (200..<300).contains(status) else {
            // A server that answers without Taskpilot's error body is most likely another program on that address.
            let message =
                json["error"]?["message"]?.stringValue
                ?? "HTTP \(status) from \(configuration.serverURL)\(path), without Taskpilot's error body: is TASKPILOT_SERVER_URL (or --server) a Taskpilot server?"
            let details = (json["error"]?["details"]?.arrayValue ?? []).compactMap { detail -> String? in
                guard let field = detail["field"]?.stringValue, let text = detail["message"]?.stringValue else { return nil }
                return "\(field): \(text)"
            }
            var sentence = message
            // Only a call made with stored credentials is fixed by logging in again; `login` words its own advice.
            if status == 401 && authenticated && token == nil { sentence += " — run `taskpilot login` (or check TASKPILOT_TOKEN)" }
            if status == 404 && path.hasPrefix("/api/v1/tasks/") { sentence += " `taskpilot list --status all` shows your tasks' ids." }
            if details.count > 1 { sentence += " (" + details.joined(separator: "; ") + ")" }
            throw ClientError(sentence, status: status)
        }
        return json
    }

    /// The terminal's language as an `Accept-Language` value ("en_US.UTF-8" → "en-US"), from `LC_ALL`, `LC_TIME` or
    /// `LANG` as the C library reads them, so the assistant writes dates and times as the user's locale does ("Tue, Dec
    /// 8, 5:00 PM" for en-US); nil for the C/POSIX locale.
    public static func acceptLanguage(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let value = ["LC_ALL", "LC_TIME", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        let tag = value.prefix { $0 != "." && $0 != "@" }.replacingOccurrences(of: "_", with: "-")
        guard !tag.isEmpty, tag != "C", tag != "POSIX", tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else { return nil }
        return tag
    }

    /// Percent-encodes a query value.
    public static func query(_ parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? value
            return "\(name)=\(encoded)"
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}

extension CharacterSet {
    static let urlQueryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+?#")
        return set
    }()
}
