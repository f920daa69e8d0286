import FluentKit

/// The durable queues of outgoing webhook deliveries and reminder emails, each row once per target and event.
struct M0007CreateDeliveries: AsyncMigration {
    var name: String { "0007_create_deliveries" }

    func prepare(on database: any Database) async throws {
        try await run(
            [
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL DEFAULT 'pending',
                    response_code INTEGER,
                    next_attempt_at BIGINT NOT NULL,
                    delivered_at BIGINT,
                    error TEXT,
                    created_at BIGINT NOT NULL,
                    UNIQUE (webhook_id, event_id)
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
                """
                CREATE TABLE email_deliveries (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    event_id TEXT NOT NULL UNIQUE,
                    to_address TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL DEFAULT 'pending',
                    response_code INTEGER,
                    next_attempt_at BIGINT NOT NULL,
                    delivered_at BIGINT,
                    error TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at) WHERE status = 'pending'",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP TABLE email_deliveries", "DROP TABLE webhook_deliveries"], on: database)
    }
}
