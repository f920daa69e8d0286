// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import Hummingbird
import TaskpilotAssistant
import TaskpilotCore

/// `/chat` and `/conversations`: talking to the assistant, and the stored conversations.
struct ChatController: Sendable {
    let chat: ChatService
    let conversations: any ConversationRepository
    let limiter: ChatRateLimiter
    let maxBodyBytes: Int

    struct ToolCallDTO: Encodable, Sendable {
        let name: String
        let arguments: JSONValue
        let result: JSONValue
    }

    struct ReplyDTO: ResponseEncodable, Sendable {
        let conversation_id: String
        let response: String
        let tool_calls: [ToolCallDTO]
    }

    struct ConversationDTO: ResponseEncodable, Sendable {
        let id: String
        let title: String
        let created_at: String
        let updated_at: String

        init(_ conversation: Conversation) {
            id = conversation.id.uuidString.lowercased()
            title = conversation.title
            created_at = Timestamp.format(conversation.createdAt)
            updated_at = Timestamp.format(conversation.updatedAt)
        }
    }

    struct MessageDTO: Encodable, Sendable {
        let id: Int64
        let role: String
        let content: String
        let tool_calls: JSONValue
        let created_at: String
    }

    struct ConversationDetailDTO: ResponseEncodable, Sendable {
        let id: String
        let title: String
        let created_at: String
        let updated_at: String
        let messages: [MessageDTO]
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("chat", use: send)
        group.get("conversations") { _, context in
            ListDTO(try await conversations.list(userID: context.user.id, limit: 100).map(ConversationDTO.init))
        }
        group.get("conversations/:id") { _, context in
            let conversation = try await conversations.conversation(id: try context.parameters.uuid("id"), userID: context.user.id)
            let messages = try await conversations.messages(conversationID: conversation.id, userID: context.user.id, limit: 500)
            return ConversationDetailDTO(
                id: conversation.id.uuidString.lowercased(),
                title: conversation.title,
                created_at: Timestamp.format(conversation.createdAt),
                updated_at: Timestamp.format(conversation.updatedAt),
                messages: messages.map {
                    MessageDTO(
                        id: $0.id,
                        role: $0.role.rawValue,
                        content: $0.content,
                        tool_calls: $0.toolCalls ?? .array([]),
                        created_at: Timestamp.format($0.createdAt)
                    )
                }
            )
        }
        group.delete("conversations/:id") { _, context in
            try await conversations.delete(id: try context.parameters.uuid("id"), userID: context.user.id)
            return Response(status: .noContent)
        }
    }

    /// `POST /api/{user_id}/chat` of the Phase III contract.
    func addCompatibilityRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post(":user_id/chat") { request, context in
            try CompatibilityController.checkOwner(context)
            return try await send(request, context: context)
        }
    }

    func send(_ request: Request, context: AuthenticatedContext) async throws -> ReplyDTO {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["message", "conversation_id"], alsoAccepted: ["user_id"])
        let message = fields.string("message")
        if message == nil && !fields.failed("message") { fields.fail("message", "is required, e.g. \"what's due today?\"") }
        if let message, message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { fields.fail("message", "must not be empty") }
        if let message, message.codePointCount > ChatService.maxMessageLength {
            fields.fail("message", "must be at most \(ChatService.maxMessageLength) characters")
        }
        var conversationID: UUID?
        if let raw = fields.string("conversation_id") {
            if let id = UUID(uuidString: raw) { conversationID = id } else { fields.fail("conversation_id", "must be a conversation id (a UUID)") }
        } else if let number = fields.object["conversation_id"], number != .null, case .number = number {
            fields.fail("conversation_id", "must be a conversation id (a UUID string)")
        }
        guard fields.errors.isEmpty, let message else { throw TaskpilotError.validationFailed(fields.errors) }
        try await limiter.admit(context.user.id)
        // Times in the reply are written the way the reader's language writes them (a browser says which).
        let language = request.headers[.acceptLanguage]
        let exchange = try await Timestamp.$hourCycle.withValue(HourCycle.preferred(acceptLanguage: language)) {
            try await Timestamp.$monthFirst.withValue(HourCycle.monthFirst(acceptLanguage: language)) {
                try await QuickAddParser.$dayFirst.withValue(HourCycle.dayFirst(acceptLanguage: language)) {
                    try await chat.send(message, conversationID: conversationID, user: context.user, source: .assistant)
                }
            }
        }
        return ReplyDTO(
            conversation_id: exchange.conversationID.uuidString.lowercased(),
            response: exchange.response,
            tool_calls: exchange.toolCalls.map { ToolCallDTO(name: $0.name, arguments: $0.arguments, result: $0.result) }
        )
    }
}

/// A sliding window of chat messages per user; in memory, per replica.
actor ChatRateLimiter {
    private let perMinute: Int
    private var sent: [UUID: [ContinuousClock.Instant]] = [:]

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Throws `rateLimited` when the user has sent `perMinute` messages in the last minute.
    func admit(_ user: UUID) throws {
        let now = ContinuousClock.now
        var recent = (sent[user] ?? []).filter { now - $0 < .seconds(60) }
        if recent.count >= perMinute, let oldest = recent.first {
            sent[user] = recent
            throw TaskpilotError.rateLimited(retryAfter: max(1, Int((Duration.seconds(60) - (now - oldest)).components.seconds) + 1))
        }
        recent.append(now)
        sent[user] = recent
    }
}
