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
            async let writer: Void = database.database.transaction { transaction in
                let sql = transaction as! any SQLDatabase
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
