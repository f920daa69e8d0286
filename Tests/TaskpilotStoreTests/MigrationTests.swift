import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test("migrations run once, are idempotent and revert cleanly", arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            #expect(try await database.migrate().isEmpty)
            try await database.revertLastBatch()
            await #expect(throws: (any Error).self) { try await database.sql.raw("SELECT COUNT(*) AS n FROM tasks").run() }
            #expect(
                try await database.migrate() == [
                    "0001_create_accounts", "0002_create_tasks", "0003_create_task_search", "0004_create_conversations", "0005_create_events",
                    "0006_index_due_order", "0007_create_deliveries", "0008_create_bus_epochs", "0009_index_due_order_priority",
                    "0010_index_priority_scans",
                ]
            )
            #expect(await database.ping())
        }
    }

    @Test("PostgreSQL: when the search index over user and words cannot be made, migration 0010 goes on and search works")
    func withoutUserSearchIndex() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withFreshDatabaseURL { url in
            try await TaskpilotDatabase.using(DatabaseLocation(url: url)!, logger: TestBackend.logger) { database in
                // A table holding the index's name makes its creation fail, as a missing btree_gin extension would.
                try await database.sql.raw("CREATE TABLE tasks_user_search (x INTEGER)").run()
                #expect(try await database.migrate().last == "0010_index_priority_scans")
                let options = try await database.sql.raw(
                    "SELECT array_to_string(reloptions, ',') AS options FROM pg_class WHERE relname = 'tasks_search' AND relkind = 'i'"
                ).first()
                #expect(try options?.decode(column: "options", as: String.self) == "fastupdate=off")
                let user = try await database.newTestUser()
                let tasks = SQLTaskRepository(database: database)
                var task = TaskItem.blank(userID: user.id, now: Date())
                task.title = "Send the invoice"
                _ = try await tasks.create(task)
                let query = try TaskQuery(parameters: ["q": "invoice"], timeZone: TimeZone(identifier: "UTC")!)
                #expect(try await tasks.list(query, userID: user.id, now: Date()).items.map(\.title) == ["Send the invoice"])
            }
        }
    }

    @Test("SQLite runs in WAL mode")
    func walMode() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let mode = try await database.sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            #expect(mode == "wal")
        }
    }

    @Test(
        "database URLs",
        arguments: [
            ("sqlite://./data/taskpilot.sqlite", DatabaseLocation.sqliteFile("./data/taskpilot.sqlite")),
            ("sqlite:///var/lib/taskpilot/db.sqlite", DatabaseLocation.sqliteFile("/var/lib/taskpilot/db.sqlite")),
            ("sqlite::memory:", DatabaseLocation.sqliteMemory),
            ("postgres://u:p@db:5432/taskpilot", DatabaseLocation.postgres("postgres://u:p@db:5432/taskpilot")),
        ]
    )
    func urls(_ text: String, _ expected: DatabaseLocation) {
        #expect(DatabaseLocation(url: text) == expected)
    }

    @Test("bad database URLs are refused", arguments: ["mysql://x", "sqlite://", "postgres://", "", "file.sqlite"])
    func badURLs(_ text: String) {
        #expect(DatabaseLocation(url: text) == nil)
    }

    @Test("the password is hidden in logs")
    func redaction() {
        #expect(DatabaseLocation(url: "postgres://u:hunter2@db/x")?.redacted == "postgres://u:***@db/x")
    }
}
