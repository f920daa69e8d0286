import FluentKit

/// The due-order indexes carry the priority too, so a page filtered by priority and sorted by due date checks the
/// priority (and, through the id, the tags) in the index and reads a task row only for the tasks on the page.
struct M0009IndexDueOrderPriority: AsyncMigration {
    var name: String { "0009_index_due_order_priority" }

    func prepare(on database: any Database) async throws {
        try await run(
            [
                "CREATE INDEX tasks_user_due_key_priority ON tasks (user_id, (COALESCE(due_at, 9223372036854775807)), id, priority)",
                "CREATE INDEX tasks_user_status_due_key_priority ON tasks (user_id, status, (COALESCE(due_at, 9223372036854775807)), id, priority)",
                "DROP INDEX tasks_user_status_due_key",
                "DROP INDEX tasks_user_due_key",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(
            [
                "CREATE INDEX tasks_user_due_key ON tasks (user_id, (COALESCE(due_at, 9223372036854775807)), id)",
                "CREATE INDEX tasks_user_status_due_key ON tasks (user_id, status, (COALESCE(due_at, 9223372036854775807)), id)",
                "DROP INDEX tasks_user_status_due_key_priority",
                "DROP INDEX tasks_user_due_key_priority",
            ],
            on: database
        )
    }
}
