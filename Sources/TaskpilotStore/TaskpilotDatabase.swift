import AsyncKit
public import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
public import Logging
public import NIOCore
import NIOPosix
import PostgresNIO
public import SQLKit
public import ServiceLifecycle
import VaporCSQLite

/// The SQL dialect in use; the few statements that differ switch on it.
public enum SQLFlavor: Sendable {
    case sqlite, postgres
}

/// The database connection pool of the process, its migrations, and a `Service` that closes it on shutdown.
public final class TaskpilotDatabase: Service, Sendable {
    /// The database of every query.
    public let database: any Database
    /// The dialect.
    public let flavor: SQLFlavor
    private let databases: Databases
    /// PostgreSQL connections on the loops that serve requests (see `init`).
    private let servingDatabases: Databases?
    /// The loop of `databases` and of SQLKit's future-based calls, one thread for every database of the process. It
    /// is never shut down: a statement that comes after `shutdown` (a worker finishing during a failed start-up) must
    /// fail with `DatabaseClosed`, and a future scheduled on a loop that has shut down never completes.
    private static let ownLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger
    /// Read-only connections beside the writing one (SQLite files only).
    private let readers: SQLiteConnectionPool?
    /// The writing connection outside migrations (SQLite files only).
    private let writer: SQLiteConnectionPool?
    /// Per serving event loop, the database of that loop's connections, with named statements (PostgreSQL only).
    private let loops: [(loop: any EventLoop, database: PostgresNamedStatementDatabase)]
    /// `database` with named statements, for statements run off the serving loops (PostgreSQL only).
    private let background: PostgresNamedStatementDatabase?
    /// Set when `shutdown` begins (PostgreSQL only; the SQLite pools refuse work themselves).
    private let closing: ClosingFlag
    /// Tasks as the list writes them (see `SQLTaskRepository.listJSON`).
    let writtenTasks = WrittenTaskCache()
    /// New tasks written together on PostgreSQL (`SQLTaskRepository.create`).
    let creates = CreateBatcher()
    /// Batches of new tasks written and the tasks they held, for tests.
    var createBatchCounts: (batches: Int, jobs: Int) { creates.counts }

