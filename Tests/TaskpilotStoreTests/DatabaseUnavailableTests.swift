import AsyncKit
import Foundation
import Logging
import NIOCore
import SQLKit
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

/// `DatabaseUnavailable`: the failures that are the database's state, which the API answers 503 or 507, not 500.
@Suite("Database unavailable")
struct DatabaseUnavailableTests {
    @Test("SQLite: a full disk is 'full', a file that cannot be written or a closing pool is unavailable, a constraint is neither")
    func sqlite() {
        #expect(
            DatabaseUnavailable(
                SQLiteDirectError(
                    code: 13, // SQLITE_FULL
                    message: "database or disk is full"
                )
            )?.full == true
        )
        // Extended result codes keep the primary one in their low byte (SQLITE_IOERR_WRITE = 778).
        #expect(DatabaseUnavailable(SQLiteDirectError(code: 778, message: "disk I/O error"))?.full == false)
        #expect(
            DatabaseUnavailable(
                SQLiteDirectError(
                    code: 19, // SQLITE_CONSTRAINT
                    message: "UNIQUE constraint failed"
                )
            ) == nil
        )
        #expect(DatabaseUnavailable(DatabaseSetupError("a bug")) == nil)
        // A pool that is closing refuses new statements: unavailable, not a bug.
        #expect(DatabaseUnavailable(DatabaseClosed())?.reason == "the database is shutting down")
    }

    @Test("PostgreSQL that cannot be reached is unavailable")
    func unreachable() async throws {
        // Port 1 on the loopback: nothing listens there.
        let database = try await TaskpilotDatabase(
            location: DatabaseLocation(url: "postgres://taskpilot:taskpilot@127.0.0.1:1/taskpilot")!,
            logger: TestBackend.logger,
            maxConnections: 1
        )
        do {
            try await database.sql.raw("SELECT 1 AS one").run()
            Issue.record("a query ran on a database that is not there")
        } catch {
            #expect(DatabaseUnavailable(error) != nil, "\(String(reflecting: error))")
        }
        await database.shutdown()
    }

    @Test(
        "PostgreSQL whose connections all stay busy past the wait is unavailable (the API's 503), and the work holding them is kept",
        .enabled(if: TestBackend.postgresURL != nil, "needs TASKPILOT_TEST_POSTGRES_URL (make test starts PostgreSQL)")
    )
    func poolStaysBusy() async throws {
        #expect(DatabaseUnavailable(ConnectionPoolTimeoutError.connectionRequestTimeout)?.full == false)
        try await TestBackend.postgres.withFreshDatabaseURL { url in
            let database = try await TaskpilotDatabase(
                location: try #require(DatabaseLocation(url: url)),
                logger: TestBackend.logger,
                maxConnections: 1,
                connectionWait: .seconds(1)
            )
            // A pool dropped without `shutdown` stops the test process (AsyncKit asserts in `deinit`): whatever happens.
            do {
                try await Self.busyPool(database)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }

    /// The only connection of `database` sleeps in a transaction; a statement beside it waits 1 s for it, then fails.
    private static func busyPool(_ database: TaskpilotDatabase) async throws {
        // The connection opened first (on a loaded machine opening it may itself outlast the wait), then held.
        for attempt in 1...10 {
            do {
                try await database.sql.raw("SELECT 1 AS one").run()
                break
            } catch  where attempt < 10 {
                continue
            }
        }
        let (started, began) = AsyncStream<Void>.makeStream()
        async let held: Void = database.transaction { sql in
            began.yield()
            try await sql.raw("SELECT pg_sleep(3)").run()
        }
        // Once the transaction holds the connection (however slow the machine was to get it there).
        for await _ in started { break }
        do {
            try await database.sql.raw("SELECT 1 AS one").run()
            Issue.record("a statement ran while the only connection was busy")
        } catch {
            let failure = try #require(DatabaseUnavailable(error), "\(String(reflecting: error))")
            #expect(failure.full == false && failure.reason.contains("busy"))
        }
        try await held
        #expect(try await database.sql.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int.self) == 1)
    }

    @Test(
        "a PostgreSQL URL with an IPv6 literal ([::1]) connects to that address",
        .enabled(
            if: TestBackend.postgresURL != nil && ProcessInfo.processInfo.environment["TASKPILOT_TEST_POSTGRES_IPV6"] == "1",
            "needs the test PostgreSQL listening on ::1 (scripts/with-postgres.sh, where the machine has IPv6 loopback)"
        )
    )
    func ipv6Literal() async throws {
        let admin = try #require(TestBackend.postgresURL)
        var components = try #require(URLComponents(string: admin))
        components.host = "[::1]"
        let url = try #require(components.string)
        let location = try #require(DatabaseLocation(url: url))
        let database = try await TaskpilotDatabase(
            location: location,
            logger: TestBackend.logger,
            maxConnections: 1
        )
        let one = try await database.sql.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int.self)
        #expect(one == 1)
        await database.shutdown()
    }
}
