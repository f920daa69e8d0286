import FluentKit
import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

/// `TaskpilotDatabase.read`: read-only connections beside the writer on a SQLite file, the pool elsewhere.
@Suite("Read connections")
struct ReadPoolTests {
    private static func epoch(_ bus: String, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT epoch FROM bus_epochs WHERE bus = \(bind: bus)").first()?.decode(column: "epoch", as: String.self)
    }

    @Test("a read sees every committed write, and none in progress", arguments: TestBackend.available)
    func visibility(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('a', 'one', 0)").run()
            #expect(try await database.read { try await Self.epoch("a", on: $0) } == "one")

            let (inserted, insertedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            async let writer: Void = database.transaction { sql in
                try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('b', 'two', 0)").run()
                insertedSignal.yield()
                for await _ in release { break }
            }
            for await _ in inserted { break }
            // The writer holds its transaction open: a read neither waits for it nor sees its row.
            let during = try await database.read { try await Self.epoch("b", on: $0) }
            releaseSignal.yield()
            try await writer
            #expect(during == nil)
            #expect(try await database.read { try await Self.epoch("b", on: $0) } == "two")
        }
    }

    @Test("many more reads at once than connections all finish")
    func contention() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('a', 'one', 0)").run()
            let answers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<64 { group.addTask { try await database.read { try await Self.epoch("a", on: $0) } } }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(answers.count == 64)
            #expect(answers.allSatisfy { $0 == "one" })
        }
    }

    @Test("read connections refuse writes on SQLite")
    func readOnly() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            await #expect(throws: (any Error).self) {
                try await database.read { try await $0.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('x', 'y', 0)").run() }
            }
            let stored = try await Self.epoch("x", on: database.sql)
            #expect(stored == nil)
        }
    }
}

/// The statements a SQLite read connection keeps: bound afresh on every use, unharmed by errors, and correct past the
/// size of the cache.
@Suite("Read connections: kept statements")
struct ReadStatementTests {
    @Test("one statement with different values answers each; an error at prepare or at step leaves the connection usable")
    func reuse() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            for (bus, epoch) in [("a", "one"), ("b", "two"), ("c", "three")] {
                try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: bus), \(bind: epoch), 0)").run()
            }
            for _ in 0..<3 {
                for (bus, epoch) in [("a", "one"), ("b", "two"), ("c", "three"), ("z", nil)] {
                    let found = try await database.read {
                        try await $0.raw("SELECT epoch FROM bus_epochs WHERE bus = \(bind: bus)").first()?.decode(column: "epoch", as: String.self)
                    }
                    #expect(found == epoch)
                }
                await #expect(throws: (any Error).self) { try await database.read { try await $0.raw("SELEKT 1").run() } }
                // Prepared fine, fails while stepping: an unbalanced quote in a full-text query.
                await #expect(throws: (any Error).self) {
                    try await database.read { try await $0.raw("SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH \(bind: "\"")").all() }
                }
            }
        }
    }

    @Test("a kept statement with a bound LIMIT answers each new limit")
    func limits() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            for bus in ["a", "b", "c", "d"] {
                try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: bus), 'e', 0)").run()
            }
            for limit in [1, 3, 3, 2, 4, 0, 1] {
                let rows = try await database.read { try await $0.raw("SELECT bus FROM bus_epochs ORDER BY bus LIMIT \(bind: limit)").all() }
                #expect(rows.count == limit)
            }
        }
    }

    @Test("a kept SELECT * returns the columns a migration by another connection added")
    func schemaChange() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('a', 'one', 0)").run()
            let before = try await database.read { try await $0.raw("SELECT * FROM bus_epochs").first() }
            #expect(before?.allColumns == ["bus", "epoch", "changed_at"])
            // FluentKit's connection, the one migrations use, stands for `taskpilot migrate` in another process.
            try await (database.database as! any SQLDatabase).raw("ALTER TABLE bus_epochs ADD COLUMN note TEXT NOT NULL DEFAULT 'n'").run()
            let after = try await database.read { try await $0.raw("SELECT * FROM bus_epochs").first() }
            #expect(after?.allColumns == ["bus", "epoch", "changed_at", "note"])
            #expect(try after?.decode(column: "note", as: String.self) == "n")
        }
    }

    @Test("more statement shapes than a connection keeps all answer right")
    func beyondCache() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            for round in 0..<2 {
                for number in 0..<300 {
                    let row = try await database.read { try await $0.raw("SELECT \(unsafeRaw: String(number)) + \(bind: round) AS n").first() }
                    #expect(try row?.decode(column: "n", as: Int.self) == number + round)
                }
            }
        }
    }

    @Test("stored values come back as they were: text, empty text, null, integers, reals, blobs")
    func values() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let row = try await database.read {
                try await $0.raw(
                    "SELECT \(bind: "é ✓ 日本 🎉") AS t, '' AS e, NULL AS n, \(bind: Int64.min) AS i, 1.5 AS f, x'00ff' AS b"
                ).first()
            }
            let found = try #require(row)
            #expect(try found.decode(column: "t", as: String.self) == "é ✓ 日本 🎉")
            #expect(try found.decode(column: "e", as: String.self) == "")
            #expect(try found.decodeNil(column: "n"))
            #expect(try found.decode(column: "n", as: String?.self) == nil)
            #expect(try found.decode(column: "i", as: Int64.self) == Int64.min)
            #expect(try found.decode(column: "f", as: Double.self) == 1.5)
            #expect(try found.decode(column: "b", as: Data.self) == Data([0, 255]))
            #expect(!found.contains(column: "missing"))
            #expect(throws: (any Error).self) { try found.decode(column: "missing", as: String.self) }
        }
    }
}
