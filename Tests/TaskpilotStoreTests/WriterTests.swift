import FluentKit
import Foundation
import SQLKit
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

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
                // More than the pool's 8 connections, so that some wait for one; not so many that, one after another
                // behind the row lock on a loaded machine, the last waits past the pool's 10 s.
                for _ in 0..<16 {
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
            #expect(try await Self.counter(on: database.sql) == 16)
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

    @Test("writes that queue up share commits; a failing one takes only its own work along; each is readable once it returns")
    func groupCommit() async throws {
        struct Stop: Error {}
        try await TestBackend.sqlite.withDatabase { database in
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('taken', 't', 0)").run()
            let before = try #require(database.writerCommitCounts)
            // Job n: a transaction of two rows (n % 4 == 0), one that throws after writing (n % 4 == 1), a single
            // statement (n % 4 == 2), a single statement that fails on a duplicate key (n % 4 == 3).
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for n in 0..<200 {
                    group.addTask {
                        do {
                            switch n % 4 {
                            case 0:
                                try await database.transaction { sql in
                                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "t\(n)"), 'a', \(bind: n))")
                                        .run()
                                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "u\(n)"), 'b', \(bind: n))")
                                        .run()
                                }
                            case 1:
                                try await database.transaction { sql in
                                    try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "t\(n)"), 'a', \(bind: n))")
                                        .run()
                                    throw Stop()
                                }
                            case 2:
                                try await database.sql.raw(
                                    "INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "t\(n)"), 'a', \(bind: n))"
                                ).run()
                            default:
                                try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('taken', 'x', \(bind: n))").run()
                            }
                        } catch {
                            return (n, false)
                        }
                        // Committed before it returned: a read-only connection sees it at once.
                        let seen = try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus = \(bind: "t\(n)")").first() }
                        #expect(seen != nil, "job \(n)")
                        return (n, true)
                    }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.filter { $0.value }.keys.sorted() == (0..<200).filter { $0 % 4 == 0 || $0 % 4 == 2 })
            let rows = try await database.read { try await $0.raw("SELECT bus, epoch FROM bus_epochs").all() }
            let buses = Set(try rows.map { try $0.decode(column: "bus", as: String.self) })
            let expected = Set((0..<200).flatMap { n -> [String] in n % 4 == 0 ? ["t\(n)", "u\(n)"] : n % 4 == 2 ? ["t\(n)"] : [] })
            #expect(buses == expected.union(["taken"]))
            #expect(try rows.first { try $0.decode(column: "bus", as: String.self) == "taken" }?.decode(column: "epoch", as: String.self) == "t")
            let after = try #require(database.writerCommitCounts)
            let (jobs, commits) = (after.jobs - before.jobs, after.commits - before.commits)
            #expect(jobs >= 200)
            #expect(commits < jobs, "\(jobs) jobs, \(commits) commits")
        }
    }

    @Test("when the shared transaction is lost, no job that shared it is reported written, and the writer goes on")
    func lostGroup() async throws {
        try await TestBackend.sqlite.withDatabase { database in
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for n in 0..<60 {
                    group.addTask {
                        do {
                            try await database.transaction { sql in
                                try await sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "t\(n)"), 'a', \(bind: n))").run()
                                // Stands for SQLite rolling the whole transaction back by itself (a full disk, say).
                                if n == 30 { try await sql.raw("ROLLBACK").run() }
                            }
                            return (n, true)
                        } catch {
                            return (n, false)
                        }
                    }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes[30] == false)
            let rows = try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus LIKE 't%'").all() }
            let stored = Set(try rows.map { try $0.decode(column: "bus", as: String.self) })
            #expect(stored == Set(outcomes.filter { $0.value }.map { "t\($0.key)" }))
            try await database.sql.raw("INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES ('after', 'a', 1)").run()
            #expect(try await database.read { try await $0.raw("SELECT bus FROM bus_epochs WHERE bus = 'after'").first() } != nil)
        }
    }

    /// How many times the write-ahead log of the SQLite file at `path` started over: its header's checkpoint sequence
    /// number (big-endian, at byte 12).
    private static func logRestarts(_ path: String) throws -> Int {
        guard let file = FileHandle(forReadingAtPath: path + "-wal") else { return 0 }
        defer { try? file.close() }
        let header = try file.read(upToCount: 32) ?? Data()
        return header.count == 32 ? header[12..<16].reduce(0) { $0 << 8 | Int($1) } : 0
    }

    @Test("the log is checkpointed beside the writer and starts over, so it stays small under a stream of writes")
    func checkpointsInTheBackground() async throws {
        try await TestBackend.sqlite.withFreshDatabaseURL { url in
            let location = try #require(DatabaseLocation(url: url))
            guard case .sqliteFile(let path) = location else {
                Issue.record("not a SQLite file: \(url)")
                return
            }
            try await TaskpilotDatabase.using(location, logger: TestBackend.logger) { database in
                try await database.migrate()
                // About 4 KB a row: each commit adds a page or more to the log, 4,000 commits four times the 1,000
                // pages that ask for a checkpoint. Many at once, so that commits go on while a checkpoint runs (and
                // outrun it: the writer then copies the rest itself).
                let filler = String(repeating: "x", count: 4000)
                let restartsBefore = try Self.logRestarts(path)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            for n in 0..<500 {
                                try await database.sql.raw(
                                    "INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: "w\(worker)-\(n)"), \(bind: filler), 0)"
                                ).run()
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let runs = try #require(database.checkpointCounts)
                #expect(runs.background > 0, "\(runs)")
                // Had the log never started over it would hold every row: 4,000 pages and more (the writer's
                // backstop, where it checkpoints in its commit, is at 10,000).
                let restarts = try Self.logRestarts(path) - restartsBefore
                #expect(restarts >= 2, "the log started over \(restarts) times; \(runs)")
                let rows = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM bus_epochs WHERE bus LIKE 'w%'").first() }
                #expect(try rows?.decode(column: "n", as: Int.self) == 4000)
            }
        }
    }
}
