import FluentKit

/// Tasks, their tags and their reminders, with the indexes the list queries use.
struct M0002CreateTasks: AsyncMigration {
    var name: String { "0002_create_tasks" }

    func prepare(on database: any Database) async throws {
        let ddl = DDL(database)
        try await run(
            [
                """
                CREATE TABLE tasks (
                    id \(ddl.autoID),
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    status TEXT NOT NULL DEFAULT 'pending',
                    priority SMALLINT NOT NULL DEFAULT 0,
                    tags TEXT NOT NULL DEFAULT '',
                    due_at BIGINT,
                    all_day SMALLINT NOT NULL DEFAULT 0,
                    recurrence TEXT,
                    recurrence_from_completion SMALLINT NOT NULL DEFAULT 0,
                    series_id BIGINT,
                    occurrence INTEGER NOT NULL DEFAULT 1,
                    completed_at BIGINT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX tasks_user_status_due ON tasks (user_id, status, due_at)",
                "CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id)",
                "CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id)",
                "CREATE INDEX tasks_user_priority ON tasks (user_id, priority, id)",
                "CREATE INDEX tasks_series ON tasks (series_id, occurrence)",
                """
                CREATE TABLE task_tags (
                    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (task_id, tag)
                )
                """,
                "CREATE INDEX task_tags_user_tag ON task_tags (user_id, tag, task_id)",
                """
                CREATE TABLE reminders (
                    id \(ddl.autoID),
                    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    offset_minutes INTEGER,
                    at BIGINT,
                    fire_at BIGINT,
                    fired_at BIGINT
                )
                """,
                "CREATE INDEX reminders_task ON reminders (task_id)",
                "CREATE INDEX reminders_pending ON reminders (fire_at) WHERE fired_at IS NULL",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP TABLE reminders", "DROP TABLE task_tags", "DROP TABLE tasks"], on: database)
    }
}
