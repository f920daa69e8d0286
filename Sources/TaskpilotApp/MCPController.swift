import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore
import TaskpilotAssistant
import TaskpilotCore

/// MCP over Streamable HTTP at `/mcp`, stateless: every POST is answered by a fresh MCP server bound to the caller,
/// so any replica can take any request and the user always comes from the credentials.
struct MCPController: Sendable {
    let tasks: any TaskRepository
    let maxBodyBytes: Int

    static let instructions = """
        Taskpilot manages the user's tasks. Use list_tasks to find task ids before changing a task. Dates without an offset are \
        read in the user's time zone. bulk_tasks deletes of more than \(TaskTools.confirmationThreshold) tasks need confirm: true.
        """

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post(use: handle)
        group.get { _, _ in Self.methodNotAllowed() }
        group.delete { _, _ in Self.methodNotAllowed() }
    }

    static func methodNotAllowed() -> Response {
        var response = ErrorMiddleware<AppRequestContext>.response(
            status: .methodNotAllowed,
            code: "method_not_allowed",
            message: "This MCP endpoint is stateless: send JSON-RPC with POST.",
            details: nil
        )
        response.headers[.allow] = "POST"
        return response
    }

    func handle(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            // The id is unknown: the request was not read.
            return Self.rpcError(
                id: nil,
                code: -32600,
                message: "Invalid Request: the body is over \(maxBodyBytes) bytes; send less at once",
                status: .contentTooLarge
            )
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return Self.rpcError(id: nil, code: -32700, message: "Parse error: " + Request.cutShort, status: .badRequest)
        }
        if let refusal = Self.invalidToolCall(Data(buffer.readableBytesView)) { return refusal }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                JSONAcceptValidator(), ContentTypeValidator(), ProtocolVersionValidator(),
            ]),
            logger: context.logger
        )
        let server = Server(
            name: "taskpilot",
            version: "1.0.0",
            title: "Taskpilot",
            instructions: Self.instructions,
            capabilities: .init(tools: .init(listChanged: false))
        )
        let user = context.user
        let tasks = self.tasks
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: TaskTools.all.map(Self.tool))
        }
        await server.withMethodHandler(CallTool.self) { parameters in
            guard let tool = TaskTools.named(parameters.name) else {
                return CallTool.Result(content: [.text(text: "Unknown tool '\(parameters.name)'.", annotations: nil, _meta: nil)], isError: true)
            }
            let arguments = try Self.json(parameters.arguments ?? [:])
            let result: JSONValue
            do {
                result = try await tool.call(arguments, context: ToolContext(user: user, tasks: tasks, source: .mcp))
            } catch {
                return CallTool.Result(
                    content: [.text(text: (error as? ToolError)?.message ?? "\(error)", annotations: nil, _meta: nil)],
                    isError: true
                )
            }
            // Structured content must be an object; list results are wrapped.
            let structured = try Self.value(result.objectValue == nil ? ["result": result] : result)
            return try CallTool.Result(content: [.text(text: result.jsonText, annotations: nil, _meta: nil)], structuredContent: structured)
        }
        try await server.start(transport: transport)
        let answer = await transport.handleRequest(
            MCP.HTTPRequest(method: "POST", headers: headers, body: Data(buffer.readableBytesView), path: "/mcp")
        )
        await server.stop()
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        let body = answer.bodyData.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        return Response(status: .init(code: answer.statusCode), headers: fields, body: .init(byteBuffer: body))
    }

    /// The JSON-RPC error for a `tools/call` whose parameters have the wrong shape (a name that is not a string,
    /// arguments that are not an object): -32602 invalid params naming the problem. The SDK would answer -32603, an
    /// internal error, which tells the caller nothing it can fix.
    static func invalidToolCall(_ body: Data) -> Response? {
        guard let message = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            message["method"] as? String == "tools/call"
        else { return nil }
        let problem: String
        switch message["params"] {
        case let params as [String: Any]:
            if !(params["name"] is String) {
                problem = "params.name must be the name of a tool (a string); tools/list gives them"
            } else if let arguments = params["arguments"], !(arguments is [String: Any]) && !(arguments is NSNull) {
                problem = "params.arguments must be an object of the tool's arguments, as its inputSchema describes"
            } else {
                return nil
            }
        default:
            problem = "params must be an object with the tool's name and its arguments"
        }
        return rpcError(id: message["id"], code: -32602, message: "Invalid params: \(problem)")
    }

    /// A JSON-RPC error answer, as MCP clients read them.
    static func rpcError(id: Any?, code: Int, message: String, status: HTTPResponse.Status = .ok) -> Response {
        let answer: [String: Any] = ["jsonrpc": "2.0", "id": id ?? NSNull(), "error": ["code": code, "message": message]]
        let body = (try? JSONSerialization.data(withJSONObject: answer)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func tool(_ tool: AssistantTool) -> Tool {
        Tool(
            name: tool.name,
            description: tool.description,
            inputSchema: (try? value(tool.inputSchema)) ?? .object([:]),
            annotations: .init(readOnlyHint: tool.readOnly, destructiveHint: tool.destructive, idempotentHint: nil, openWorldHint: false)
        )
    }

    static func value(_ json: JSONValue) throws -> Value {
        try JSONDecoder().decode(Value.self, from: try JSONEncoder().encode(json))
    }

    static func json(_ arguments: [String: Value]) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: try JSONEncoder().encode(arguments))
    }
}

/// The SDK's Accept check as HTTP reads the header: a POST whose `Accept` admits JSON (`application/json`,
/// `application/*`, `*/*`, unless refused with `q=0`), or that sends none, may have its JSON answer. The SDK's own
/// check asks for the literal `application/json`, so a client sending `*/*` (most HTTP libraries do by default) got `406`.
struct JSONAcceptValidator: HTTPRequestValidator {
    func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
        guard context.httpMethod == "POST", let accept = request.header(HTTPHeaderName.accept) else { return nil }
        guard !Self.admitsJSON(accept) else { return nil }
        return .error(statusCode: 406, .invalidRequest("Not Acceptable: Client must accept application/json"), sessionID: context.sessionID)
    }

    /// Whether an `Accept` header admits `application/json`: the most specific range that covers it has a weight
    /// above 0 (`application/json;q=0, */*` refuses it).
    static func admitsJSON(_ accept: String) -> Bool {
        let covering = ["*/*", "application/*", "application/json"]
        var best: (specificity: Int, weight: Double)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first, let specificity = covering.firstIndex(of: type) else { continue }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if best.map({ specificity > $0.specificity }) ?? true { best = (specificity, weight) }
        }
        return (best?.weight ?? 0) > 0
    }
}
