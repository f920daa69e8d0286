public import Foundation
public import TaskpilotCore

/// The result of one chat message.
public struct ChatExchange: Sendable {
    public let conversationID: UUID
    public let response: String
    public let toolCalls: [ToolCallRecord]
}

/// Runs a chat turn: stores the user's message, answers it (language model or offline interpreter, same tools),
/// stores the answer with its tool calls. Holds no state of its own: a restart between two messages changes nothing.
public struct ChatService: Sendable {
    let conversations: any ConversationRepository
    let tasks: any TaskRepository
    let agent: LLMAgent?
    let interpreter = OfflineInterpreter()

    /// The longest accepted message.
    public static let maxMessageLength = 4000

    /// A service; without an agent the offline interpreter answers.
    public init(conversations: any ConversationRepository, tasks: any TaskRepository, agent: LLMAgent?) {
        self.conversations = conversations
        self.tasks = tasks
        self.agent = agent
    }

    /// Whether a language model answers.
    public var usesLanguageModel: Bool { agent != nil }

    /// Answers a message in a new or existing conversation of the user.
    public func send(_ message: String, conversationID: UUID?, user: User, source: ChangeSource, now: Date = Date()) async throws -> ChatExchange {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw TaskpilotError.invalid("message", "must not be empty") }
        guard text.count <= Self.maxMessageLength else {
            throw TaskpilotError.invalid("message", "must be at most \(Self.maxMessageLength) characters")
        }
        let conversation: Conversation
        if let conversationID {
            conversation = try await conversations.conversation(id: conversationID, userID: user.id)
        } else {
            let title = text.count > 60 ? String(text.prefix(57)) + "…" : text
            conversation = try await conversations.create(userID: user.id, title: title, now: now)
        }
        let history = try await conversations.messages(conversationID: conversation.id, userID: user.id, limit: 30)
        _ = try await conversations.append(
            conversationID: conversation.id,
            userID: user.id,
            role: .user,
            content: text,
            toolCalls: nil,
            state: nil,
            now: now
        )
        let context = ToolContext(user: user, tasks: tasks, now: now, source: source)
        let reply =
            if let agent {
                await agent.respond(to: text, history: history, context: context)
            } else {
                await interpreter.respond(to: text, history: history, context: context)
            }
        _ = try await conversations.append(
            conversationID: conversation.id,
            userID: user.id,
            role: .assistant,
            content: reply.text,
            toolCalls: reply.toolCalls.isEmpty ? nil : .array(reply.toolCalls.map(\.json)),
            state: reply.state,
            now: Date()
        )
        return ChatExchange(conversationID: conversation.id, response: reply.text, toolCalls: reply.toolCalls)
    }
}