    /// Opens a pool on the location. A SQLite file runs in WAL mode with a busy timeout: one connection writes (on a
    /// thread of its own; FluentKit's connection only runs migrations), and `readConnections` read-only connections
    /// (default: two per core, at least four) serve `read`.
    ///
    /// On PostgreSQL, given the `eventLoopGroup` that serves requests, `maxConnections` connections are spread over
    /// its loops, and a statement run on one of those loops' threads takes a connection of that loop, so it never
    /// leaves the thread. Statements run anywhere else (workers, the outbox relay, commands) have a loop and
    /// connections of their own (`maxConnections` without a serving group, else a quarter of it, at least two), so
    /// they never queue behind requests for a connection. A statement that waits `connectionWait` for one fails
    /// (`DatabaseUnavailable`: the API answers 503).
    public init(
        location: DatabaseLocation,
        logger: Logger,
        maxConnections: Int = 8,
        connectionWait: TimeAmount = .seconds(10),
        readConnections: Int? = nil,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws {
        self.logger = logger
        let closing = ClosingFlag()
        self.closing = closing
        // One event loop gives one SQLite connection: SQLite takes one writer at a time, and the pragmas below are per
        // connection. On PostgreSQL it holds the connections of statements off the serving loops.
        let own = Self.ownLoops
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: own)
        self.databases = databases
        var perLoopDatabases: Databases?
        var openedReaders: SQLiteConnectionPool?
        // A database that cannot be opened (an unwritable folder, a bad URL) leaves no pool or thread behind.
        do {
            var serving: [(loop: any EventLoop, database: PostgresNamedStatementDatabase)] = []
            switch location {
            case .sqliteFile(let path):
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
                flavor = .sqlite
            case .sqliteMemory:
                databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
                flavor = .sqlite
            case .postgres(let url):
                var configuration = try SQLPostgresConfiguration(url: url)
                // An IPv6 literal (postgres://u:p@[::1]:5432/db) is its address without the brackets of URL syntax.
                let core = configuration.coreConfiguration
                if let host = core.host, host.hasPrefix("["), host.hasSuffix("]") {
                    configuration = SQLPostgresConfiguration(
                        coreConfiguration: .init(
                            host: String(host.dropFirst().dropLast()),
                            port: core.port ?? SQLPostgresConfiguration.ianaPortNumber,
                            username: core.username,
                            password: core.password,
                            database: core.database,
                            tls: core.tls
                        )
                    )
                }
                let servingLoops = eventLoopGroup.map { Array($0.makeIterator()) } ?? []
                // At most `maxConnections` serving loops hold connections (FluentKit opens them on demand); the loops past
                // them share theirs in turn.
                let holders = Array(servingLoops.prefix(max(1, maxConnections)))
                databases.use(
                    .postgres(
                        configuration: configuration,
                        maxConnectionsPerEventLoop: servingLoops.isEmpty ? max(1, maxConnections) : max(2, maxConnections / 4),
                        connectionPoolTimeout: connectionWait,
                        sqlLogLevel: .trace
                    ),
                    as: .psql
                )
                if let eventLoopGroup, !holders.isEmpty {
                    let perLoop = Databases(threadPool: NIOThreadPool.singleton, on: eventLoopGroup)
                    perLoop.use(
                        .postgres(
                            configuration: configuration,
                            maxConnectionsPerEventLoop: max(1, maxConnections / holders.count),
                            connectionPoolTimeout: connectionWait,
                            sqlLogLevel: .trace
                        ),
                        as: .psql
                    )
                    serving = try servingLoops.enumerated().map { index, loop in
                        guard let database = perLoop.database(logger: logger, on: holders[index % holders.count]) else {
                            throw DatabaseSetupError("the database pool could not be created")
                        }
                        return (loop, PostgresNamedStatementDatabase(database, closing: closing))
                    }
                    perLoopDatabases = perLoop
                }
                flavor = .postgres
            }
            loops = serving
            guard let database = databases.database(logger: logger, on: own.any()) else {
                throw DatabaseSetupError("the database pool could not be created")
            }
            self.database = database
            background = flavor == .postgres ? PostgresNamedStatementDatabase(database, closing: closing) : nil
            if flavor == .sqlite {
                let sql = database as! any SQLDatabase
                // FluentKit's connection writes too (migrations; everything on an in-memory database): the writer's settings.
                for pragma in SQLiteConnectionPool.writePragmas {
                    try await sql.raw("\(unsafeRaw: pragma)").run()
                }
            }
            if case .sqliteFile(let path) = location {
                let count = readConnections ?? 2 * max(2, System.coreCount)
                openedReaders = count > 0 ? try SQLiteConnectionPool.readers(path: path, size: count, logger: logger, on: own.any()) : nil
                readers = openedReaders
                writer = try SQLiteConnectionPool.writer(path: path, logger: logger, on: own.any())
            } else {
                readers = nil
                writer = nil
            }
            servingDatabases = perLoopDatabases
        } catch {
            await openedReaders?.close()
            await perLoopDatabases?.shutdownAsync()
            await databases.shutdownAsync()
            throw error
        }
    }

    /// The database as SQLKit sees it; on a SQLite file each statement takes the writer for itself, on PostgreSQL
    /// statements are prepared once per connection (`PostgresNamedStatementDatabase`).
    public var sql: any SQLDatabase {
        guard let writer else { return postgres ?? database as! any SQLDatabase }
        return SQLiteWriterDatabase(writer: writer, eventLoop: database.eventLoop, logger: logger)
    }

    /// On PostgreSQL, the database of the serving event loop running this code, else the background one.
    private var postgres: PostgresNamedStatementDatabase? {
        if !loops.isEmpty, let current = MultiThreadedEventLoopGroup.currentEventLoop,
            let serving = loops.first(where: { $0.loop === current })
        {
            return serving.database
        }
        return background
    }

