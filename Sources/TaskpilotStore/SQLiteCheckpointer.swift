import Foundation
import Logging
import Synchronization
import VaporCSQLite

/// Checkpoints a SQLite file's write-ahead log on a thread and a connection of its own, so that the writer's commits
/// do not wait for the bulk of it.
///
/// By default SQLite checkpoints inside the COMMIT that grows the log past 1,000 pages: that commit copies the pages
/// into the database file and waits for two fsyncs of megabytes (10–20 ms each on the build machine), and every write
/// queued behind it waits too (a create's p99 at one client was 22 ms for a p50 of 1.3 ms). Here the commit that grows
/// the log past `threshold` only asks this thread for a PASSIVE checkpoint, which runs beside the writer and the
/// readers (WAL mode allows it) and copies what the log holds when it starts.
///
/// The log starts over from its beginning only when a checkpoint has copied all of it: under a steady stream of
/// writes the background checkpoint never quite catches up (the writer appends while it fsyncs). So the writer's
/// commit copies the rest itself, and its next transaction starts the log over. Every write queued meanwhile waits for
/// that copy's two fsyncs, which take longer the more it copies (copying up to 512 pages stalled creates at 32 clients
/// for 10–15 ms every 70 ms or so: their p99 was 24–37 ms for a p90 of 14–16). So the background runs again while each
/// run leaves clearly less behind than the one before, and the writer takes over once the rest is at most `catchUp`
/// pages or stops shrinking (writes outrunning the background's fsyncs), or once the log passes twice `threshold`.
/// Should the log grow past `backstop` pages all the same (this thread starved of CPU, say), the writer checkpoints in
/// its commit as SQLite would.
final class SQLiteCheckpointer: @unchecked Sendable {
    /// The log's size, in pages, that asks for a checkpoint: SQLite's own default.
    static let threshold: Int32 = 1000
    /// What the writer copies in its commit without asking the background for another run first, in pages.
    static let catchUp: Int32 = 64
    /// The log's size, in pages, past which the writer checkpoints in its commit whatever is left.
    static let backstop: Int32 = 10 * threshold

    private let connection: SQLiteDirectConnection
    private let logger: Logger
    // `requested`, `stopping`, `ended` and `closed` are guarded by `condition`.
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    /// The thread has closed its connection.
    private var ended = false
    /// Who waits for that.
    private var closed: CheckedContinuation<Void, Never>?
    /// A background run is asked for or under way.
    private let running = Atomic<Bool>(false)
    /// What the background left behind when the writer last asked it to run again, in pages (the writer's own).
    private let leftBefore = Atomic<Int32>(.max)
    /// How much of the log the last checkpoint left copied, in pages; 0 once the writer copied all of it (the log then
    /// starts over with its next transaction).
    private let copied = Atomic<Int32>(0)
    /// Checkpoints run by this thread and by the writer, for tests.
    private let backgroundRuns = Atomic<Int>(0)
    private let writerRuns = Atomic<Int>(0)
    var runs: (background: Int, writer: Int) { (backgroundRuns.load(ordering: .relaxed), writerRuns.load(ordering: .relaxed)) }

    /// Opens a connection of its own to the file at `path` and starts the thread.
    init(path: String, logger: Logger) throws {
        // Reading the journal mode opens the log: a connection that has not read the file yet answers every checkpoint
        // as if it were not in WAL mode (-1 pages). The busy timeout covers that read only (a PASSIVE checkpoint never
        // waits).
        connection = try SQLiteDirectConnection.open(path: path, pragmas: ["PRAGMA busy_timeout=5000", "PRAGMA journal_mode"])
        self.logger = logger
        let thread = Thread { [self] in
            Thread.current.name = "sqlite-checkpoint"
            run()
        }
        thread.start()
    }

    /// Makes `writer` ask for checkpoints instead of running them in its commits. `self` must outlive the connection's
    /// use: the pool that owns both closes the writer before it stops the checkpointer.
    func attach(to writer: SQLiteDirectConnection) {
        writer.setWALHook(Self.walHook, context: Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite on the writer's thread after each commit, with the log's size in pages.
    private static let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
        context,
        database,
        name,
        pages in
        guard let context, let database, pages >= threshold else { return SQLITE_OK }
        Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue().afterCommit(database, name, pages: pages)
        return SQLITE_OK
    }

    private func afterCommit(_ database: OpaquePointer, _ name: UnsafePointer<CChar>?, pages: Int32) {
        if pages < Self.backstop {
            // A background run copies what the log holds as it starts; the commits after it look again.
            guard !running.load(ordering: .acquiring) else { return }
            // Nothing copied yet: the background copies it. (A log shorter than what was copied has started over since.)
            let copied = copied.load(ordering: .relaxed)
            guard copied > 0, pages >= copied else { return request() }
            // Little left, or no less than the last run left, or a long log: the writer copies the rest, and the log
            // can start over. Otherwise the background runs again.
            let left = pages - copied
            let before = leftBefore.exchange(left, ordering: .relaxed)
            guard left <= Self.catchUp || left > before - before / 4 || pages >= 2 * Self.threshold else { return request() }
        }
        leftBefore.store(.max, ordering: .relaxed)
        var (log, done): (Int32, Int32) = (0, 0)
        // BUSY: a background run has just started; it copies this and more.
        guard sqlite_nio_sqlite3_wal_checkpoint_v2(database, name, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK else { return }
        writerRuns.add(1, ordering: .relaxed)
        copied.store(done >= log ? 0 : done, ordering: .relaxed)
    }

    private func request() {
        // Running from now on: the commits before the thread wakes up must not decide again on the same run's rest.
        running.store(true, ordering: .relaxed)
        condition.signalling { requested = true }
    }

    /// Ends the thread after the checkpoint it is running, if any, and returns once it has closed its connection: the
    /// last connection to a file to close checkpoints all of the log and removes it.
    func stop() async {
        await withCheckedContinuation { continuation in
            condition.lock()
            if ended {
                condition.unlock()
                return continuation.resume()
            }
            closed = continuation
            stopping = true
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            let stop = stopping
            requested = false
            condition.unlock()
            if stop { break }
            let started = ContinuousClock.now
            running.store(true, ordering: .relaxed)
            let outcome = connection.checkpoint()
            if outcome.status == SQLITE_OK {
                copied.store(outcome.copiedPages, ordering: .relaxed)
                backgroundRuns.add(1, ordering: .relaxed)
            }
            running.store(false, ordering: .releasing)
            // BUSY: another checkpoint is running (the writer's backstop, or another process's); the next commit asks again.
            if outcome.status != SQLITE_OK && outcome.status != SQLITE_BUSY {
                logger.warning(
                    "checkpointing the SQLite write-ahead log failed; it grows until a checkpoint succeeds",
                    metadata: ["error": .string(outcome.message)]
                )
            } else {
                logger.debug(
                    "checkpointed the SQLite write-ahead log",
                    metadata: [
                        "pages": .stringConvertible(outcome.logPages), "copied": .stringConvertible(outcome.copiedPages),
                        "ms": .stringConvertible((ContinuousClock.now - started).milliseconds),
                    ]
                )
            }
        }
        connection.close()
        condition.lock()
        ended = true
        let waiting = closed
        condition.unlock()
        waiting?.resume()
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
