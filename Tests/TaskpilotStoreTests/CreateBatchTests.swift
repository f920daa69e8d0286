import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

@Suite("New tasks written together")
struct CreateBatchTests {
    /// A task of `owner` as the API would build it from `json`.
    func newTask(_ owner: User, _ json: String) throws -> TaskItem {
        let now = Date()
        let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: owner.timeZone)
        return try TaskItem.blank(userID: owner.id, now: now).applying(changes, now: now, timeZone: owner.timeZone)
    }

    @Test(
        "tasks created at once are each stored whole, with their tags and events in order; a bad one fails alone",
        arguments: TestBackend.available
    )
    func createdAtOnce(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database, source: .mcp)
            let (owner, other) = (try await database.newTestUser(), try await database.newTestUser())
            // Every shape of row: with and without a due date, all day, repeating (its own series), completed, tagged.
            let shapes = [
                #"{"title": "plain"}"#,
                #"{"title": "due", "due_at": "2026-12-01T09:00:00Z", "priority": "urgent", "tags": ["work", "bench"]}"#,
                #"{"title": "all day", "due_at": "2026-12-24", "all_day": true, "description": "wrap presents"}"#,
                #"{"title": "rent", "due_at": "2027-01-01T09:00:00Z", "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#,
                #"{"title": "done", "status": "completed", "tags": ["x"]}"#,
                #"{"title": "done and repeating", "status": "completed", "due_at": "2026-11-01T09:00:00Z", "recurrence": {"frequency": "weekly"}}"#,
            ]
            var wanted: [(owner: User, task: TaskItem)] = []
            for index in 0..<48 {
                let who = index % 5 == 0 ? other : owner
                wanted.append((who, try newTask(who, shapes[index % shapes.count])))
            }
            // The same tag twice breaks the tags' primary key: the statement of a batch holding it fails as a whole.
            var bad = try newTask(owner, #"{"title": "bad"}"#)
            bad.tags = ["d", "d"]
            let repeatedTag = bad
            let outcomes = try await withThrowingTaskGroup(of: (Int, Result<TaskItem, any Error>).self) { group in
                for (index, entry) in wanted.enumerated() {
                    group.addTask {
                        do { return (index, .success(try await tasks.create(entry.task))) } catch { return (index, .failure(error)) }
                    }
                    if index == 20 {
                        group.addTask {
                            do { return (-1, .success(try await tasks.create(repeatedTag))) } catch { return (-1, .failure(error)) }
                        }
                    }
                }
                var outcomes: [Int: Result<TaskItem, any Error>] = [:]
                for try await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }
            if case .success = outcomes[-1] { Issue.record("the task with a repeated tag was stored") }
            var created: [TaskItem] = []
            for (index, entry) in wanted.enumerated() {
                let stored = try #require(try outcomes[index]?.get())
                // What create answers is what a read gives back, for the task's owner only.
                #expect(try await tasks.get(id: stored.id, userID: entry.owner.id, now: Date()) == stored)
                let intruder = entry.owner.id == owner.id ? other.id : owner.id
                await #expect(throws: TaskpilotError.self) { try await tasks.get(id: stored.id, userID: intruder, now: Date()) }
                #expect(stored.title == entry.task.title && stored.tags == entry.task.tags && stored.status == entry.task.status)
                #expect(stored.dueAt == entry.task.dueAt?.storedPrecision && stored.allDay == entry.task.allDay)
                if entry.task.recurrence != nil { #expect(stored.seriesID == stored.id && stored.recurrence?.rrule == entry.task.recurrence?.rrule) }
                created.append(stored)
            }
            #expect(Set(created.map(\.id)).count == created.count)
            // Nothing of the bad task: no row, no tag, no event.
            let badRows = try await database.sql.raw("SELECT COUNT(*) AS n FROM tasks WHERE title = 'bad'").first()?.decode(column: "n", as: Int.self)
            #expect(badRows == 0)
            let tagRows = try await database.sql.raw("SELECT COUNT(*) AS n FROM task_tags WHERE tag = 'd'").first()?.decode(column: "n", as: Int.self)
            #expect(tagRows == 0)
            let tagCount = try await database.sql.raw("SELECT COUNT(*) AS n FROM task_tags").first()?.decode(column: "n", as: Int.self)
            #expect(tagCount == created.map(\.tags.count).reduce(0, +))
            // Each task's events: created (and completed, for a repeating task created done), for each topic, in order.
            let events = try await database.sql.raw("SELECT topic, event_key, event FROM outbox ORDER BY id").all().map { row in
                (
                    topic: try row.decode(column: "topic", as: String.self), key: try row.decode(column: "event_key", as: String.self),
                    envelope: try #require(JSONValue.parse(try row.decode(column: "event", as: String.self)))
                )
            }
            for task in created {
                let mine = events.filter { $0.key == String(task.id) && $0.topic == EventTopic.taskEvents.rawValue }
                let kinds = mine.compactMap { $0.envelope["type"]?.stringValue }
                let doneAndRepeating = task.status == .completed && task.recurrence != nil
                #expect(kinds == (doneAndRepeating ? ["taskpilot.task.created", "taskpilot.task.completed"] : ["taskpilot.task.created"]))
                #expect(
                    mine.allSatisfy {
                        $0.envelope["data"]?["source"] == "mcp" && $0.envelope["data"]?["task_data"]?["id"] == .number(Double(task.id))
                    }
                )
                #expect(events.filter { $0.key == String(task.id) && $0.topic == EventTopic.taskUpdates.rawValue }.count == kinds.count)
            }
            if backend == .postgres {
                // They went in shared statements.
                let counts = database.createBatchCounts
                #expect(counts.jobs == wanted.count + 1 && counts.batches < counts.jobs, "\(counts)")
            }
        }
    }
}
