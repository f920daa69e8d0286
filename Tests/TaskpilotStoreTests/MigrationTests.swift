import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

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
                    "0010_index_priority_scans", "0011_key_search_by_user", "0012_fold_accents_in_search",
                    "0013_all_day_reminders_in_the_morning", "0014_version_tasks",
                    "0015_fold_ascii_without_table", "0016_key_search_words_by_user",
                ]
            )
            #expect(await database.ping())
        }
    }

    @Test("PostgreSQL: when the search index over user and words cannot be made, migration 0010 goes on; 0016 indexes each user's words")
    func withoutUserSearchIndex() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withFreshDatabaseURL { url in
            try await TaskpilotDatabase.using(DatabaseLocation(url: url)!, logger: TestBackend.logger) { database in
                // A table holding the index's name makes its creation fail, as a missing btree_gin extension would.
                try await database.sql.raw("CREATE TABLE tasks_user_search (x INTEGER)").run()
                #expect(try await database.migrate().contains("0010_index_priority_scans"))
                // Migration 0016 replaced whichever index 0010 left by one that needs no extension.
                let indexes = try await database.sql.raw(
                    """
                    SELECT relname, array_to_string(reloptions, ',') AS options FROM pg_class
                    WHERE relname IN ('tasks_search', 'tasks_user_search', 'tasks_user_words') AND relkind = 'i'
                    """
                ).all()
                #expect(try indexes.map { try $0.decode(column: "relname", as: String.self) } == ["tasks_user_words"])
                #expect(try indexes.first?.decode(column: "options", as: String.self) == "fastupdate=off")
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

    @Test("PostgreSQL: migration 0015 folds every text exactly as the accent table of 0012 does")
    func foldUnchanged() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withDatabase { database in
            for text in [
                "", "Plain ASCII Text 42", "Café Réunion ÉTÉ", "Straße ø đ ł", "Tiếng Việt có dấu", "日本語のテキスト", "MiXeD ascii and ñ",
                "tab\tand\nnewline", "ǅ ǈ ǋ", "emoji 🎉 party",
            ] {
                let table = M0015FoldASCIIWithoutTable.table.replacingOccurrences(of: "$1", with: "v.x")
                let row = try await database.sql.raw(
                    "SELECT taskpilot_fold(v.x) AS now, \(unsafeRaw: table) AS table FROM (SELECT CAST(\(bind: text) AS text) AS x) v"
                ).first()
                #expect(try row?.decode(column: "now", as: String.self) == row?.decode(column: "table", as: String.self), "\(text)")
            }
        }
    }

    @Test("SQLite: migration 0011 indexes the tasks already there under their user; later users and tasks follow")
    func searchKeyedByUser() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let utc = TimeZone(identifier: "UTC")!
            func add(_ title: String, for user: User) async throws -> Int64 {
                var task = TaskItem.blank(userID: user.id, now: Date())
                task.title = title
                return try await tasks.create(task).id
            }
            func found(_ word: String, by user: User) async throws -> [String] {
                let query = try TaskQuery(parameters: ["q": word], timeZone: utc)
                return try await tasks.list(query, userID: user.id, now: Date()).items.map(\.title).sorted()
            }
            // As before migration 0011: an index keyed by task id, and tasks in it.
            try await M0011KeySearchByUser().revert(on: database.database)
            let (first, second) = (try await database.newTestUser(), try await database.newTestUser())
            _ = try await add("first invoice", for: first)
            _ = try await add("second invoice", for: second)
            try await M0011KeySearchByUser().prepare(on: database.database)
            #expect(try await found("invoice", by: first) == ["first invoice"])
            #expect(try await found("invoice", by: second) == ["second invoice"])
            let third = try await database.newTestUser()
            let thirdTask = try await add("third invoice", for: third)
            #expect(try await found("invoice", by: third) == ["third invoice"])
            // Each task sits in its user's range of the index: search_key << 40 | id.
            let keys = try await database.sql.raw("SELECT search_key FROM users ORDER BY search_key").all().map {
                try $0.decode(column: "search_key", as: Int64.self)
            }
            #expect(keys == [1, 2, 3])
            let rowids = try await database.sql.raw("SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH 'third'").all().map {
                try $0.decode(column: "rowid", as: Int64.self)
            }
            #expect(rowids == [3 << 40 | thirdTask])
            let automerge = try await database.sql.raw("SELECT v FROM tasks_fts_config WHERE k = 'automerge'").first()
            #expect(try automerge?.decode(column: "v", as: Int.self) == 2)
        }
    }

    @Test("migration 0013 moves the pending reminders of all-day tasks to 9:00 in their owner's zone", arguments: TestBackend.available)
    func allDayRemindersInTheMorning(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let zone = TimeZone(identifier: "Asia/Tokyo")!
            let owner = try await SQLAccountRepository(database: database).update(
                id: try await database.newTestUser().id,
                name: nil,
                timezone: "Asia/Tokyo"
            )
            func create(_ json: String) async throws -> TaskItem {
                let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: zone)
                return try await tasks.create(try TaskItem.blank(userID: owner.id, now: Date()).applying(changes, now: Date(), timeZone: zone))
            }
            let day = try await create(
                #"{"title": "day", "due_at": "2030-05-10", "reminders": [{"offset_minutes": 60}, {"at": "2030-05-01T12:00"}]}"#
            )
            let timed = try await create(#"{"title": "timed", "due_at": "2030-05-10T18:00", "reminders": [{"offset_minutes": 60}]}"#)
            func fireTimes(_ task: TaskItem) async throws -> [String?] {
                try await tasks.get(id: task.id, userID: owner.id, now: Date()).reminders.map { $0.fireAt.map(Timestamp.format) }
            }
            // As before the migration: an hour before the day's midnight in Tokyo.
            try await M0013AllDayRemindersInTheMorning().revert(on: database.database)
            #expect(try await fireTimes(day) == ["2030-05-09T14:00:00Z", "2030-05-01T03:00:00Z"])
            try await M0013AllDayRemindersInTheMorning().prepare(on: database.database)
            // 8:00 in Tokyo; the exact reminder and the timed task's stay as they were.
            #expect(try await fireTimes(day) == ["2030-05-09T23:00:00Z", "2030-05-01T03:00:00Z"])
            #expect(try await fireTimes(timed) == ["2030-05-10T08:00:00Z"])
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
