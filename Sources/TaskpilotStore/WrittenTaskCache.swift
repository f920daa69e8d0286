import Synchronization
import TaskpilotCore

/// Tasks as the API writes them, kept between requests: a page of the task list is mostly the same tasks as the page
/// before, and writing a task (reading its row, its reminders, rendering dates and its repetition) costs more than
/// everything else the page does. Each entry names the `version` of the task it was written from (see
/// `M0014VersionTasks`) and the time zone it was written in; the list reads the ids and versions of its page and takes
/// from here only entries that match both, so a change made by any process (another replica, a worker, a command) is
/// never shown stale. Bounded by `capacity` bytes: past it, a quarter of the entries go (in the dictionary's order,
/// which has nothing to do with their age).
final class WrittenTaskCache: Sendable {
    struct Entry: Sendable {
        let version: Int64
        let timeZone: String
        let fragment: TaskJSONFragment
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var size = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 4 << 20) {
        self.capacity = capacity
    }

    /// The entries of `tasks` written from their current version in `timeZone`, by task id.
    func fragments(_ tasks: some Sequence<(id: Int64, version: Int64)>, timeZone: String) -> [Int64: TaskJSONFragment] {
        state.withLock { state in
            var found: [Int64: TaskJSONFragment] = [:]
            for (id, version) in tasks {
                if let entry = state.entries[id], entry.version == version, entry.timeZone == timeZone { found[id] = entry.fragment }
            }
            return found
        }
    }

    /// Keeps `entries` by task id, in place of what was kept for those tasks.
    func keep(_ entries: [(id: Int64, entry: Entry)]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for (id, entry) in entries {
                state.size += entry.fragment.size - (state.entries.updateValue(entry, forKey: id)?.fragment.size ?? 0)
            }
            guard state.size > capacity else { return }
            for id in Array(state.entries.keys.prefix(max(1, state.entries.count / 4))) {
                state.size -= state.entries.removeValue(forKey: id)?.fragment.size ?? 0
            }
        }
    }

    /// How many tasks and bytes it keeps.
    var usage: (entries: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.size) } }
}
