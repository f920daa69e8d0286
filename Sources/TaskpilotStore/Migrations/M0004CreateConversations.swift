import FluentKit

/// Conversations with the assistant and their messages (with tool calls and the assistant's state).
struct M0004CreateConversations: AsyncMigration {
    var name: String { "0004_create_conversations" }

    func prepare(on database: any Database) async throws {
        let ddl = DDL(database)
        try await run(
            [
                """
                CREATE TABLE conversations (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    title TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX conversations_user_updated ON conversations (user_id, updated_at)",
                """
                CREATE TABLE messages (
                    id \(ddl.autoID),
                    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    tool_calls TEXT,
                    state TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX messages_conversation ON messages (conversation_id, id)",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP TABLE messages", "DROP TABLE conversations"], on: database)
    }
}