    /// Jobs run and COMMITs made by the writer of a SQLite file; nil elsewhere.
    var writerCommitCounts: (jobs: Int, commits: Int)? { writer?.commitCounts }

    /// Checkpoints of a SQLite file's log run in the background and by the writer itself; nil elsewhere.
    var checkpointCounts: (background: Int, writer: Int)? { writer?.checkpointCounts }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. On a SQLite file it holds
    /// the writer from the start, so two transactions never fail each other half-way, and transactions that queue up
    /// share one COMMIT (each in a savepoint of its own; it returns once that COMMIT is done).
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let writer else {
            guard let postgres else { return try await database.transaction { try await body($0 as! any SQLDatabase) } }
            return try await postgres.transaction(body)
        }
        return try await writer.transaction(body)
    }

    /// Runs reads that need no transaction: on a SQLite file on a read-only connection of their own (in parallel with
    /// other reads and with the writer, seeing everything committed before it started), elsewhere on `sql`.
    public func read<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        guard let readers else { return try await body(sql) }
        return try await readers.withConnection(body)
    }

    /// Runs the migrations that have not run yet; returns the names of those it ran.
    @discardableResult
    public func migrate() async throws -> [String] {
        guard flavor == .postgres else { return try await migrate(on: database) }
        // Replicas and workers starting together take turns: one migrates, the others then find nothing to do.
        return try await database.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("SELECT pg_advisory_lock(7140002)").run()
            do {
                let applied = try await self.migrate(on: connection)
                try await sql.raw("SELECT pg_advisory_unlock(7140002)").run()
                return applied
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(7140002)").run()
                throw error
            }
        }
    }

    private func migrate(on database: any Database) async throws -> [String] {
        let migrations = Migrations()
        migrations.add(TaskpilotMigrations.all)
        let migrator = Migrator(
            databaseFactory: { _ in database },
            migrations: migrations,
            on: database.eventLoop,
            migrationLogLevel: .info
        )
        try await migrator.setupIfNeeded().get()
        let before = try await appliedMigrations(on: database)
        try await migrator.prepareBatch().get()
        let after = try await appliedMigrations(on: database)
        return after.filter { !before.contains($0) }
    }

    /// Opens a pool for the duration of `body` and always closes it.
    public static func using<T: Sendable>(
        _ location: DatabaseLocation,
        logger: Logger,
        maxConnections: Int = 8,
        _ body: (TaskpilotDatabase) async throws -> T
    ) async throws -> T {
        let database = try await TaskpilotDatabase(location: location, logger: logger, maxConnections: maxConnections)
        do {
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// Undoes the last batch of migrations.
    @discardableResult
    public func revertLastBatch() async throws -> [String] {
        let before = (try? await appliedMigrations(on: database)) ?? []
        let migrations = Migrations()
        migrations.add(TaskpilotMigrations.all)
        let migrator = Migrator(
            databaseFactory: { [database] _ in database },
            migrations: migrations,
            on: database.eventLoop,
            migrationLogLevel: .info
        )
        try await migrator.revertLastBatch().get()
        let after = Set(try await appliedMigrations(on: database))
        return before.filter { !after.contains($0) }
    }

    private func appliedMigrations(on database: any Database) async throws -> [String] {
        try await (database as! any SQLDatabase).raw("SELECT name FROM _fluent_migrations ORDER BY batch, name").all().map {
            try $0.decode(column: "name", as: String.self)
        }
    }

    /// Whether the database answers a trivial query.
    public func ping() async -> Bool {
        do {
            _ = try await read { try await $0.raw("SELECT 1 AS one").first() }
            return true
        } catch {
            logger.warning("database ping failed", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    /// Closes the pool.
    public func shutdown() async {
        closing.set()
        await readers?.close()
        await writer?.close()
        await servingDatabases?.shutdownAsync()
        await databases.shutdownAsync()
    }

    /// Waits for graceful shutdown, then closes the pool. Services stop in reverse order on graceful shutdown, so the
    /// ones added after this one have stopped by then. When the group is cancelled instead (another service failed)
    /// they all stop at once: closing now would fail the writes they are finishing, so the owner closes the pool
    /// once the group has returned.
    public func run() async throws {
        try? await gracefulShutdown()
        if Task.isCancelled { return }
        await shutdown()
    }
}

/// SQLKit over the SQLite writer outside a transaction: each statement takes the writer for itself.
private struct SQLiteWriterDatabase: SQLiteSQLDatabase {
    let writer: SQLiteConnectionPool
    let eventLoop: any EventLoop
    let logger: Logger

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await writer.withConnection { try await $0.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await execute(sql: query, onRow) }
    }
}

/// The database could not be opened.
public struct DatabaseSetupError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension DatabaseSetupError {
    /// What an operator should read when opening or migrating PostgreSQL failed: what happened (PostgresNIO's own
    /// description of it is a fixed sentence that hides even the cause) and what to check. Nil for other errors.
    public static func postgresProblem(_ error: any Error) -> String? {
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?"
            let said = "PostgreSQL answered '\(error.serverInfo?[.message] ?? "an error")' (SQLSTATE \(state))"
            // Class 28: the user or password; 3D000: no such database.
            return state.hasPrefix("28") || state == "3D000" ? said + "; check the user, password and database name of TASKPILOT_DATABASE_URL" : said
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            let cause = error.underlying.map { String(describing: $0) } ?? "no answer"
            return "PostgreSQL cannot be reached (\(cause)); check the host and port of TASKPILOT_DATABASE_URL and that PostgreSQL is running"
        default:
            return "PostgreSQL failed (\(error.code)); check TASKPILOT_DATABASE_URL and that PostgreSQL is running"
        }
    }
}

/// An error as an operator should read it in a log: PostgreSQL's problems said with their cause (PostgresNIO's own
/// description is a fixed sentence that hides it), anything else as it describes itself.
public func readableDescription(of error: any Error) -> String {
    DatabaseSetupError.postgresProblem(error) ?? String(describing: error)
}

/// An error of the database, carried with the description an operator can act on.
struct ReadableDatabaseError: Error, CustomStringConvertible {
    let underlying: any Error
    var description: String { readableDescription(of: underlying) }

    /// Runs `body`, giving its errors a readable description.
    static func describing<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw ReadableDatabaseError(underlying: error) }
    }
}

