import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotTestSupport
import Testing

@testable import TaskpilotStore

@Suite("The written task list and its cache")
struct WrittenListTests {
    let utc = TimeZone(identifier: "UTC")!
    let now = Date(timeIntervalSince1970: 1_795_435_200) // 2026-11-23T12:00:00Z

    func add(_ tasks: SQLTaskRepository, _ user: User, _ json: String) async throws -> TaskItem {
        try await tasks.add(json, for: user, at: now)
    }

    /// The items of `listJSON` as text, and those of `list` written one by one: what the API answered before the cache.
    func both(
        _ tasks: SQLTaskRepository,
        _ user: User,
        _ parameters: [String: String] = [:],
        at time: Date? = nil,
        in zone: TimeZone? = nil
    ) async throws -> (written: String, expected: String, cursors: [String?]) {
        let time = time ?? now
        let zone = zone ?? utc
        let query = try TaskQuery(parameters: parameters, timeZone: zone)
        let page = try await tasks.listJSON(query, userID: user.id, now: time, timeZone: zone)
        let listed = try await tasks.list(query, userID: user.id, now: time)
        var written = JSONWriter()
        written.beginArray()
        for item in page.items { item.write(into: &written, now: time) }
        written.endArray()
        var expected = JSONWriter()
        expected.beginArray()
        for task in listed.items { task.writeAPIJSON(into: &expected, now: time, timeZone: zone) }
        expected.endArray()
        return (written.text, expected.text, [page.nextCursor?.encoded, listed.nextCursor?.encoded])
    }

    @Test("the written list is the list, page after page, filtered or searched, first written or kept", arguments: TestBackend.available)
    func sameAsList(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            for json in [
                #"{"title": "plain"}"#,
                #"{"title": "Pay rent \"now\"", "description": "flat\nline two", "priority": "high", "tags": ["home", "bills"], "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 60}], "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#,
                #"{"title": "all day report", "due_at": "2026-11-22", "all_day": true, "reminders": [{"at": "2026-11-23T18:00:00.5Z"}]}"#,
                #"{"title": "done report", "status": "completed", "priority": "urgent", "tags": ["a", "b", "c"], "due_at": "2026-11-01T09:00:00Z"}"#,
                #"{"title": "series", "priority": "urgent", "due_at": "2026-11-20T09:00:00.123Z", "recurrence": {"frequency": "weekly", "interval": 2, "by_weekday": ["MO", "FR"], "until": "2027-06-30", "from_completion": true}}"#,
                #"{"title": "counted report", "priority": "high", "due_at": "2026-12-31T23:30:00Z", "recurrence": {"frequency": "monthly", "by_month_day": [-1], "count": 3}}"#,
                #"{"title": "Ünïcode ✓ 日本語", "tags": ["ü"]}"#,
            ] {
                _ = try await add(tasks, user, json)
            }
            let queries: [[String: String]] = [
                [:], ["status": "all"], ["priority": "high,urgent", "sort": "due_at:asc"], ["q": "report"], ["status": "all", "sort": "title:desc"],
                ["overdue": "true"], ["tags": "home"],
            ]
            for parameters in queries {
                for round in ["first written", "kept"] {
                    let (written, expected, cursors) = try await both(tasks, user, parameters)
                    #expect(written == expected, "\(parameters) \(round)")
                    #expect(cursors[0] == cursors[1])
                }
            }
            // Pages of two, cursor after cursor, in another zone (a repetition's text and RRULE are written in it).
            let paris = TimeZone(identifier: "Europe/Paris")!
            var parameters = ["status": "all", "limit": "2", "sort": "due_at:asc"]
            var pages = 0
            while true {
                let (written, expected, cursors) = try await both(tasks, user, parameters, in: paris)
                #expect(written == expected, "page \(pages)")
                #expect(cursors[0] == cursors[1])
                pages += 1
                guard let cursor = cursors[0], pages < 10 else { break }
                parameters["cursor"] = cursor
            }
            #expect(pages == 4)
        }
    }

    @Test(
        "a kept task is never shown stale: changes by the repository, by any other statement, to its reminders, in bulk, another zone, time passing",
        arguments: TestBackend.available
    )
    func neverStale(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let task = try await add(
                tasks,
                user,
                #"{"title": "water plants", "due_at": "2026-11-24T09:00:00Z", "reminders": [{"offset_minutes": 30}], "recurrence": {"frequency": "daily"}}"#
            )
            func check(_ what: String, at time: Date? = nil, in zone: TimeZone? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws
            {
                let (written, expected, _) = try await both(tasks, user, ["status": "all"], at: time, in: zone)
                #expect(written == expected, "\(what)", sourceLocation: sourceLocation)
            }
            try await check("first")
            // Another replica or a command: a statement the repository never saw.
            try await database.sql.raw("UPDATE tasks SET title = 'water the plants' WHERE id = \(bind: task.id)").run()
            try await check("title changed elsewhere")
            #expect(try await both(tasks, user).written.contains("water the plants"))
            try await database.sql.raw("UPDATE reminders SET fired_at = 1795435200123 WHERE task_id = \(bind: task.id)").run()
            try await check("reminder fired")
            try await database.sql.raw(
                "INSERT INTO reminders (task_id, user_id, offset_minutes, at, fire_at) VALUES (\(bind: task.id), \(bind: user.id.storageKey), 5, NULL, 1795510500000)"
            ).run()
            try await check("reminder added elsewhere")
            try await database.sql.raw("DELETE FROM reminders WHERE task_id = \(bind: task.id) AND offset_minutes = 5").run()
            try await check("reminder removed elsewhere")
            _ = try await tasks.update(id: task.id, userID: user.id, changes: TaskChanges(priority: .urgent), now: now, timeZone: utc)
            try await check("updated")
            try await check("another zone", in: TimeZone(identifier: "Asia/Tokyo")!)
            try await check("back in UTC")
            try await check("two days later: overdue", at: now.addingTimeInterval(2 * 86_400))
            #expect(try await both(tasks, user, at: now.addingTimeInterval(2 * 86_400)).written.contains(#""overdue":true"#))
            #expect(
                try await tasks.bulk(
                    .complete,
                    filter: {
                        var filter = TaskFilter()
                        filter.ids = [task.id]
                        return filter
                    }(),
                    userID: user.id,
                    now: now
                ) == 1
            )
            try await check("completed in bulk (its next occurrence added)")
            _ = try await tasks.delete(id: task.id, userID: user.id)
            try await check("deleted")
        }
    }

    @Test("the cache keeps within its bytes and gives an entry only for its version and zone")
    func bounded() {
        let cache = WrittenTaskCache(capacity: 20_000)
        let task = TaskItem.blank(userID: UUID.random(), now: now)
        let fragment = task.apiJSONFragment(timeZone: utc)
        for id in Int64(1)...1_000 {
            cache.keep([(id, .init(version: 1, timeZone: "UTC", fragment: fragment))])
            #expect(cache.usage.bytes <= 20_000)
        }
        #expect(cache.usage.entries > 0 && cache.usage.entries <= 20_000 / fragment.size)
        cache.keep([(5_000, .init(version: 3, timeZone: "UTC", fragment: fragment))])
        #expect(cache.fragments([(5_000, 3)], timeZone: "UTC").count == 1)
        #expect(cache.fragments([(5_000, 2)], timeZone: "UTC").isEmpty)
        #expect(cache.fragments([(5_000, 3)], timeZone: "Europe/Paris").isEmpty)
    }
}
