public import Foundation
public import TaskpilotCore

/// Everything a tool may use: the user comes from the credentials, never from the arguments.
public struct ToolContext: Sendable {
    public let user: User
    public let tasks: any TaskRepository
    public let now: Date
    public let source: ChangeSource

    /// A context for one call.
    public init(user: User, tasks: any TaskRepository, now: Date = Date(), source: ChangeSource) {
        self.user = user
        self.tasks = tasks
        self.now = now
        self.source = source
    }
}

/// A tool failed in a way the caller (a person, a model or an agent) can fix; the message says how.
public struct ToolError: Error, Sendable, Equatable {
    /// What went wrong and what to do.
    public let message: String

    /// A tool error.
    public init(_ message: String) { self.message = message }
}

/// One tool of the assistant, shared by the chat agent and the MCP server.
public struct AssistantTool: Sendable {
    public let name: String
    public let description: String
    /// JSON Schema of the arguments object.
    public let inputSchema: JSONValue
    /// Whether the tool only reads.
    public let readOnly: Bool
    /// Whether the tool can destroy data.
    public let destructive: Bool
    let run: @Sendable ([String: JSONValue], ToolContext) async throws -> JSONValue

    /// Runs the tool; every failure becomes a `ToolError` with a message fit to show.
    public func call(_ arguments: [String: JSONValue], context: ToolContext) async throws(ToolError) -> JSONValue {
        do {
            return try await run(arguments, context)
        } catch let error as ToolError {
            throw error
        } catch let error as TaskpilotError {
            throw ToolError(Self.message(error))
        } catch {
            throw ToolError("The tool failed: \(error)")
        }
    }

    static func message(_ error: TaskpilotError) -> String {
        switch error {
        case .validationFailed(let errors): "Invalid arguments: " + errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
        case .invalidParameter(let field, let message): "Invalid argument \(field): \(message)"
        case .notFound(let message): message + " List the tasks to find the right id."
        default: error.errorDescription ?? "\(error)"
        }
    }
}

/// The record of one tool call, stored with the conversation and shown to the user.
public struct ToolCallRecord: Sendable, Equatable {
    public var name: String
    public var arguments: JSONValue
    public var result: JSONValue

    /// A record.
    public init(name: String, arguments: JSONValue, result: JSONValue) {
        self.name = name
        self.arguments = arguments
        self.result = result
    }

    /// `{"name", "arguments", "result"}`.
    public var json: JSONValue { .object(["name": .string(name), "arguments": arguments, "result": result]) }
}
