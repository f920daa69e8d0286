import FluentKit

/// PostgreSQL only (SQLite already checks the priority inside its due-order indexes, and its full-text index is
/// another structure): due-order indexes with the priority before the due date, so a list filtered by several
/// priorities reads one ordered scan per priority (see `SQLTaskRepository.list`), and full-text search over the
/// user's tasks only.
struct M0010IndexPriorityScans: AsyncMigration {
    var name: String { "0010_index_priority_scans" }

    func prepare(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [
                "CREATE INDEX tasks_user_status_priority_due_key ON tasks (user_id, status, priority, (COALESCE(due_at, 9223372036854775807)), id)",
                "CREATE INDEX tasks_user_priority_due_key ON tasks (user_id, priority, (COALESCE(due_at, 9223372036854775807)), id)",
            ],
            on: database
        )
        do {
            // One GIN index over the user and the words finds the user's matches without reading anyone else's.
            // `btree_gin` ships with PostgreSQL and is trusted: the database's owner may create it.
            try await run(["CREATE EXTENSION IF NOT EXISTS btree_gin"], on: database)
            try await run(
                [
                    "CREATE INDEX tasks_user_search ON tasks USING GIN (user_id, search) WITH (fastupdate = off)",
                    "DROP INDEX tasks_search",
                ],
                on: database
            )
        } catch {
            database.logger.warning(
                "full-text search keeps its index over all users: the btree_gin extension or the index on it could not be created",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        // Without a pending list, a search never merges thousands of fresh entries on the request's time.
        try await run(
            [
                """
                DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'tasks_search' AND relkind = 'i') THEN
                        ALTER INDEX tasks_search SET (fastupdate = off);
                    END IF;
                END $$
                """
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        guard DDL(database).flavor == .postgres else { return }
        try await run(
            [
                "CREATE INDEX IF NOT EXISTS tasks_search ON tasks USING GIN (search)",
                "ALTER INDEX tasks_search RESET (fastupdate)",
                "DROP INDEX IF EXISTS tasks_user_search",
                "DROP INDEX tasks_user_priority_due_key",
                "DROP INDEX tasks_user_status_priority_due_key",
            ],
            on: database
        )
    }
}
