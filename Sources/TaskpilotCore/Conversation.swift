public import Foundation

/// A chat with the assistant.
public struct Conversation: Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var title: String
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a conversation value.
    public init(id: UUID, userID: UUID, title: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.userID = userID
        self.title = title
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Who wrote a chat message.
public enum ChatRole: String, Sendable, Codable {
    case user, assistant, tool
}

/// One message of a conversation, with the tool calls it made and the assistant's working state.
public struct ChatMessage: Sendable, Equatable {
    public var id: Int64
    public var conversationID: UUID
    public var role: ChatRole
    public var content: String
    /// `[{name, arguments, result}]` for assistant messages that used tools.
    public var toolCalls: JSONValue?
    /// What the assistant needs to remember for the next turn (the task in focus, a pending confirmation).
    public var state: JSONValue?
    public var createdAt: Date

    /// Creates a message value.
    public init(
        id: Int64,
        conversationID: UUID,
        role: ChatRole,
        content: String,
        toolCalls: JSONValue?,
        state: JSONValue?,
        createdAt: Date
    ) {
        self.id = id
        self.conversationID = conversationID
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.state = state
        self.createdAt = createdAt
    }
}

/// Storage of conversations; every method is scoped to one user.
public protocol ConversationRepository: Sendable {
    /// Starts a conversation.
    func create(userID: UUID, title: String, now: Date) async throws -> Conversation
    /// The user's conversation; throws `notFound` for another user's.
    func conversation(id: UUID, userID: UUID) async throws -> Conversation
    /// The user's conversations, most recently active first.
    func list(userID: UUID, limit: Int) async throws -> [Conversation]
    /// The last `limit` messages of the user's conversation, oldest first.
    func messages(conversationID: UUID, userID: UUID, limit: Int) async throws -> [ChatMessage]
    /// Appends a message and marks the conversation active.
    func append(
        conversationID: UUID,
        userID: UUID,
        role: ChatRole,
        content: String,
        toolCalls: JSONValue?,
        state: JSONValue?,
        now: Date
    ) async throws -> ChatMessage
    /// Deletes the user's conversation and its messages.
    func delete(id: UUID, userID: UUID) async throws
}

extension JSONValue {
    /// The value of a key of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The text of a string value.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The whole number of a numeric value, or of a string holding digits.
    public var int64Value: Int64? {
        switch self {
        case .number(let number) where number.rounded() == number && abs(number) < 9e15: Int64(number)
        case .string(let text): Int64(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// The items of an array value.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The fields of an object value.
    public var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    /// Parses JSON text of any kind; nil when the text is not exactly one JSON value.
    public static func parse(_ text: String) -> JSONValue? {
        JSONParser.parse(text)
    }

    /// Any Encodable value as JSON.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }
}
