import Foundation
import Metrics
import TaskpilotCore
import TaskpilotStore

/// A task repository that records how long each of its operations takes, as `taskpilot_db_query_duration_seconds`
/// with the label `operation` (`task_create`, `task_get`, `task_update`, `task_delete`, `task_list`, `task_bulk`,
/// `task_tags`): one operation is one transaction or query of the store, tags and reminders included.
struct MeasuredTaskRepository: TaskRepository {
    let base: any TaskRepository
    private let timers: [String: Metrics.Timer]

    static let operations = ["create", "get", "update", "delete", "list", "bulk", "tags"]

    init(_ base: any TaskRepository) {
        self.base = base
        timers = Dictionary(
            uniqueKeysWithValues: Self.operations.map {
                ($0, Metrics.Timer(label: "taskpilot_db_query_duration_seconds", dimensions: [("operation", "task_" + $0)]))
            }
        )
    }

    /// The same store attributing its changes to `source` (see ``SQLTaskRepository/from(_:)``), still measured.
    func from(_ source: ChangeSource) -> any TaskRepository {
        guard let store = base as? SQLTaskRepository else { return self }
        return MeasuredTaskRepository(store.from(source))
    }

    private func measured<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { timers[operation]?.record(duration: ContinuousClock.now - started) }
        return try await body()
    }

    func create(_ task: TaskItem) async throws -> TaskItem { try await measured("create") { try await base.create(task) } }

    func get(id: Int64, userID: UUID, now: Date) async throws -> TaskItem {
        try await measured("get") { try await base.get(id: id, userID: userID, now: now) }
    }

    func update(id: Int64, userID: UUID, changes: TaskChanges, now: Date, timeZone: TimeZone, expected: TaskPrecondition?) async throws -> TaskItem {
        try await measured("update") {
            try await base.update(id: id, userID: userID, changes: changes, now: now, timeZone: timeZone, expected: expected)
        }
    }

    func delete(id: Int64, userID: UUID, expected: TaskPrecondition?) async throws -> TaskItem {
        try await measured("delete") { try await base.delete(id: id, userID: userID, expected: expected) }
    }

    func list(_ query: TaskQuery, userID: UUID, now: Date) async throws -> TaskPage {
        try await measured("list") { try await base.list(query, userID: userID, now: now) }
    }

    func listJSON(_ query: TaskQuery, userID: UUID, now: Date, timeZone: TimeZone) async throws -> TaskJSONPage {
        try await measured("list") { try await base.listJSON(query, userID: userID, now: now, timeZone: timeZone) }
    }

    func bulk(_ action: BulkAction, filter: TaskFilter, userID: UUID, now: Date) async throws -> Int {
        try await measured("bulk") { try await base.bulk(action, filter: filter, userID: userID, now: now) }
    }

    func tags(userID: UUID) async throws -> [TagCount] { try await measured("tags") { try await base.tags(userID: userID) } }
}
