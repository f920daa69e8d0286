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
        // The schemas say `additionalProperties: false`: a misspelt argument ("due_date" for "due") is refused, not
        // ignored while the tool reports success.
        if let unknown = Self.unknownArgument(in: arguments, schema: inputSchema) {
            let owner = unknown.path.contains(".") ? String(unknown.path.split(separator: ".").dropLast().joined(separator: ".")) : name
            let known = unknown.known.isEmpty ? "no arguments" : unknown.known.joined(separator: ", ")
            let key = String(unknown.path.split(separator: ".").last ?? "")
            let guess = JSONFields.closest(to: key, among: unknown.known).map { "did you mean \($0)? " } ?? ""
            throw ToolError("Unknown argument \(unknown.path): \(guess)\(owner) takes \(known).")
        }
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

    /// Other names the tools take for an argument: `due_at`, as list_tasks names the due date, for `due`.
    static let aliases = ["due_at": "due"]

    /// The first argument that `schema` does not name, with the names it does, looking into objects whose schema
    /// lists properties; nil when every argument is known.
    static func unknownArgument(
        in arguments: [String: JSONValue],
        schema: JSONValue,
        path: String = ""
    ) -> (path: String, known: [String])? {
        guard let properties = schema.objectValue?["properties"]?.objectValue else { return nil }
        for (key, value) in arguments.sorted(by: { $0.key < $1.key }) {
            guard let property = properties[key] ?? aliases[key].flatMap({ properties[$0] }) else { return (path + key, properties.keys.sorted()) }
            if let object = value.objectValue, let unknown = unknownArgument(in: object, schema: property, path: path + key + ".") {
                return unknown
            }
        }
        return nil
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
