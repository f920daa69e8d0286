import Foundation
import NIOCore
import NIOPosix
import SQLKit
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

/// PostgreSQL connections per event loop: a statement run on a loop of the pool's group stays on that loop.
@Suite("PostgreSQL connections per event loop")
struct LoopConnectionTests {
    @Test("statements run on a serving loop use that loop's connections and resume there; others use connections of their own")
    func loopConnections() async throws {
        guard TestBackend.available.contains(.postgres) else { return }
        try await TestBackend.postgres.withFreshDatabaseURL { url in
            // Three loops, two connections: the first two loops hold one each, the third shares the first's.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
            let database = try await TaskpilotDatabase(
                location: DatabaseLocation(url: url)!,
                logger: TestBackend.logger,
                maxConnections: 2,
                eventLoopGroup: group
            )
            do {
                /// Backend process ids of `count` overlapping statements, and whether each resumed on `loop`.
                func backends(on loop: (any EventLoop)?, count: Int) async throws -> [(pid: Int, stayed: Bool)] {
                    try await withThrowingTaskGroup(of: (pid: Int, stayed: Bool).self) { tasks in
                        for _ in 0..<count {
                            tasks.addTask {
                                let pid = try await database.sql.raw("SELECT pg_backend_pid() AS pid FROM pg_sleep(0.02)").first()!
                                    .decode(column: "pid", as: Int.self)
                                return (pid, loop?.inEventLoop ?? true)
                            }
                        }
                        return try await tasks.reduce(into: []) { $0.append($1) }
                    }
                }
                let loops = Array(group.makeIterator())
                var pids: [Set<Int>] = []
                for loop in loops {
                    let found = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
                        try await backends(on: loop, count: 8)
                    }
                    #expect(found.allSatisfy { $0.stayed })
                    pids.append(Set(found.map(\.pid)))
                }
                // A transaction on a serving loop: its statements on that loop's connection, its body on the loop.
                let (transactionPID, stayed) = try await withTaskExecutorPreference(EventLoopTaskExecutor(loops[1])) {
                    try await database.transaction { sql in
                        let pid = try await sql.raw("SELECT pg_backend_pid() AS pid").first()!.decode(column: "pid", as: Int.self)
                        try await sql.raw("SELECT pg_sleep(0.01)").run()
                        return (pid, loops[1].inEventLoop)
                    }
                }
                #expect(pids[1].contains(transactionPID) && stayed)
                #expect(pids.allSatisfy { $0.count == 1 })
                #expect(pids[0].isDisjoint(with: pids[1]))
                #expect(pids[2] == pids[0])
                // Off the loops (the cooperative pool, as workers and the relay run): a pool of their own, so they never
                // wait for a connection behind requests.
                let elsewhere = Set(try await backends(on: nil, count: 8).map(\.pid))
                #expect(!elsewhere.isEmpty && elsewhere.count <= 2)
                #expect(elsewhere.isDisjoint(with: pids[0].union(pids[1])))
                let transactional = try await database.transaction { sql in
                    try await sql.raw("SELECT pg_backend_pid() AS pid").first()!.decode(column: "pid", as: Int.self)
                }
                #expect(elsewhere.contains(transactional))
            } catch {
                await database.shutdown()
                try await group.shutdownGracefully()
                throw error
            }
            await database.shutdown()
            try await group.shutdownGracefully()
        }
    }

    @Test("without a reachable server a read, a transaction and the ping fail, on a serving loop and off it")
    func unreachable() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Port 1 on loopback refuses at once.
        let database = try await TaskpilotDatabase(
            location: DatabaseLocation(url: "postgres://taskpilot:none@127.0.0.1:1/none")!,
            logger: TestBackend.logger,
            maxConnections: 2,
            eventLoopGroup: group
        )
        for loop in [group.next(), nil] as [(any EventLoop)?] {
            let outcome: (read: Bool, transaction: Bool, ping: Bool) = try await withTaskExecutorPreference(loop.map(EventLoopTaskExecutor.init)) {
                let read = (try? await database.sql.raw("SELECT \(bind: 1) AS one").first()) != nil
                let transaction = (try? await database.transaction { try await $0.raw("SELECT 1 AS one").run() }) != nil
                return (read, transaction, await database.ping())
            }
            #expect(outcome == (false, false, false))
        }
        await database.shutdown()
        try await group.shutdownGracefully()
    }
}
