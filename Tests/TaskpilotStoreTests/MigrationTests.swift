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
