import FluentKit

/// Indexes on the due-date sort key (tasks without a due date last), so "due soonest first" pages read in index
/// order instead of sorting every matching task.
struct M0006IndexDueOrder: AsyncMigration {
    var name: String { "0006_index_due_order" }

    func prepare(on database: any Database) async throws {
        try await run(
            [
                "CREATE INDEX tasks_user_due_key ON tasks (user_id, (COALESCE(due_at, 9223372036854775807)), id)",
                "CREATE INDEX tasks_user_status_due_key ON tasks (user_id, status, (COALESCE(due_at, 9223372036854775807)), id)",
            ],
            on: database
        )
    }

    func revert(on database: any Database) async throws {
        try await run(["DROP INDEX tasks_user_status_due_key", "DROP INDEX tasks_user_due_key"], on: database)
    }
}
