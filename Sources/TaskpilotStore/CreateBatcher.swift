import Synchronization
import TaskpilotCore

/// New tasks that arrive while another is being written go to the database together, in one statement.
///
/// On PostgreSQL a task costs little to store but much to send: each statement is a round trip to a server process,
/// its own plan set-up and its own commit, and the server's time for a create under load went mostly to the sockets.
/// The first create writes at once (alone, so one client waits no longer than before); the creates that arrive
/// meanwhile queue, and when it is done the first of them writes everything queued (up to `maxBatch`) in one go, and
/// so on. Nothing waits for a batch to fill up. The job writing a batch hands each job its own outcome.
final class CreateBatcher: Sendable {
    /// One task to create, with who creates it.
    struct Job: Sendable {
        let task: TaskItem
        let source: ChangeSource
    }

    /// What a queued job is told: its outcome, or that it writes the next batch.
    private enum Turn: Sendable {
        case done(Result<TaskItem, any Error>)
        case lead
    }

    private struct Waiting {
        let job: Job
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var queue: [Waiting] = []
        /// A batch is being written: new jobs queue.
        var busy = false
        var batches = 0
        var jobs = 0
    }

    private let state = Mutex(State())

    /// The most tasks one statement writes.
    static let maxBatch = 64

    /// Batches written and the jobs they held, for tests that check jobs share statements.
    var counts: (batches: Int, jobs: Int) { state.withLock { ($0.batches, $0.jobs) } }

    /// Creates `job`'s task, alone or in a batch that `write` stores: `write` answers each job of the batch, in order.
    func create(_ job: Job, write: @escaping @Sendable ([Job]) async -> [Result<TaskItem, any Error>]) async throws -> TaskItem {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let lead = state.withLock { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.queue.append(Waiting(job: job, continuation: continuation))
                return false
            }
            if lead { continuation.resume(returning: .lead) }
        }
        if case .done(let result) = turn { return try result.get() }
        let others = state.withLock { state -> [Waiting] in
            let taken = Array(state.queue.prefix(Self.maxBatch - 1))
            state.queue.removeFirst(taken.count)
            state.batches += 1
            state.jobs += taken.count + 1
            return taken
        }
        let jobs = [job] + others.map(\.job)
        // A batch of others is written whatever becomes of this job's request (a client that hung up cancels it).
        let results = others.isEmpty ? await write(jobs) : await Task { await write(jobs) }.value
        precondition(results.count == jobs.count, "a batch of new tasks is answered task by task")
        for (waiting, result) in zip(others, results.dropFirst()) { waiting.continuation.resume(returning: .done(result)) }
        // The next in line writes what queued up meanwhile.
        let next = state.withLock { state -> Waiting? in
            guard !state.queue.isEmpty else {
                state.busy = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try results[0].get()
    }
}
