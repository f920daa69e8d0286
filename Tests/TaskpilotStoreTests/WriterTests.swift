import FluentKit
import Foundation
import SQLKit
import TaskpilotStore
import TaskpilotTestSupport
import Testing

/// `TaskpilotDatabase.transaction` and `sql`: on a SQLite file one writer, on its own thread, takes writes in turn.
@Suite("Writer")
struct WriterTests {
    private static func counter(on sql: any SQLDatabase) async throws -> Int {
        let row = try await sql.raw("SELECT changed_at FROM bus_epochs WHERE bus = 'counter'").first()
        return try row?.decode(column: "changed_at", as: Int.self) ?? 0
    }

    @Test("transactions that read, then write what they read, lose no update when they run at once", arguments: TestBackend.available)
    func readModifyWrite(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('counter', 'c', 0)").run()
            let lock = database.flavor == .postgres ? " FOR UPDATE" : ""
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await database.transaction { sql in
                            let row = try await sql.raw("SELECT changed_at FROM bus_epochs WHERE bus = 'counter'\(unsafeRaw: lock)").first()
                            let value = try row?.decode(column: "changed_at", as: Int.self) ?? 0
                            try await sql.raw("UPDATE bus_epochs SET changed_at = \(bind: value + 1) WHERE bus = 'counter'").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Self.counter(on: database.sql) == 40)
        }
    }

    @Test("a transaction that throws half-way leaves nothing, and the writer goes on", arguments: TestBackend.available)
    func rollback(_ backend: TestBackend) async throws {
        struct Stop: Error {}
        try await backend.withDatabase { database in
            await #expect(throws: Stop.self) {
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('half', 'h', 1)").run()
                    throw Stop()
                }
            }
            await #expect(throws: (any Error).self) {
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('dup', 'd', 1)").run()
                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('dup', 'd', 2)").run()
                }
            }
            let left = try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus IN ('half', 'dup')").all() }
            #expect(left.isEmpty)
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('after', 'a', 1)").run()
            }
            #expect(try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus = 'after'").first() } != nil)
        }
    }

    @Test("while another connection holds the write lock the writer waits for it instead of failing")
    func waitsForOtherWriter() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
            // FluentKit's own connection (the one migrations use) stands for another process writing the file.
            async let other: Void = database.database.transaction { transaction in
                try await (transaction as! any SQLDatabase).raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('other', 'o', 1)").run()
                lockedSignal.yield()
                try await Task.sleep(for: .milliseconds(300))
            }
            for await _ in locked { break }
            let started = ContinuousClock.now
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('mine', 'm', 1)").run()
            let waited = ContinuousClock.now - started
            try await other
            #expect(waited > .milliseconds(100))
            let rows = try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus IN ('other', 'mine')").all() }
            #expect(rows.count == 2)
        }
    }
}
