import FluentKit
public import Foundation
import SQLKit
public import TaskpilotCore

/// Conversations and messages in SQL.
public struct SQLConversationRepository: ConversationRepository {
    private let store: TaskpilotDatabase

    /// A repository over the database.
    public init(database: TaskpilotDatabase) {
        self.store = database
    }

    public func create(userID: UUID, title: String, now: Date) async throws -> Conversation {
        let conversation = Conversation(
            id: UUID(),
            userID: userID,
            title: title,
            createdAt: Date(millisecondsSince1970: now.millisecondsSince1970),
            updatedAt: Date(millisecondsSince1970: now.millisecondsSince1970)
        )
        try await store.sql.raw(
            """
            INSERT INTO conversations (id, user_id, title, created_at, updated_at)
            VALUES (\(bind: conversation.id.storageKey), \(bind: userID.storageKey), \(bind: title), \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
            """
        ).run()
        return conversation
    }

    public func conversation(id: UUID, userID: UUID) async throws -> Conversation {
        guard
            let row = try await store.sql.raw(
                "SELECT * FROM conversations WHERE id = \(bind: id.storageKey) AND user_id = \(bind: userID.storageKey)"
            ).first()
        else { throw TaskpilotError.notFound("Conversation \(id.storageKey) was not found.") }
        return try Self.conversation(from: row)
    }

    public func list(userID: UUID, limit: Int) async throws -> [Conversation] {
        try await store.sql.raw(
            "SELECT * FROM conversations WHERE user_id = \(bind: userID.storageKey) ORDER BY updated_at DESC, id LIMIT \(bind: limit)"
        ).all().map(Self.conversation(from:))
    }

    public func messages(conversationID: UUID, userID: UUID, limit: Int) async throws -> [ChatMessage] {
        let rows = try await store.sql.raw(
            """
            SELECT * FROM messages WHERE conversation_id = \(bind: conversationID.storageKey) AND user_id = \(bind: userID.storageKey)
            ORDER BY id DESC LIMIT \(bind: limit)
            """
        ).all()
        return try rows.reversed().map { row in
            ChatMessage(
                id: try row.decode(column: "id", as: Int64.self),
                conversationID: conversationID,
                role: ChatRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .assistant,
                content: try row.decode(column: "content", as: String.self),
                toolCalls: try row.decode(column: "tool_calls", as: String?.self).flatMap(JSONValue.parse),
                state: try row.decode(column: "state", as: String?.self).flatMap(JSONValue.parse),
                createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
            )
        }
    }

    public func append(
        conversationID: UUID,
        userID: UUID,
        role: ChatRole,
        content: String,
        toolCalls: JSONValue?,
        state: JSONValue?,
        now: Date
    ) async throws -> ChatMessage {
        // A model's reply may hold U+0000, which PostgreSQL cannot store (requests holding it are refused earlier).
        let content = content.contains("\u{0}") ? content.replacingOccurrences(of: "\u{0}", with: "") : content
        return try await store.transaction { sql in
            let updated = try await sql.raw(
                """
                UPDATE conversations SET updated_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: conversationID.storageKey) AND user_id = \(bind: userID.storageKey) RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { throw TaskpilotError.notFound("Conversation \(conversationID.storageKey) was not found.") }
            let row = try await sql.raw(
                """
                INSERT INTO messages (conversation_id, user_id, role, content, tool_calls, state, created_at)
                VALUES (\(bind: conversationID.storageKey), \(bind: userID.storageKey), \(bind: role.rawValue), \(bind: content),
                    \(bind: toolCalls?.jsonText), \(bind: state?.jsonText), \(bind: now.millisecondsSince1970))
                RETURNING id
                """
            ).first()
            return ChatMessage(
                id: try row?.decode(column: "id", as: Int64.self) ?? 0,
                conversationID: conversationID,
                role: role,
                content: content,
                toolCalls: toolCalls,
                state: state,
                createdAt: Date(millisecondsSince1970: now.millisecondsSince1970)
            )
        }
    }

    public func delete(id: UUID, userID: UUID) async throws {
        let rows = try await store.sql.raw(
            "DELETE FROM conversations WHERE id = \(bind: id.storageKey) AND user_id = \(bind: userID.storageKey) RETURNING id"
        ).all()
        guard !rows.isEmpty else { throw TaskpilotError.notFound("Conversation \(id.storageKey) was not found.") }
    }

    private static func conversation(from row: any SQLRow) throws -> Conversation {
        Conversation(
            id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
            userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
            title: try row.decode(column: "title", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}
