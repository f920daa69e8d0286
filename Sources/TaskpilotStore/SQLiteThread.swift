import Foundation
import Synchronization

/// A thread of its own as a task executor: the SQLite writer's statements run here, so waiting on a lock or on a
/// checkpoint's fsync blocks this thread and never one of the cooperative pool's.
final class SQLiteThread: TaskExecutor, @unchecked Sendable {
    // `jobs`, `stopping` and `ended` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    /// The thread has returned: a job enqueued now runs on the global executor instead.
    private var ended = false
    /// Jobs enqueued and not yet finished, the running one included.
    private let unfinished = Atomic<Int>(0)

    /// Whether jobs wait behind the one running now; asked from a job on this thread.
    var hasQueuedJobs: Bool { unfinished.load(ordering: .relaxed) > 1 }

    /// Starts the thread.
    init(name: String) {
        // Named from inside: on Linux only the running thread can give itself the name that `top` and `perf` show.
        let thread = Thread { [self] in
            Thread.current.name = name
            run()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !ended else {
            condition.unlock()
            // A task that prefers this executor can still come here after the pool closed (a worker finishing its
            // last write during shutdown): it must run somewhere, or it waits for ever and the process with it.
            globalConcurrentExecutor.enqueue(job)
            return
        }
        unfinished.add(1, ordering: .relaxed)
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once it has run every job enqueued so far; jobs enqueued later run on the global executor.
    func stop() { condition.signalling { stopping = true } }

    private func run() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                ended = true
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
                unfinished.subtract(1, ordering: .relaxed)
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

extension NSCondition {
    /// Makes `change` under the lock and wakes a thread waiting for it.
    func signalling(_ change: () -> Void) {
        lock()
        change()
        signal()
        unlock()
    }
}
