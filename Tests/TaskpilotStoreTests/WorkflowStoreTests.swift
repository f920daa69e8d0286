import Foundation
import SQLKit
import Synchronization
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

@Suite("Workflow storage: outbox, next occurrences, reminders, audit")
struct WorkflowStoreTests {
    let utc = TimeZone(identifier: "UTC")!

    func task(_ tasks: SQLTaskRepository, _ owner: User, _ json: String, now: Date = Date()) async throws -> TaskItem {
        let zone = owner.timeZone
        let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: zone)
        return try await tasks.create(try TaskItem.blank(userID: owner.id, now: now).applying(changes, now: now, timeZone: zone))
    }

    /// Completes `task` in its owner's zone and has the recurring worker's store make the next occurrence.
    func completeAndFollow(
        _ task: TaskItem,
        of owner: User,
        _ tasks: SQLTaskRepository,
        _ database: TaskpilotDatabase
    ) async throws -> TaskItem? {
        _ = try await tasks.update(id: task.id, userID: owner.id, changes: TaskChanges(status: .completed), now: Date(), timeZone: owner.timeZone)
        let completion = try #require(try await outbox(database).last { $0.type == "taskpilot.task.completed" })
        return try await SQLWorkflowStore(database: database).createNextOccurrence(
            afterCompletionEvent: completion,
            consumer: "recurring",
            now: Date()
        )
    }

    /// A new user living in `zone`.
    func owner(in zone: String, _ database: TaskpilotDatabase) async throws -> User {
        try await SQLAccountRepository(database: database).update(id: try await database.newTestUser().id, name: nil, timezone: zone)
    }

    /// Everything in the outbox, published or not.
    func outbox(_ database: TaskpilotDatabase) async throws -> [OutboxEvent] {
        try await database.sql.raw("SELECT id, topic, event_key, event FROM outbox ORDER BY id").all().map { row in
            OutboxEvent(
                sequence: try row.decode(column: "id", as: Int64.self),
                topic: EventTopic(rawValue: try row.decode(column: "topic", as: String.self))!,
                key: try row.decode(column: "event_key", as: String.self),
                envelope: JSONValue.parse(try row.decode(column: "event", as: String.self))!
            )
        }
    }

    @Test("every change writes its events in the same transaction, in order", arguments: TestBackend.available)
    func outboxEvents(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database, source: .mcp)
            let owner = try await database.newTestUser()
            let created = try await task(tasks, owner, #"{"title": "a", "tags": ["x"]}"#)
            _ = try await tasks.update(id: created.id, userID: owner.id, changes: TaskChanges(status: .completed), now: Date(), timeZone: utc)
            _ = try await tasks.bulk(.reopen, filter: TaskFilter(), userID: owner.id, now: Date())
            _ = try await tasks.delete(id: created.id, userID: owner.id)
            let events = try await outbox(database)
            let taskEvents = events.filter { $0.topic == .taskEvents }
            #expect(taskEvents.map(\.type) == ["created", "completed", "reopened", "deleted"].map { "taskpilot.task.\($0)" })
            #expect(events.filter { $0.topic == .taskUpdates }.count == 4)
            #expect(taskEvents.allSatisfy { $0.data["source"] == "mcp" && $0.key == String(created.id) && $0.envelope["specversion"] == "1.0" })
            #expect(Set(events.map(\.id)).count == events.count)
            // Time-ordered ids (version 7), so the audit log's unique index of them grows at its end.
            #expect(events.allSatisfy { Array($0.id)[14] == "7" && UUID(uuidString: $0.id) != nil })
            #expect(events.map(\.id).map { $0.prefix(13) } == events.map(\.id).map { $0.prefix(13) }.sorted())
            // A failed write queues nothing.
            var bad = TaskItem.blank(userID: owner.id, now: Date())
            bad.title = "dup"
            bad.tags = ["d", "d"]
            await #expect(throws: (any Error).self) { try await tasks.create(bad) }
            #expect(try await outbox(database).count == events.count)
        }
    }

    @Test("the relay marks what it published and keeps the rest after a failure", arguments: TestBackend.available)
    func relayMarks(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await database.newTestUser()
            for index in 0..<3 { _ = try await task(tasks, owner, "{\"title\": \"t\(index)\"}") }
            let store = SQLOutboxStore(database: database)
            #expect(try await store.depth() == 6)
            struct Down: Error {}
            await #expect(throws: Down.self) {
                try await store.claimUnpublished(limit: 100) { _ in throw PartialPublish(published: 2, underlying: Down()) }
            }
            #expect(try await store.depth() == 4)
            let published = try await store.claimUnpublished(limit: 100) { events in events.count }
            #expect(published == 4)
            #expect(try await store.depth() == 0)
        }
    }

    @Test(
        "an event of an unknown topic waits for a relay that knows it; one that is not JSON is skipped; neither holds up the rest",
        arguments: TestBackend.available
    )
    func relaySkipsWhatItCannotRead(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            // Ahead of the real events: more unreadable rows than one turn of the relay reads, and a newer topic.
            for index in 0..<30 {
                try await database.sql.raw(
                    "INSERT INTO outbox (topic, event_key, event, created_at) VALUES ('task-events', \(bind: "k\(index)"), \(bind: index == 0 ? "[1, 2]" : "{not json"), 0)"
                ).run()
            }
            try await database.sql.raw(
                "INSERT INTO outbox (topic, event_key, event, created_at) VALUES ('task-comments', 'k', '{\"specversion\": \"1.0\"}', 0)"
            ).run()
            let owner = try await database.newTestUser()
            let created = try await task(SQLTaskRepository(database: database), owner, #"{"title": "after the bad ones"}"#)
            let store = SQLOutboxStore(database: database)
            let delivered = Mutex<[OutboxEvent]>([])
            for _ in 0..<3 {
                _ = try await store.claimUnpublished(limit: 20) { events in
                    delivered.withLock { $0 += events }
                    return events.count
                }
            }
            #expect(delivered.withLock { $0.map(\.key) } == [String(created.id), String(created.id)])
            // What is left unpublished is the newer topic's event alone.
            let left = try await database.sql.raw("SELECT topic FROM outbox WHERE published_at IS NULL").all().map {
                try $0.decode(column: "topic", as: String.self)
            }
            #expect(left == ["task-comments"])
            #expect(try await store.depth() == 1)
        }
    }

    @Test("a replay publishes the recent events again, in order; older ones stay published", arguments: TestBackend.available)
    func replay(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await database.newTestUser()
            for index in 0..<2 { _ = try await task(tasks, owner, "{\"title\": \"t\(index)\"}") }
            let store = SQLOutboxStore(database: database)
            _ = try await store.claimUnpublished(limit: 100) { events in events.count }
            // Make the first task's events look published long ago.
            try await database.sql.raw("UPDATE outbox SET published_at = 1000 WHERE id <= 2").run()
            #expect(try await store.replay(publishedSince: Date().addingTimeInterval(-900)) == 2)
            let again = try await store.claimUnpublished(limit: 100) { events in
                #expect(events.map(\.sequence) == [3, 4])
                return events.count
            }
            #expect(again == 2)
        }
    }

    @Test("one process advances a bus epoch; the others see the new one", arguments: TestBackend.available)
    func epochs(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let first = SQLOutboxStore(database: database)
            let second = SQLOutboxStore(database: database)
            #expect(try await first.epoch(of: "kafka:") == nil)
            let firstStart = try await first.advanceEpoch(of: "kafka:", from: nil, to: "a")
            #expect(firstStart)
            let secondStart = try await second.advanceEpoch(of: "kafka:", from: nil, to: "b")
            #expect(!secondStart)
            #expect(try await second.epoch(of: "kafka:") == "a")
            // Two processes notice the same loss: only one advances.
            let firstAdvance = try await first.advanceEpoch(of: "kafka:", from: "a", to: "c")
            #expect(firstAdvance)
            let secondAdvance = try await second.advanceEpoch(of: "kafka:", from: "a", to: "d")
            #expect(!secondAdvance)
            #expect(try await second.epoch(of: "kafka:") == "c")
            #expect(try await first.epoch(of: "kafka:other.") == nil)
        }
    }

    @Test("one next occurrence per completion, whatever the redelivery", arguments: TestBackend.available)
    func nextOccurrenceOnce(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let workflow = SQLWorkflowStore(database: database)
            let owner = try await database.newTestUser()
            let first = try await task(
                tasks,
                owner,
                #"{"title": "rent", "due_at": "2031-01-31T09:00:00Z", "recurrence": {"frequency": "monthly"}, "reminders": [{"offset_minutes": 30}, {"at": "2031-01-30T10:00:00Z"}]}"#
            )
            _ = try await tasks.update(id: first.id, userID: owner.id, changes: TaskChanges(status: .completed), now: Date(), timeZone: utc)
            let completion = try #require(try await outbox(database).first { $0.type == "taskpilot.task.completed" })
            let results = try await withThrowingTaskGroup(of: TaskItem?.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await workflow.createNextOccurrence(afterCompletionEvent: completion, consumer: "recurring", now: Date()) }
                }
                return try await group.reduce(into: [TaskItem?]()) { $0.append($1) }
            }
            let created = results.compactMap { $0 }
            #expect(created.count == 1)
            let next = try #require(created.first)
            #expect(next.occurrence == 2 && next.seriesID == first.id)
            #expect(next.dueAt.map(Timestamp.format) == "2031-02-28T09:00:00Z")
            #expect(next.reminders.count == 1 && next.reminders[0].fireAt.map(Timestamp.format) == "2031-02-28T08:30:00Z")
            // Reopening takes back the untouched occurrence 2; completing again makes it once more, once.
            _ = try await tasks.update(id: first.id, userID: owner.id, changes: TaskChanges(status: .pending), now: Date(), timeZone: utc)
            #expect(try await tasks.list(TaskQuery(), userID: owner.id, now: Date()).items.map(\.id) == [first.id])
            _ = try await tasks.update(id: first.id, userID: owner.id, changes: TaskChanges(status: .completed), now: Date(), timeZone: utc)
            let again = try #require(try await outbox(database).last { $0.type == "taskpilot.task.completed" })
            #expect(again.id != completion.id)
            let remade = try await workflow.createNextOccurrence(afterCompletionEvent: again, consumer: "recurring", now: Date())
            #expect(remade?.occurrence == 2 && remade?.dueAt == next.dueAt)
            #expect(try await workflow.createNextOccurrence(afterCompletionEvent: again, consumer: "recurring", now: Date()) == nil)
            // An occurrence 2 someone changed stays when the completion is undone, and no second one is made.
            _ = try await tasks.update(id: remade!.id, userID: owner.id, changes: TaskChanges(title: "rent (paid late)"), now: Date(), timeZone: utc)
            _ = try await tasks.update(id: first.id, userID: owner.id, changes: TaskChanges(status: .pending), now: Date(), timeZone: utc)
            _ = try await tasks.update(id: first.id, userID: owner.id, changes: TaskChanges(status: .completed), now: Date(), timeZone: utc)
            let third = try #require(try await outbox(database).last { $0.type == "taskpilot.task.completed" })
            #expect(try await workflow.createNextOccurrence(afterCompletionEvent: third, consumer: "recurring", now: Date()) == nil)
            #expect(try await tasks.list(TaskQuery(), userID: owner.id, now: Date()).items.count == 2)
        }
    }

    @Test(
        "a daily series at a time a daylight-saving gap skips is back at that time after the gap, through the store",
        arguments: TestBackend.available
    )
    func seriesAcrossGap(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await owner(in: "Europe/Paris", database)
            var current = try await task(tasks, owner, #"{"title": "pills", "due_at": "2027-03-27T02:30", "recurrence": {"frequency": "daily"}}"#)
            var dues = [current.dueAt.map(Timestamp.format)]
            for _ in 0..<3 {
                current = try #require(try await completeAndFollow(current, of: owner, tasks, database))
                dues.append(current.dueAt.map(Timestamp.format))
            }
            // 02:30 in Paris; on the 28th 02:30 does not exist (03:00); then 02:30 summer time again.
            #expect(dues == ["2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z"])
        }
    }

    @Test("a series caught up late does not ping about an occurrence whose reminder time had passed", arguments: TestBackend.available)
    func staleRemindersOfACaughtUpSeries(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await owner(in: "UTC", database)
            let due = Timestamp.format(Date().addingTimeInterval(-3 * 86_400))
            let late = try await task(
                tasks,
                owner,
                #"{"title": "water", "due_at": "\#(due)", "recurrence": {"frequency": "daily"}, "reminders": [{"offset_minutes": 0}]}"#
            )
            let next = try #require(try await completeAndFollow(late, of: owner, tasks, database))
            // Due two days ago: its reminder counts as fired, and none fires.
            #expect(next.reminders.count == 1 && next.reminders[0].firedAt != nil)
            #expect(try await SQLWorkflowStore(database: database).fireDueReminders(now: Date(), limit: 10).isEmpty)
        }
    }

    @Test("a fired reminder sent back with the list stays fired; a new one at a time that has passed is refused", arguments: TestBackend.available)
    func firedRemindersStayFired(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let workflow = SQLWorkflowStore(database: database)
            let owner = try await database.newTestUser()
            let due = Timestamp.format(Date().addingTimeInterval(3600))
            let task = try await task(tasks, owner, #"{"title": "call", "due_at": "\#(due)", "reminders": [{"offset_minutes": 90}]}"#)
            #expect(try await workflow.fireDueReminders(now: Date(), limit: 10).map(\.taskID) == [task.id])
            // "remind me 30 minutes before" as well: the list is written whole, the first reminder with it.
            let both = try TaskChanges(json: ["reminders": [["offset_minutes": 90], ["offset_minutes": 30]]], timeZone: utc)
            let updated = try await tasks.update(id: task.id, userID: owner.id, changes: both, now: Date(), timeZone: utc)
            #expect(updated.reminders.map { $0.firedAt != nil } == [true, false])
            #expect(try await workflow.fireDueReminders(now: Date(), limit: 10).isEmpty, "the 90-minute reminder does not fire again")
            // Moving the due date re-arms them both.
            let moved = try await tasks.update(
                id: task.id,
                userID: owner.id,
                changes: try TaskChanges(json: ["due_at": .string(Timestamp.format(Date().addingTimeInterval(7200)))], timeZone: utc),
                now: Date(),
                timeZone: utc
            )
            #expect(moved.reminders.allSatisfy { $0.firedAt == nil })
            // An exact time that fired, sent back without its seconds (a form shows minutes), stays fired too.
            let soon = Date().addingTimeInterval(0.5)
            let exact = try TaskChanges(json: ["reminders": [["at": .string(Timestamp.format(soon))]]], timeZone: utc)
            _ = try await tasks.update(id: task.id, userID: owner.id, changes: exact, now: Date(), timeZone: utc)
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await workflow.fireDueReminders(now: Date(), limit: 10).map(\.taskID) == [task.id])
            let minute = Calendar.taskpilot(utc).dateInterval(of: .minute, for: soon)!.start
            let resent = try TaskChanges(json: ["reminders": [["at": .string(Timestamp.format(minute))], ["offset_minutes": 30]]], timeZone: utc)
            let kept = try await tasks.update(id: task.id, userID: owner.id, changes: resent, now: Date(), timeZone: utc)
            #expect(kept.reminders.first?.firedAt != nil)
            let past = try TaskChanges(json: ["reminders": [["offset_minutes": 90], ["at": "2020-01-01T08:00:00Z"]]], timeZone: utc)
            await #expect(throws: TaskpilotError.self) {
                try await tasks.update(id: task.id, userID: owner.id, changes: past, now: Date(), timeZone: utc)
            }
            #expect(try await tasks.get(id: task.id, userID: owner.id, now: Date()).reminders.count == 2)
        }
    }

    @Test("a series several times a day goes on at its next hour, then at the first hour of the next day", arguments: TestBackend.available)
    func severalTimesADay(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await owner(in: "Europe/Paris", database)
            var current = try await task(
                tasks,
                owner,
                #"{"title": "pills", "due_at": "2030-12-10T08:30", "recurrence": {"frequency": "daily", "by_hour": [20, 8]}, "reminders": [{"offset_minutes": 5}]}"#
            )
            #expect(current.recurrence?.byHour == [8, 20])
            var dues = [current.dueAt.map(Timestamp.format)]
            for _ in 0..<2 {
                current = try #require(try await completeAndFollow(current, of: owner, tasks, database))
                dues.append(current.dueAt.map(Timestamp.format))
            }
            // 8:30 and 20:30 in Paris (UTC+1); the reminder follows each.
            #expect(dues == ["2030-12-10T07:30:00Z", "2030-12-10T19:30:00Z", "2030-12-11T07:30:00Z"])
            #expect(current.recurrence?.byHour == [8, 20] && current.reminders.map { $0.fireAt.map(Timestamp.format) } == ["2030-12-11T07:25:00Z"])
        }
    }

    @Test("the next occurrence of an all-day series reminds at 9:00 on its day in the owner's zone", arguments: TestBackend.available)
    func allDaySeriesReminder(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await owner(in: "America/New_York", database)
            let first = try await task(
                tasks,
                owner,
                #"{"title": "bins", "due_at": "2027-03-13", "recurrence": {"frequency": "daily"}, "reminders": [{"offset_minutes": 0}]}"#
            )
            #expect(first.reminders.map { $0.fireAt.map(Timestamp.format) } == ["2027-03-13T14:00:00Z"])
            let next = try #require(try await completeAndFollow(first, of: owner, tasks, database))
            // The 14th is the first day of summer time in New York: 9:00 there is 13:00 UTC.
            #expect(next.allDay && next.reminders.map { $0.fireAt.map(Timestamp.format) } == ["2027-03-14T13:00:00Z"])
        }
    }

    @Test("a series ends at its count", arguments: TestBackend.available)
    func seriesEnds(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let owner = try await database.newTestUser()
            let only = try await task(
                tasks,
                owner,
                #"{"title": "once", "due_at": "2026-01-01T09:00:00Z", "recurrence": {"frequency": "daily", "count": 1}}"#
            )
            #expect(try await completeAndFollow(only, of: owner, tasks, database) == nil)
        }
    }

    @Test("due reminders fire once, catching up on missed ones; two schedulers never fire one twice", arguments: TestBackend.available)
    func remindersOnce(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabaseURL { url in
            let location = DatabaseLocation(url: url)!
            let first = try await TaskpilotDatabase(location: location, logger: TestBackend.logger)
            try await first.migrate()
            let second: TaskpilotDatabase
            do {
                second = try await TaskpilotDatabase(location: location, logger: TestBackend.logger)
            } catch {
                await first.shutdown()
                throw error
            }
            do {
                try await fireConcurrently(first, second)
            } catch {
                await first.shutdown()
                await second.shutdown()
                throw error
            }
            await first.shutdown()
            await second.shutdown()
        }
    }

    func fireConcurrently(_ first: TaskpilotDatabase, _ second: TaskpilotDatabase) async throws {
        let tasks = SQLTaskRepository(database: first)
        let owner = try await first.newTestUser()
        let past = Date().addingTimeInterval(-3600)
        let written = Date().addingTimeInterval(-0.001)
        for index in 0..<60 {
            _ = try await task(
                tasks,
                owner,
                "{\"title\": \"r\(index)\", \"due_at\": \"\(Timestamp.format(past.addingTimeInterval(Double(index))))\", \"reminders\": [{\"offset_minutes\": 0}]}"
            )
        }
        _ = try await task(
            tasks,
            owner,
            "{\"title\": \"later\", \"due_at\": \"\(Timestamp.format(Date().addingTimeInterval(3600)))\", \"reminders\": [{\"offset_minutes\": 0}]}"
        )
        let fired = try await withThrowingTaskGroup(of: [FiredReminder].self) { group in
            for database in [first, second, first, second] {
                group.addTask {
                    var all: [FiredReminder] = []
                    while true {
                        let batch = try await SQLWorkflowStore(database: database).fireDueReminders(now: Date(), limit: 7)
                        if batch.isEmpty { break }
                        all += batch
                    }
                    return all
                }
            }
            return try await group.reduce(into: [FiredReminder]()) { $0 += $1 }
        }
        #expect(fired.count == 60)
        #expect(Set(fired.map(\.reminderID)).count == 60)
        // Set for a time already past, they were due from when they were written, not an hour late.
        #expect(fired.allSatisfy { $0.dueSince >= written && $0.dueSince > $0.fireAt })
        let events = try await outbox(first).filter { $0.topic == .reminders }
        #expect(events.count == 60 && Set(events.compactMap { $0.data["reminder_id"]?.int64Value }).count == 60)
        #expect(try await SQLWorkflowStore(database: first).nextReminderTime() != nil)
    }

    @Test("audit entries are stored once per event and only for their owner", arguments: TestBackend.available)
    func audit(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database, source: .assistant)
            let workflow = SQLWorkflowStore(database: database)
            let owner = try await database.newTestUser()
            let stranger = try await database.newTestUser()
            let item = try await task(tasks, owner, #"{"title": "audited"}"#)
            _ = try await tasks.update(id: item.id, userID: owner.id, changes: TaskChanges(title: "renamed"), now: Date(), timeZone: utc)
            // One statement for a batch; each event once, also when a batch repeats some.
            let events = try await outbox(database).filter { $0.topic == .taskEvents }
            #expect(events.count == 2)
            #expect(try await workflow.recordAudit([events[0]]) == 1)
            #expect(try await workflow.recordAudit(events) == 1)
            #expect(try await workflow.recordAudit(events) == 0)
            let history = try await workflow.history(taskID: item.id, userID: owner.id)
            #expect(history.map(\.action) == ["created", "updated"])
            #expect(history.allSatisfy { $0.source == "assistant" })
            #expect(history[1].before?["title"] == "audited" && history[1].after?["title"] == "renamed")
            #expect(try await workflow.history(taskID: item.id, userID: stranger.id).isEmpty)
        }
    }
}
