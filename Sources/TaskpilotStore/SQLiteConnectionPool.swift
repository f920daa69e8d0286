import Logging
import NIOCore
import SQLKit
import Synchronization

/// Direct connections to a SQLite file, handed to one task at a time: the read-only connections beside the writer,
/// or the writer itself (a pool of one whose statements run on a thread of its own).
///
/// In WAL mode readers never wait for the writer and see every transaction committed before they start, so the hot
/// read paths (get, list, search, tags, sign-in lookups) run in parallel with each other and with writes. A read,
/// once its pages are cached, is CPU work like encoding the answer, so it runs on the task's own thread. Writing can
/// wait (for another process's lock, or for a checkpoint's fsync), so the writer's statements run on its
/// `SQLiteThread`: a transaction moves there once and back once, whatever number of statements it has.
final class SQLiteConnectionPool: Sendable {
    private struct State {
        var idle: [SQLiteDirectConnection]
        var waiters: [CheckedContinuation<SQLiteDirectConnection, Never>] = []
        var closed = false
    }

    private let connections: [SQLiteDirectConnection]
    private let state: Mutex<State>
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let thread: SQLiteThread?

    /// Settings of a read connection: wait for locks instead of failing, keep an 8 MB page cache, refuse writes.
    static let readPragmas = ["PRAGMA busy_timeout=5000", "PRAGMA cache_size=-8000", "PRAGMA query_only=ON"]
    /// Settings of the writer; the journal mode is the file's, set by whichever connection opens it first.
    static let writePragmas = [
        "PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-16000",
    ]

    private init(connections: [SQLiteDirectConnection], thread: SQLiteThread?, logger: Logger, eventLoop: any EventLoop) {
        self.connections = connections
        self.thread = thread
        self.logger = logger
        self.eventLoop = eventLoop
        state = Mutex(State(idle: connections))
    }

    /// Opens `size` read-only connections on the file at `path`; `eventLoop` serves SQLKit's future-based calls.
    static func readers(path: String, size: Int, logger: Logger, on eventLoop: any EventLoop) throws -> SQLiteConnectionPool {
        var connections: [SQLiteDirectConnection] = []
        do {
            for _ in 0..<size { connections.append(try SQLiteDirectConnection.open(path: path, pragmas: readPragmas)) }
        } catch {
            for connection in connections { connection.close() }
            throw error
        }
        return SQLiteConnectionPool(connections: connections, thread: nil, logger: logger, eventLoop: eventLoop)
    }

    /// Opens the writing connection on the file at `path`, with a thread of its own.
    static func writer(path: String, logger: Logger, on eventLoop: any EventLoop) throws -> SQLiteConnectionPool {
        let connection = try SQLiteDirectConnection.open(path: path, pragmas: writePragmas)
        return SQLiteConnectionPool(connections: [connection], thread: SQLiteThread(name: "sqlite-writer"), logger: logger, eventLoop: eventLoop)
    }

    /// Runs `body` on an idle connection, waiting for one when all are busy.
    func withConnection<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try await acquire()
        let database = SQLiteDirectDatabase(connection: connection, eventLoop: eventLoop, logger: logger)
        guard let thread else {
            defer { release(connection) }
            return try await body(database)
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await withTaskExecutorPreference(thread) { try await body(database) })
        } catch {
            outcome = .failure(error)
        }
        release(connection)
        // Leaving the preference does not move the task: without this it would go on running the caller's code (the
        // rest of a request, say) on the writer's thread until it next suspends.
        await Task.yield()
        return try outcome.get()
    }

    /// Runs `body` in a transaction on an idle connection: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { database in
            try await database.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(database)
                try await database.raw("COMMIT").run()
                return result
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    private func acquire(evenIfClosed: Bool = false) async throws -> SQLiteDirectConnection {
        enum Next {
            case ready(SQLiteDirectConnection)
            case wait, closed
        }
        let next = state.withLock { state -> Next in
            if state.closed && !evenIfClosed { return .closed }
            if let connection = state.idle.popLast() { return .ready(connection) }
            return .wait
        }
        switch next {
        case .ready(let connection): return connection
        case .closed: throw DatabaseSetupError("the database is shutting down")
        case .wait: break
        }
        return await withCheckedContinuation { continuation in
            let handed: SQLiteDirectConnection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let handed { continuation.resume(returning: handed) }
        }
    }

    private func release(_ connection: SQLiteDirectConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteDirectConnection, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// Refuses new work, waits for the running work to finish, then closes every connection and stops the thread.
    func close() async {
        // `shutdown` can run twice (the service on graceful shutdown, then its owner): only the first closes.
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        for _ in connections {
            guard let connection = try? await acquire(evenIfClosed: true) else { continue }
            connection.close()
        }
        thread?.stop()
    }
}