/// A statement asked for a connection of a pool that is closing.
struct DatabaseClosed: Error, CustomStringConvertible {
    var description: String { "the database is shutting down" }
}

/// A database failure that is not the request's fault but the database's state: unreachable, shutting down, full.
public struct DatabaseUnavailable: Sendable {
    /// Whether the database is out of space (`507`) rather than unreachable (`503`).
    public let full: Bool
    /// What is wrong, for the operator and the client; no statement text or data.
    public let reason: String

    /// The unavailability `error` stands for; nil for any other error (a bug, a constraint, bad input).
    public init?(_ error: any Error) {
        if error is DatabaseClosed {
            (full, reason) = (false, "the database is shutting down")
        } else if error is ConnectionPoolTimeoutError {
            // Every connection stayed busy for the whole wait (a burst on one row, a slow database): not this request.
            (full, reason) = (false, "the database is busy (no connection came free in time)")
        } else if let error = error as? SQLiteDirectError {
            // The primary result code: extended codes (SQLITE_IOERR_WRITE, …) keep it in their low byte.
            switch error.code & 0xFF {
            case SQLITE_FULL: (full, reason) = (true, "the database's disk is full")
            case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED:
                (full, reason) = (false, "the database file cannot be written (\(error.message))")
            default: return nil
            }
        } else if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
                (full, reason) = (false, "PostgreSQL cannot be reached")
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                if state == "53100" {
                    (full, reason) = (true, "PostgreSQL's disk is full")
                } else if state.hasPrefix("08") || state.hasPrefix("53") || ["57P01", "57P02", "57P03"].contains(state) {
                    (full, reason) = (false, "PostgreSQL is unavailable (SQLSTATE \(state))")
                } else {
                    return nil
                }
            default: return nil
            }
        } else {
            return nil
        }
    }
}
