public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `taskpilot mcp`: MCP over stdio for local agents, relayed to the server's `/mcp` endpoint, so the tools, their
/// checks and the user (from the token) are the server's.
public struct MCPStdioBridge: Sendable {
    let configuration: ClientConfiguration
    let client: HTTPClient

    /// A client that reports an unreachable server at once instead of retrying until the deadline.
    public static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A bridge to the configured server.
    public init(configuration: ClientConfiguration, client: HTTPClient = MCPStdioBridge.httpClient) {
        self.configuration = configuration
        self.client = client
    }

    /// Relays newline-delimited JSON-RPC from standard input until it closes; diagnostics go to standard error.
    public func run() async throws {
        let output = FileHandle.standardOutput
        while let line = readLine(strippingNewline: true) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if let reply = await relay(trimmed) {
                output.write(Data((reply + "\n").utf8))
            }
        }
    }

    /// Sends one message; returns the line to write back, or nil for notifications.
    func relay(_ message: String) async -> String? {
        // A line that is no JSON gets JSON-RPC's parse error here, whether or not the server can be reached.
        guard (try? JSONSerialization.jsonObject(with: Data(message.utf8), options: [.fragmentsAllowed])) != nil else {
            return #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: each line must be one JSON-RPC message."}}"#
        }
        var request = HTTPClientRequest(url: configuration.serverURL + "/mcp")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        request.headers.add(name: "MCP-Protocol-Version", value: "2025-06-18")
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: message))
        let id = Self.requestID(message)
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
            if response.status.code == 202 || body.isEmpty { return nil }
            if response.status.code == 401 {
                return Self.error(id: id, code: -32001, message: "Unauthorized: set TASKPILOT_TOKEN (a personal API token) or run `taskpilot login`.")
            }
            guard (200..<300).contains(response.status.code) || body.hasPrefix("{") else {
                return Self.error(id: id, code: -32603, message: "The server answered HTTP \(response.status.code).")
            }
            return body.split(separator: "\n").joined()
        } catch {
            FileHandle.standardError.write(Data("taskpilot mcp: cannot reach \(configuration.serverURL): \(error)\n".utf8))
            return id == nil ? nil : Self.error(id: id, code: -32603, message: "Cannot reach the Taskpilot server at \(configuration.serverURL).")
        }
    }

    /// The JSON-RPC id of a message, as raw JSON text.
    static func requestID(_ message: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any], let id = object["id"] else { return nil }
        if let text = id as? String { return "\"\(text)\"" }
        if let number = id as? NSNumber { return number.stringValue }
        return nil
    }

    static func error(id: String?, code: Int, message: String) -> String? {
        guard let id else { return nil }
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":\#(code),"message":"\#(escaped)"}}"#
    }
}
