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
    /// The writer's checkpoints run there.
    private let checkpointer: SQLiteCheckpointer?

    /// Settings of a read connection: wait for locks instead of failing, keep an 8 MB page cache, refuse writes.
    static let readPragmas = ["PRAGMA busy_timeout=5000", "PRAGMA cache_size=-8000", "PRAGMA query_only=ON"]
    /// Settings of the writer; the journal mode is the file's, set by whichever connection opens it first.
    static let writePragmas = [
        "PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-16000",
        // A group commit's savepoints journal the pages they change: in memory, not in a temporary file.
        "PRAGMA temp_store=MEMORY",
    ]

    private init(
        connections: [SQLiteDirectConnection],
        thread: SQLiteThread? = nil,
        checkpointer: SQLiteCheckpointer? = nil,
        logger: Logger,
        eventLoop: any EventLoop
    ) {
        self.connections = connections
        self.thread = thread
        self.checkpointer = checkpointer
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
        return SQLiteConnectionPool(connections: connections, logger: logger, eventLoop: eventLoop)
    }

    /// Opens the writing connection on the file at `path`, with a thread of its own and another that checkpoints
    /// the write-ahead log (`SQLiteCheckpointer`).
    static func writer(path: String, logger: Logger, on eventLoop: any EventLoop) throws -> SQLiteConnectionPool {
        let connection = try SQLiteDirectConnection.open(path: path, pragmas: writePragmas)
        let checkpointer: SQLiteCheckpointer
        do {
            checkpointer = try SQLiteCheckpointer(path: path, logger: logger)
        } catch {
            connection.close()
            throw error
        }
        checkpointer.attach(to: connection)
        return SQLiteConnectionPool(
            connections: [connection],
            thread: SQLiteThread(name: "sqlite-writer"),
            checkpointer: checkpointer,
            logger: logger,
            eventLoop: eventLoop
        )
    }

    /// Runs `body` on an idle connection, waiting for one when all are busy. On the writer, `body` is one job of a
    /// group commit (see `write`), atomic only when it runs a single statement: use `transaction` for more.
    func withConnection<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await run(body, atomic: false)
    }

    /// Runs `body` in a transaction on the writer: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        precondition(thread != nil, "only the writer runs transactions")
        return try await run(body, atomic: true)
    }

    private func run<T>(_ body: (any SQLDatabase) async throws -> T, atomic: Bool) async throws -> T {
        guard let thread else {
            let connection = try await acquire()
            defer { release(connection) }
            return try await body(SQLiteDirectDatabase(connection: connection, eventLoop: eventLoop, logger: logger))
        }
        // The writer is waited for on its own thread: a task waiting for it is resumed right there when the task
        // before it hands the connection on, so the writer goes from one job to the next without waking another
        // thread in between.
        let outcome = await withTaskExecutorPreference(thread) { await write(body, atomic: atomic) }
        // Leaving the preference does not move the task: without this it would go on running the caller's code (the
        // rest of a request, say) on the writer's thread until it next suspends.
        await Task.yield()
        return try outcome.get()
    }

    /// The most jobs one commit of the writer covers.
    static let maxGroupSize = 32

    /// The writer's open group commit. Only the task holding the writer connection touches it.
    private final class CommitGroup: @unchecked Sendable {
        /// Jobs whose work is done and that wait for the group's COMMIT.
        var waiting: [CheckedContinuation<Void, any Error>] = []
    }

    private let group = CommitGroup()
    /// Jobs run and COMMITs made on the writer, for tests that check jobs share commits.
    private let jobs = Atomic<Int>(0)
    private let commits = Atomic<Int>(0)
    var commitCounts: (jobs: Int, commits: Int) { (jobs.load(ordering: .relaxed), commits.load(ordering: .relaxed)) }
    /// Checkpoints of the writer's log run in the background and by the writer itself, for tests.
    var checkpointCounts: (background: Int, writer: Int)? { checkpointer?.runs }

    /// One job on the writer, as part of a group commit: jobs that queued up while another ran share its transaction
    /// and one COMMIT, instead of writing and checkpointing the same pages once each. A job runs inside a savepoint
    /// of the group's transaction when it is `atomic` (a throwing job rolls back only its own work; a single
    /// statement is atomic by itself and skips the savepoint's journal) and returns once the group is
    /// committed; the last job of the group, the one nobody queued behind (or the `maxGroupSize`th), commits it. A
    /// failed COMMIT fails every job of the group, as does SQLite rolling the whole transaction back by itself.
    private func write<T>(_ body: (any SQLDatabase) async throws -> T, atomic: Bool) async -> Result<T, any Error> {
        let connection: SQLiteDirectConnection
        do {
            connection = try await acquire()
        } catch {
            return .failure(error)
        }
        if !connection.isInTransaction {
            do {
                try connection.run("BEGIN IMMEDIATE")
            } catch {
                release(connection)
                return .failure(error)
            }
        }
        jobs.add(1, ordering: .relaxed)
        var outcome: Result<T, any Error>
        do {
            if atomic { try connection.run("SAVEPOINT job") }
            outcome = .success(try await body(SQLiteDirectDatabase(connection: connection, eventLoop: eventLoop, logger: logger)))
            if atomic { try connection.run("RELEASE job") }
        } catch {
            outcome = .failure(error)
            if !connection.isInTransaction {
                // SQLite rolled back the whole transaction: the jobs waiting for its COMMIT are lost too.
                finishGroup(.failure(error))
            } else if atomic {
                try? connection.run("ROLLBACK TO job")
                try? connection.run("RELEASE job")
            }
        }
        // Tasks that have just moved to the writer's thread have not asked for the connection yet: when jobs are
        // queued there, let them run once, then look for waiters.
        var lookedAgain = false
        while connection.isInTransaction, group.waiting.count + 1 < Self.maxGroupSize {
            if let next = takeWaiter() {
                guard case .success = outcome else {
                    next.resume(returning: connection)
                    return outcome
                }
                do {
                    try await withCheckedThrowingContinuation { (member: CheckedContinuation<Void, any Error>) in
                        group.waiting.append(member)
                        next.resume(returning: connection)
                    }
                    return outcome
                } catch {
                    return .failure(error)
                }
            }
            guard !lookedAgain, thread?.hasQueuedJobs == true else { break }
            lookedAgain = true
            await Task.yield()
        }
        let committed = commit(connection)
        release(connection)
        if case .success = outcome, case .failure(let error) = committed { return .failure(error) }
        return outcome
    }

    /// Commits the writer's open transaction, if any, and tells the jobs waiting for it.
    private func commit(_ connection: SQLiteDirectConnection) -> Result<Void, any Error> {
        var committed: Result<Void, any Error> = .success(())
        if connection.isInTransaction {
            commits.add(1, ordering: .relaxed)
            do {
                try connection.run("COMMIT")
            } catch {
                committed = .failure(error)
                if connection.isInTransaction { try? connection.run("ROLLBACK") }
            }
        }
        finishGroup(committed)
        return committed
    }

    private func finishGroup(_ outcome: Result<Void, any Error>) {
        let waiting = group.waiting
        group.waiting = []
        for member in waiting { member.resume(with: outcome) }
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
        case .closed: throw DatabaseClosed()
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

    /// The first task waiting for a connection, taken off the queue: the caller hands it its connection.
    private func takeWaiter() -> CheckedContinuation<SQLiteDirectConnection, Never>? {
        state.withLock { state in state.waiters.isEmpty ? nil : state.waiters.removeFirst() }
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
            // The writer may come with an open group when this was the next in line.
            if thread != nil { _ = commit(connection) }
            connection.close()
        }
        thread?.stop()
        // After the writer closed: its commits call the checkpointer.
        await checkpointer?.stop()
    }
}
