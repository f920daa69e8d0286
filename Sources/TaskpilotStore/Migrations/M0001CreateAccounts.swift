import FluentKit

/// Users and personal API tokens. Instants are stored as milliseconds since 1970 in both dialects.
struct M0001CreateAccounts: AsyncMigration {
    var name: String { "0001_create_accounts" }

    func prepare(on database: any Database) async throws {
        try await run(
            [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL DEFAULT '',
                    password_hash TEXT NOT NULL,
                    timezone TEXT NOT NULL DEFAULT 'UTC',
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    last_used_at BIGINT
                )
                """,
                "CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at)",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP TABLE api_tokens", "DROP TABLE users"], on: database)
    }
}
