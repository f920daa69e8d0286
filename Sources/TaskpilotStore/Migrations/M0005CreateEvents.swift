import FluentKit

/// The transactional outbox, consumer idempotency, in-app notifications, webhooks and the audit log.
struct M0005CreateEvents: AsyncMigration {
    var name: String { "0005_create_events" }

    func prepare(on database: any Database) async throws {
        let ddl = DDL(database)
        try await run(
            [
                """
                CREATE TABLE outbox (
                    id \(ddl.autoID),
                    topic TEXT NOT NULL,
                    event_key TEXT NOT NULL,
                    event TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    published_at BIGINT
                )
                """,
                "CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
                "CREATE INDEX outbox_published ON outbox (published_at)",
                """
                CREATE TABLE processed_events (
                    consumer TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    processed_at BIGINT NOT NULL,
                    PRIMARY KEY (consumer, event_id)
                )
                """,
                """
                CREATE TABLE notifications (
                    id \(ddl.autoID),
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    task_id BIGINT,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    read_at BIGINT
                )
                """,
                "CREATE INDEX notifications_user ON notifications (user_id, id)",
                """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    events TEXT NOT NULL,
                    failures INTEGER NOT NULL DEFAULT 0,
                    disabled_at BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX webhooks_user ON webhooks (user_id)",
                """
                CREATE TABLE audit_log (
                    id \(ddl.autoID),
                    user_id TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    source TEXT NOT NULL,
                    action TEXT NOT NULL,
                    task_id BIGINT NOT NULL,
                    before_state TEXT,
                    after_state TEXT,
                    event_id TEXT NOT NULL UNIQUE,
                    at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX audit_log_task ON audit_log (user_id, task_id, id)",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(
            ["DROP TABLE audit_log", "DROP TABLE webhooks", "DROP TABLE notifications", "DROP TABLE processed_events", "DROP TABLE outbox"],
            on: database
        )
    }
}
