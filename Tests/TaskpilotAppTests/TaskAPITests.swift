import Foundation
import HTTPTypes
import TaskpilotTestSupport
import Testing

@Suite("Tasks API")
struct TaskAPITests {
    @Test("a recurring task created already completed goes on: its next occurrence is made", arguments: TestBackend.available)
    func recurringCreatedCompleted(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let done = try await me.createTask(
                #"{"title": "water plants", "due_at": "2030-03-10", "status": "completed", "recurrence": {"frequency": "daily"}}"#
            )
            #expect(done.status == "completed")
            var next: TaskBody?
            for _ in 0..<50 where next == nil {
                next = try await me.get("/api/v1/tasks?q=water").decode(TaskListBody.self).items.first { $0.occurrence == 2 }
                if next == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(next?.status == "pending" && next?.due_at == "2030-03-10T23:00:00Z", "\(String(describing: next))")
            // One next occurrence, not one per event.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await me.get("/api/v1/tasks?q=water&status=all").decode(TaskListBody.self).items.count == 2)
        }
    }

    @Test("create, read, update, complete, reopen, delete", arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let response = try await me.post(
                "/api/v1/tasks",
                #"{"title": "Pay rent", "priority": "high", "tags": ["Home"], "due_at": "2030-12-01T09:00", "reminders": [{"offset_minutes": 60}], "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#
            )
            #expect(response.status == .created)
            let task: TaskBody = try response.decode()
            #expect(response.headers[.location] == "/api/v1/tasks/\(task.id)")
            #expect(task.due_at == "2030-12-01T08:00:00Z")
            #expect(task.tags == ["home"])
            #expect(task.reminders.first?.fire_at == "2030-12-01T07:00:00Z")
            #expect(task.recurrence?.text == "every month on the 1st")
            #expect(task.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=1")
            #expect(task.series_id == task.id && task.occurrence == 1)
            #expect(task.status == "pending" && !task.completed && task.completed_at == nil)

            let read: TaskBody = try await me.get("/api/v1/tasks/\(task.id)").decode()
            #expect(read == task)
            // A change to what the task already is changes nothing, updated_at included.
            try await Task.sleep(for: .milliseconds(5))
            for body in [#"{}"#, #"{"title": "Pay rent", "priority": "high"}"#] {
                #expect(try await me.patch("/api/v1/tasks/\(task.id)", body).decode(TaskBody.self) == task, "\(body)")
            }

            let patched: TaskBody = try await me.patch(
                "/api/v1/tasks/\(task.id)",
                #"{"title": "Pay the rent", "due_at": null, "recurrence": null, "reminders": []}"#
            ).decode()
            #expect(patched.title == "Pay the rent" && patched.due_at == nil && patched.recurrence == nil && patched.reminders.isEmpty)
            #expect(patched.priority == "high")

            let done: TaskBody = try await me.post("/api/v1/tasks/\(task.id)/complete", "").decode()
            #expect(done.completed && done.status == "completed" && done.completed_at != nil)
            let reopened: TaskBody = try await me.post("/api/v1/tasks/\(task.id)/reopen", "").decode()
            #expect(!reopened.completed && reopened.completed_at == nil)

            #expect(try await me.delete("/api/v1/tasks/\(task.id)").status == .noContent)
            let gone = try await me.get("/api/v1/tasks/\(task.id)")
            #expect(gone.status == .notFound)
            #expect(gone.error?.code == "not_found")
        }
    }

    @Test("a relative reminder of an all-day task counts from 9:00 on its day, and moves with the due date", arguments: TestBackend.available)
    func allDayReminders(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let task = try await me.createTask(
                #"{"title": "bins", "due_at": "2030-12-10", "reminders": [{"offset_minutes": 0}, {"offset_minutes": 1440}, {"at": "2030-12-09T18:00"}]}"#
            )
            // 9:00 in Paris on the day, 9:00 the day before; an exact time is as given.
            #expect(task.reminders.map(\.fire_at) == ["2030-12-10T08:00:00Z", "2030-12-09T08:00:00Z", "2030-12-09T17:00:00Z"])
            // A time on the same day: relative reminders count from it; the exact one stays.
            let timed: TaskBody = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2030-12-10T07:30"}"#).decode()
            #expect(!timed.all_day && timed.reminders.map(\.fire_at) == ["2030-12-10T06:30:00Z", "2030-12-09T06:30:00Z", "2030-12-09T17:00:00Z"])
            // Back to a day (in summer time: 9:00 is 07:00 UTC).
            let summer: TaskBody = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2031-07-01"}"#).decode()
            #expect(summer.all_day && summer.reminders.map(\.fire_at) == ["2031-07-01T07:00:00Z", "2031-06-30T07:00:00Z", "2030-12-09T17:00:00Z"])
        }
    }

    @Test("an hourly rule needs a due time and no days; the sentence and RRULE say it", arguments: TestBackend.available)
    func hourlyRule(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let task = try await me.createTask(
                #"{"title": "drink water", "due_at": "2030-12-10T09:00", "recurrence": {"frequency": "hourly", "interval": 2}}"#
            )
            #expect(task.recurrence?.text == "every 2 hours" && task.recurrence?.rrule == "FREQ=HOURLY;INTERVAL=2")
            let viaRRULE = try await me.createTask(#"{"title": "stretch", "due_at": "2030-12-10T09:30", "recurrence": "FREQ=HOURLY;COUNT=8"}"#)
            #expect(viaRRULE.recurrence?.text == "every hour, 8 times")
            for (body, field) in [
                (#"{"title": "a", "due_at": "2030-12-10", "recurrence": {"frequency": "hourly"}}"#, "recurrence.frequency"),
                (
                    #"{"title": "a", "due_at": "2030-12-10T09:00", "recurrence": {"frequency": "hourly", "by_weekday": ["MO"]}}"#,
                    "recurrence.by_weekday"
                ),
                (#"{"title": "a", "due_at": "2030-12-10T09:00", "recurrence": {"frequency": "minutely"}}"#, "recurrence.frequency"),
            ] {
                let response = try await me.post("/api/v1/tasks", body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(response.error?.details?.map(\.field) == [field], "\(body): \(response.text)")
            }
            // Made all-day later: refused as well, and nothing changes.
            let allDay = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2030-12-11"}"#)
            #expect(allDay.status == .unprocessableContent && allDay.error?.details?.map(\.field) == ["recurrence.frequency"], "\(allDay.text)")
            #expect(try await me.get("/api/v1/tasks/\(task.id)").decode(TaskBody.self) == task)
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 2)
        }
    }

    @Test("a rule several times a day takes two or more hours of a daily or weekly rule and a due time", arguments: TestBackend.available)
    func severalTimesADay(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let task = try await me.createTask(
                #"{"title": "pills", "due_at": "2030-12-10T08:30", "recurrence": {"frequency": "daily", "by_hour": [20, 8, 14]}}"#
            )
            #expect(task.recurrence?.by_hour == [8, 14, 20] && task.recurrence?.rrule == "FREQ=DAILY;BYHOUR=8,14,20")
            #expect(task.recurrence?.text == "every 6 hours from 8:30 to 20:30")
            let viaRRULE = try await me.createTask(
                #"{"title": "standup", "due_at": "2030-12-10T09:00", "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9,17"}"#
            )
            #expect(viaRRULE.recurrence?.by_hour == [9, 17] && viaRRULE.recurrence?.text == "every week on Monday and Wednesday at 9:00 and 17:00")
            // Sent back as read, it is the same rule.
            let resent = try await me.patch(
                "/api/v1/tasks/\(task.id)",
                #"{"recurrence": {"frequency": "daily", "by_hour": [8, 14, 20], "text": "x"}}"#
            )
            let resentBody = try resent.decode(TaskBody.self)
            #expect(resent.status == .ok && resentBody.recurrence == task.recurrence, "\(resent.text)")
            for (body, field) in [
                (#"{"title": "a", "due_at": "2030-12-10", "recurrence": {"frequency": "daily", "by_hour": [8, 20]}}"#, "recurrence.by_hour"),
                (#"{"title": "a", "due_at": "2030-12-10T08:00", "recurrence": {"frequency": "monthly", "by_hour": [8, 20]}}"#, "recurrence.by_hour"),
                (#"{"title": "a", "due_at": "2030-12-10T08:00", "recurrence": {"frequency": "daily", "by_hour": [8]}}"#, "recurrence.by_hour"),
                (#"{"title": "a", "due_at": "2030-12-10T08:00", "recurrence": {"frequency": "daily", "by_hour": [8, 24]}}"#, "recurrence.by_hour[1]"),
                (
                    #"{"title": "a", "due_at": "2030-12-10T08:00", "recurrence": {"frequency": "daily", "by_hour": [8, "x"]}}"#,
                    "recurrence.by_hour[1]"
                ),
                (#"{"title": "a", "due_at": "2030-12-10T08:00", "recurrence": "FREQ=DAILY;BYHOUR=8,30"}"#, "recurrence"),
            ] {
                let response = try await me.post("/api/v1/tasks", body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(response.error?.details?.map(\.field) == [field], "\(body): \(response.text)")
            }
            // Made all-day later: refused, and nothing changes.
            let allDay = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2030-12-11"}"#)
            #expect(allDay.status == .unprocessableContent && allDay.error?.details?.map(\.field) == ["recurrence.by_hour"], "\(allDay.text)")
            #expect(try await me.get("/api/v1/tasks/\(task.id)").decode(TaskBody.self) == task)
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 2)
        }
    }

    @Test("a tag is one tag however its accents were typed (composed or not), in the task and in the filter", arguments: TestBackend.available)
    func composedTags(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let task = try await me.createTask("{\"title\": \"coffee\", \"tags\": [\"cafe\\u0301\"]}")
            #expect(task.tags == ["caf\u{E9}"] && task.tags[0].unicodeScalars.count == 4, "\(task.tags)")
            for filter in ["caf%C3%A9", "cafe%CC%81", "CAF%C3%89"] {
                let found = try await me.get("/api/v1/tasks?tags=\(filter)").decode(TaskListBody.self).items
                #expect(found.map(\.id) == [task.id], "\(filter)")
            }
        }
    }

    @Test("list filters, sorts and pages through the API", arguments: TestBackend.available)
    func listing(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let rent = try await me.createTask(
                #"{"title": "Pay rent", "priority": "urgent", "tags": ["home", "bills"], "due_at": "2099-12-01T09:00:00Z", "recurrence": "FREQ=MONTHLY"}"#
            )
            let report = try await me.createTask(
                #"{"title": "Write report", "description": "invoice totals", "priority": "high", "tags": ["work"], "due_at": "2020-01-01T09:00:00Z"}"#
            )
            let milk = try await me.createTask(#"{"title": "Buy milk", "tags": ["home"], "completed": true}"#)

            func ids(_ query: String) async throws -> [Int64] {
                let response = try await me.get("/api/v1/tasks?\(query)")
                #expect(response.status == .ok, "\(query): \(response.text)")
                return try response.decode(TaskListBody.self).items.map(\.id)
            }
            #expect(try await ids("").count == 3)
            #expect(try await ids("status=pending&sort=due_at:asc") == [report.id, rent.id])
            #expect(try await ids("status=completed") == [milk.id])
            #expect(try await ids("repeating=true") == [rent.id])
            #expect(try await ids("repeating=false&sort=title:asc") == [milk.id, report.id])
            #expect(try await ids("priority=high,urgent&sort=priority:desc") == [rent.id, report.id])
            #expect(try await ids("tags=home&sort=title:asc") == [milk.id, rent.id])
            #expect(try await ids("tags=home,bills") == [rent.id])
            #expect(try await ids("q=invoice") == [report.id])
            #expect(try await ids("overdue=true") == [report.id])
            #expect(try await ids("due_before=2030-01-01&due_after=2019-01-01T00:00:00Z") == [report.id])
            let overdue: TaskListBody = try await me.get("/api/v1/tasks?overdue=true").decode()
            #expect(overdue.items.first?.overdue == true)
            let bare = try await me.createTask(#"{"title": "Someday"}"#)
            #expect(try await ids("has_due=false&sort=title:asc") == [milk.id, bare.id])
            #expect(try await ids("has_due=true&sort=title:asc") == [rent.id, report.id])
            #expect(try await ids("tagged=false") == [bare.id])
            #expect(try await ids("tagged=true&has_due=false") == [milk.id])
            #expect(try await me.get("/api/v1/tasks?tagged=maybe").error?.code == "invalid_parameter")
            #expect(try await me.delete("/api/v1/tasks/\(bare.id)").status == .noContent)

            let first: TaskListBody = try await me.get("/api/v1/tasks?sort=title:asc&limit=2").decode()
            #expect(first.items.map(\.id) == [milk.id, rent.id])
            let cursor = try #require(first.next_cursor)
            let second: TaskListBody = try await me.get("/api/v1/tasks?sort=title:asc&limit=2&cursor=\(cursor)").decode()
            #expect(second.items.map(\.id) == [report.id])
            #expect(second.next_cursor == nil)

            let tags: [TagBody] = try await me.get("/api/v1/tags").decode()
            #expect(tags == [TagBody(name: "home", count: 2), TagBody(name: "bills", count: 1), TagBody(name: "work", count: 1)])
        }
    }

    @Test("bulk actions by ids and by filter", arguments: TestBackend.available)
    func bulk(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let a = try await me.createTask(#"{"title": "a", "tags": ["x"]}"#)
            let b = try await me.createTask(#"{"title": "b", "tags": ["x"]}"#)
            _ = try await me.createTask(#"{"title": "c"}"#)
            let completed = try await me.post("/api/v1/tasks/bulk", #"{"action": "complete", "ids": [\#(a.id), \#(b.id)]}"#)
            #expect(completed.status == .ok)
            #expect(completed.text == #"{"affected":2}"#)
            let deleted = try await me.post("/api/v1/tasks/bulk", #"{"action": "delete", "filter": {"status": "completed", "tags": ["x"]}}"#)
            #expect(deleted.text == #"{"affected":2}"#)
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.map(\.title) == ["c"])
            for body in [
                #"{"action": "explode", "ids": [1]}"#, #"{"ids": [1]}"#, #"{"action": "delete"}"#, #"{"action": "delete", "ids": [1], "filter": {}}"#,
                #"{"action": "delete", "ids": ["1"]}"#, #"{"action": "delete", "filter": {"status": "sideways"}}"#,
                #"{"action": "delete", "ids": [0]}"#, #"{"action": "delete", "ids": [1.5]}"#, #"{"action": "delete", "ids": [1e30]}"#,
                #"{"action": "delete", "filter": {"tags": 2.5}}"#, #"{"action": "delete", "filter": {"tags": [1]}}"#,
                #"{"action": "delete", "filter": {"overdue": 1}}"#, #"{"action": "delete", "filter": {"q": true}}"#,
                #"{"action": "delete", "filter": {"overdue": "yes"}}"#, #"{"action": "delete", "filter": {"has_due": "false"}}"#,
                // A blank selection would be every task.
                #"{"action": "delete", "filter": {}}"#, #"{"action": "delete", "filter": {"tags": null}}"#,
                #"{"action": "delete", "filter": {"tags": [""]}}"#, #"{"action": "delete", "filter": {"tags": ""}}"#,
                #"{"action": "delete", "filter": {"tags": ","}}"#, #"{"action": "delete", "filter": {"priority": []}}"#,
                #"{"action": "delete", "filter": {"q": "   "}}"#, #"{"action": "delete", "filter": {"status": ""}}"#,
            ] {
                let response = try await me.post("/api/v1/tasks/bulk", body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
            }
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 1)
            // The largest id a JSON number holds exactly (2^53 - 1) is an id here too: no task has it. Past it, 422.
            let largest = try await me.post("/api/v1/tasks/bulk", #"{"action": "complete", "ids": [9007199254740991]}"#)
            #expect(largest.text == #"{"affected":0}"#, "\(largest.text)")
            let past = try await me.post("/api/v1/tasks/bulk", #"{"action": "complete", "ids": [9007199254740992]}"#)
            #expect(past.status == .unprocessableContent, "\(past.text)")
        }
    }

    @Test(
        "a task's ETag guards its changes: If-Match of an older read answers 412 and changes nothing; * or the current one passes",
        arguments: TestBackend.available
    )
    func ifMatch(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let created = try await me.post("/api/v1/tasks", #"{"title": "Draft the plan"}"#)
            let etag = try #require(created.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""), "\(etag)")
            let id = try created.decode(TaskBody.self).id
            let read = try await me.get("/api/v1/tasks/\(id)")
            #expect(read.headers[.eTag] == etag)
            // Another tab saves first.
            try await Task.sleep(for: .milliseconds(5))
            let first = try await me.send(.patch, "/api/v1/tasks/\(id)", json: #"{"priority": "high"}"#, headers: [.ifMatch: etag])
            #expect(first.status == .ok, "\(first.text)")
            let newer = try #require(first.headers[.eTag])
            #expect(newer != etag)
            // This tab's save, made against the read before, is refused and writes nothing; so are delete and complete.
            let stale = try await me.send(.patch, "/api/v1/tasks/\(id)", json: #"{"title": "Old title"}"#, headers: [.ifMatch: etag])
            #expect(stale.status == .preconditionFailed, "\(stale.text)")
            #expect(stale.text.contains(#""code":"precondition_failed""#) && stale.text.contains("changed since you read it"), "\(stale.text)")
            #expect(try await me.send(.delete, "/api/v1/tasks/\(id)", headers: [.ifMatch: etag]).status == .preconditionFailed)
            #expect(try await me.send(.post, "/api/v1/tasks/\(id)/complete", headers: [.ifMatch: etag]).status == .preconditionFailed)
            let now = try await me.get("/api/v1/tasks/\(id)").decode(TaskBody.self)
            #expect(now.title == "Draft the plan" && now.priority == "high" && now.status == "pending")
            // Weak tags never match (If-Match compares strongly); a list passes when one of its tags is current.
            #expect(
                try await me.send(.patch, "/api/v1/tasks/\(id)", json: #"{"title": "x"}"#, headers: [.ifMatch: "W/\(newer)"]).status
                    == .preconditionFailed
            )
            let listed = try await me.send(.post, "/api/v1/tasks/\(id)/complete", headers: [.ifMatch: "\(etag), \(newer)"])
            #expect(listed.status == .ok && listed.headers[.eTag] != newer, "\(listed.text)")
            // `*` is any version of a task that exists; a malformed header is the client's error, named.
            #expect(try await me.send(.post, "/api/v1/tasks/\(id)/reopen", headers: [.ifMatch: "*"]).status == .ok)
            let malformed = try await me.send(.patch, "/api/v1/tasks/\(id)", json: #"{"title": "x"}"#, headers: [.ifMatch: "12345"])
            #expect(malformed.status == .badRequest && malformed.text.contains("If-Match"), "\(malformed.text)")
            for value in ["", " ", "\"1\",", "\"a\"b\""] {
                let refused = try await me.send(.post, "/api/v1/tasks/\(id)/complete", headers: [.ifMatch: value])
                #expect(refused.status == .badRequest, "'\(value)': \(refused.text)")
            }
            // Without If-Match a change is made as before; then a delete with the current ETag deletes.
            let plain = try await me.patch("/api/v1/tasks/\(id)", #"{"title": "Plan"}"#)
            #expect(plain.status == .ok)
            let current = try #require(plain.headers[.eTag])
            #expect(try await me.send(.delete, "/api/v1/tasks/\(id)", headers: [.ifMatch: current]).status == .noContent)
            #expect(try await me.send(.delete, "/api/v1/tasks/\(id)", headers: [.ifMatch: "*"]).status == .notFound)
            // A preview is no stored task: no ETag.
            let preview = try await me.post("/api/v1/tasks/quick/preview", #"{"text": "call mom tomorrow"}"#)
            #expect(preview.status == .ok && preview.headers[.eTag] == nil)
        }
    }

    @Test("another user's tasks answer 404 and stay untouched", arguments: TestBackend.available)
    func isolation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (alice, _) = try await api.registered()
            let (mallory, _) = try await api.registered()
            let task = try await alice.createTask(#"{"title": "alice's secret", "tags": ["private"]}"#)
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v1/tasks/\(task.id)", nil), (.patch, "/api/v1/tasks/\(task.id)", #"{"title": "pwned"}"#),
                (.delete, "/api/v1/tasks/\(task.id)", nil), (.post, "/api/v1/tasks/\(task.id)/complete", nil),
                (.post, "/api/v1/tasks/\(task.id)/reopen", nil),
            ]
            for (method, path, body) in attempts {
                let response = try await mallory.send(method, path, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            #expect(try await mallory.post("/api/v1/tasks/bulk", #"{"action": "delete", "ids": [\#(task.id)]}"#).text == #"{"affected":0}"#)
            #expect(try await mallory.post("/api/v1/tasks/bulk", #"{"action": "complete", "filter": {"status": "all"}}"#).text == #"{"affected":0}"#)
            #expect(try await mallory.get("/api/v1/tasks?q=secret").decode(TaskListBody.self).items.isEmpty)
            #expect(try await mallory.get("/api/v1/tags").text == "[]")
            let intact: TaskBody = try await alice.get("/api/v1/tasks/\(task.id)").decode()
            #expect(intact == task)
        }
    }

    @Test("bad input gets the documented 4xx and stores nothing", arguments: TestBackend.available)
    func badInput(_ backend: TestBackend) async throws {
        try await withAPI(backend, settings: ["taskpilot.max.body.bytes": "4096"]) { api in
            let (me, _) = try await api.registered()
            let existing = try await me.createTask(#"{"title": "keep me"}"#)
            let huge = "{\"title\": \"x\", \"description\": \"\(String(repeating: "y", count: 5000))\"}"
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (.post, "/api/v1/tasks", "{not json", .badRequest, "invalid_json"),
                (.post, "/api/v1/tasks", "[]", .badRequest, "invalid_json"),
                (.post, "/api/v1/tasks", "", .badRequest, "invalid_json"),
                (.post, "/api/v1/tasks", #"{"title": 12}"#, .unprocessableContent, "validation_failed"),
                (.post, "/api/v1/tasks", #"{"description": "no title"}"#, .unprocessableContent, "validation_failed"),
                (.post, "/api/v1/tasks", #"{"title": "a", "priority": "critical-ish"}"#, .unprocessableContent, "validation_failed"),
                (.post, "/api/v1/tasks", #"{"title": "a", "due_at": "someday"}"#, .unprocessableContent, "validation_failed"),
                (.post, "/api/v1/tasks", #"{"title": "a", "recurrence": {"frequency": "daily"}}"#, .unprocessableContent, "validation_failed"),
                (
                    .post, "/api/v1/tasks", #"{"title": "a", "reminders": [{"offset_minutes": 99999999}], "due_at": "2026-12-01"}"#,
                    .unprocessableContent, "validation_failed"
                ),
                (.post, "/api/v1/tasks", huge, .contentTooLarge, "payload_too_large"),
                (.get, "/api/v1/notifications?unread=maybe", nil, .badRequest, "invalid_parameter"),
                // PostgreSQL cannot store U+0000: refused in any field of any body, never a 500.
                (.post, "/api/v1/tasks", #"{"title": "a\u0000b"}"#, .badRequest, "invalid_json"),
                (.post, "/api/v1/tasks/quick", #"{"text": "call\u0000bob tomorrow"}"#, .badRequest, "invalid_json"),
                (.patch, "/api/v1/auth/me", #"{"name": "x\u0000"}"#, .badRequest, "invalid_json"),
                (.post, "/api/v1/tokens", #"{"name": "x\u0000"}"#, .badRequest, "invalid_json"),
                (.post, "/api/v1/chat", #"{"message": "add x\u0000 tomorrow"}"#, .badRequest, "invalid_json"),
                (.patch, "/api/v1/tasks/\(existing.id)", #"{"title": ""}"#, .unprocessableContent, "validation_failed"),
                (.patch, "/api/v1/tasks/\(existing.id)", #"{"tags": "a,b c"}"#, .unprocessableContent, "validation_failed"),
                (.patch, "/api/v1/tasks/\(existing.id)", "nope", .badRequest, "invalid_json"),
                (.patch, "/api/v1/tasks/\(existing.id)", huge, .contentTooLarge, "payload_too_large"),
                (.get, "/api/v1/tasks/abc", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks/-1", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks/99999999999999999999999", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks/987654321", nil, .notFound, "not_found"),
                (.delete, "/api/v1/tasks/987654321", nil, .notFound, "not_found"),
                (.post, "/api/v1/tasks/987654321/complete", nil, .notFound, "not_found"),
                (.get, "/api/v1/tasks?sort=colour", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?sort=due_at:sideways", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?status=maybe", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?priority=p7", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?limit=0", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?limit=100000", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?due_before=tomorrow", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?overdue=perhaps", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/tasks?cursor=garbage", nil, .badRequest, "invalid_parameter"),
                (.get, "/api/v1/nothing-here", nil, .notFound, "not_found"),
            ]
            for (method, path, body, status, code) in cases {
                let response = try await me.send(method, path, json: body)
                #expect(response.status == status, "\(method) \(path) \(body?.prefix(60) ?? ""): \(response.text.prefix(300))")
                #expect(response.error?.code == code, "\(method) \(path)")
                #expect(response.error?.message.isEmpty == false)
            }
            // Messages read after their field's name, once, and say what is wrong.
            for (path, json, message) in [
                (
                    "/api/v1/tasks", #"{"title": "a", "due_at": "0001-01-01T00:00:00Z"}"#,
                    "due_at has the year 1; dates from the year 1583 to 9999 are taken"
                ),
                ("/api/v1/tasks", #"{"title": "a", "tags": ["a b"]}"#, "tags 'a b' is not a tag: a tag holds only letters, digits and - _ . / : + &"),
            ] {
                let response = try await me.post(path, json)
                #expect(response.error?.message == message, "\(response.text)")
            }
            let priority = try await me.get("/api/v1/tasks?priority=huge")
            #expect(priority.error?.message == "priority 'huge' is not a priority; use none, low, medium, high, urgent", "\(priority.text)")
            let remaining: TaskListBody = try await me.get("/api/v1/tasks").decode()
            #expect(remaining.items == [existing])
        }
    }

    @Test("a field a body does not take is refused, naming the one meant; a resource as read can be sent back", arguments: TestBackend.available)
    func unknownFields(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let kept = try await me.createTask(#"{"title": "keep me", "status": "completed"}"#)
            let cases: [(HTTPRequest.Method, String, String, String, String)] = [
                (.post, "/api/v1/tasks", #"{"title": "a", "due_date": "2026-12-10"}"#, "due_date", "did you mean due_at?"),
                (.post, "/api/v1/tasks", #"{"title": "a", "tag": ["x"]}"#, "tag", "did you mean tags?"),
                (
                    .post, "/api/v1/tasks", #"{"title": "a", "due_at": "2026-12-10", "recurrence": {"frequency": "daily", "intervall": 2}}"#,
                    "recurrence.intervall", "did you mean interval?"
                ),
                (
                    .post, "/api/v1/tasks", #"{"title": "a", "due_at": "2026-12-10", "reminders": [{"minutes": 30}]}"#, "reminders[0].minutes",
                    "did you mean offset_minutes?"
                ),
                (.patch, "/api/v1/tasks/\(kept.id)", #"{"titel": "renamed"}"#, "titel", "did you mean title?"),
                // A misspelt filter would widen a bulk delete to every task.
                (.post, "/api/v1/tasks/bulk", #"{"action": "delete", "filter": {"stauts": "completed"}}"#, "filter.stauts", "did you mean status?"),
                (.post, "/api/v1/tasks/bulk", #"{"action": "delete", "ids": [1], "force": true}"#, "force", "the fields are action, ids, filter"),
                (.post, "/api/v1/tasks/quick", #"{"title": "call mom"}"#, "title", "the fields are text"),
                (.patch, "/api/v1/auth/me", #"{"time_zone": "Europe/Paris"}"#, "time_zone", "did you mean timezone?"),
                (.post, "/api/v1/tokens", #"{"name": "ci", "expires_in": 30}"#, "expires_in", "did you mean expires_in_days?"),
                (.post, "/api/v1/chat", #"{"text": "what's due today?"}"#, "text", "the fields are message, conversation_id"),
            ]
            for (method, path, body, field, hint) in cases {
                let response = try await me.send(method, path, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                let detail = response.error?.details?.first { $0.field == field }
                #expect(detail?.message.contains(hint) == true, "\(body): \(response.text)")
                #expect(detail?.message.hasPrefix("is not a field here") == true, "\(body): \(response.text)")
            }
            // The listing refuses a parameter it does not read: `page` would answer the first page again.
            for (path, field, hint) in [
                ("/api/v1/tasks?page=2", "page", "did you mean cursor?"), ("/api/v1/tasks?priorty=high", "priorty", "did you mean priority?"),
                ("/api/v1/tasks?sort_by=title", "sort_by", "did you mean sort?"),
                // A name given twice: one value would silently win.
                ("/api/v1/tasks?priority=high&priority=urgent", "priority", "comma-separated"),
                ("/api/v1/tasks?q=a&q=b", "q", "given more than once; give it once"),
            ] {
                let response = try await me.get(path)
                #expect(response.status == .badRequest, "\(path): \(response.text)")
                #expect(response.error?.details?.first?.field == field, "\(path): \(response.text)")
                #expect(response.error?.message.contains(hint) == true, "\(path): \(response.text)")
            }
            #expect(try await me.get("/api/v1/tasks?_=1733300000&tag=x").status == .ok)
            #expect(!(try await me.get("/api/v1/tasks?q=a&q=b").text.contains("comma-separated")))
            // A pair without a name (a stray "&") says nothing: it is left out.
            #expect(try await me.get("/api/v1/tasks?&limit=1").status == .ok)
            #expect(try await me.get("/api/v1/tasks?limit=1&&status=all").status == .ok)
            // Quick add without its field still says which one it needs.
            let quick = try await me.post("/api/v1/tasks/quick", #"{"title": "call mom"}"#)
            #expect(quick.error?.details?.contains { $0.field == "text" } == true, "\(quick.text)")
            let page: TaskListBody = try await me.get("/api/v1/tasks?status=all").decode()
            #expect(page.items == [kept])
            #expect(try await me.get("/api/v1/tokens").text == "[]")
            let user: UserBody = try await me.get("/api/v1/auth/me").decode()
            #expect(user.timezone == "UTC")

            // A task as the API shows it, read-only fields and all, goes back as a change.
            let task = try await me.createTask(
                #"{"title": "pay rent", "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 60}], "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#
            )
            let shown = try await me.get("/api/v1/tasks/\(task.id)").text
            let changed = shown.replacingOccurrences(of: #""title":"pay rent""#, with: #""title":"pay the rent""#)
            let saved = try await me.patch("/api/v1/tasks/\(task.id)", changed)
            #expect(saved.status == .ok, "\(saved.text)")
            let after: TaskBody = try saved.decode()
            #expect(after.title == "pay the rent")
            #expect(after.reminders.map(\.offset_minutes) == [60])
            #expect(after.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=1")
            let whole = try await me.get("/api/v1/auth/me").text.replacingOccurrences(of: #""timezone":"UTC""#, with: #""timezone":"Europe/Paris""#)
            let renamed = try await me.patch("/api/v1/auth/me", whole)
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(try renamed.decode(UserBody.self).timezone == "Europe/Paris")
        }
    }
}

@Suite("Quick add API")
struct QuickAddAPITests {
    @Test("quick add creates the task it previews", arguments: TestBackend.available)
    func quickAdd(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let text = #"{"text": "Pay rent every month on the 1st 9am p1 #home remind me 1 day before"}"#
            let preview = try await me.post("/api/v1/tasks/quick/preview", text)
            #expect(preview.status == .ok)
            let previewed: TaskBody = try preview.decode()
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.isEmpty)
            let created = try await me.post("/api/v1/tasks/quick", text)
            #expect(created.status == .created)
            let task: TaskBody = try created.decode()
            #expect(task.title == "Pay rent" && previewed.title == "Pay rent")
            #expect(task.priority == "urgent" && task.tags == ["home"])
            #expect(task.recurrence?.text == "every month on the 1st")
            #expect(task.due_at == previewed.due_at)
            #expect(task.due_at?.hasSuffix("T08:00:00Z") == true)
            #expect(task.reminders.map(\.offset_minutes) == [1440])
            // The limits of a task written as JSON hold for one typed in words.
            let manyTags = (1...21).map { "#t\($0)" }.joined(separator: " ")
            let manyReminders = (1...11).map { "remind me \($0) hours before" }.joined(separator: " ")
            for body in [
                #"{}"#, #"{"text": ""}"#, #"{"text": 5}"#, #"{"text": "tomorrow 9am"}"#, #"{"text": "tags \#(manyTags)"}"#,
                #"{"text": "x tomorrow 9am \#(manyReminders)"}"#, #"{"text": "\#(String(repeating: "long ", count: 60))tomorrow"}"#,
            ] {
                let response = try await me.post("/api/v1/tasks/quick", body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
            }
            // The preview says what adding would: a title over the limit is the same 422.
            let long = try await me.post("/api/v1/tasks/quick/preview", #"{"text": "\#(String(repeating: "x", count: 205))"}"#)
            #expect(long.status == .unprocessableContent && long.error?.details?.first?.field == "text", "\(long.text)")
            let tagged = try await me.post("/api/v1/tasks/quick/preview", #"{"text": "tags \#(manyTags)"}"#)
            #expect(tagged.status == .unprocessableContent && tagged.error?.details?.first?.field == "tags", "\(tagged.text)")
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 1)
        }
    }
}

extension TaskAPITests {
    @Test("moving the due date of a monthly task moves that occurrence, not the rule's day", arguments: TestBackend.available)
    func movingDueKeepsMonthDay(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            for recurrence in [#"{"frequency": "monthly", "by_month_day": [1]}"#, #"{"rrule": "FREQ=MONTHLY;BYMONTHDAY=1"}"#] {
                let task = try await me.createTask(#"{"title": "rent", "due_at": "2027-01-01T09:00", "recurrence": \#(recurrence)}"#)
                let response = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2027-01-04T09:00"}"#)
                #expect(response.status == .ok, "\(response.text)")
                let moved: TaskBody = try response.decode()
                #expect(moved.due_at == "2027-01-04T08:00:00Z")
                #expect(moved.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=1", "\(recurrence)")
                #expect(moved.recurrence?.by_month_day == [1])
                #expect(moved.recurrence?.text == "every month on the 1st")
            }
        }
    }

    @Test("a yearly task shows its month in its rule and sentence, and takes the rule back as shown", arguments: TestBackend.available)
    func yearlyMonth(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "America/New_York")
            let task = try await me.createTask(#"{"title": "birthday", "due_at": "2027-03-03", "recurrence": {"frequency": "yearly"}}"#)
            #expect(task.recurrence?.rrule == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3")
            #expect(task.recurrence?.text == "every year on March 3")
            let resent = try await me.patch("/api/v1/tasks/\(task.id)", #"{"recurrence": {"rrule": "\#(task.recurrence!.rrule)"}}"#)
            #expect(resent.status == .ok, "\(resent.text)")
            #expect(try resent.decode(TaskBody.self).recurrence == task.recurrence)
            let other = try await me.patch("/api/v1/tasks/\(task.id)", #"{"recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=3"}}"#)
            #expect(other.status == .unprocessableContent && other.error?.details?.first?.field == "recurrence.rrule", "\(other.text)")
            // Moving the date moves the whole yearly rule (its month is the due date's, so its day follows too).
            let moved = try await me.patch("/api/v1/tasks/\(task.id)", #"{"due_at": "2027-04-05"}"#).decode(TaskBody.self)
            #expect(moved.recurrence?.rrule == "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=5" && moved.recurrence?.text == "every year on April 5")
            let last = try await me.createTask(
                #"{"title": "leap", "due_at": "2028-02-29", "recurrence": {"frequency": "yearly", "by_month_day": [-1]}}"#
            )
            let lastMoved = try await me.patch("/api/v1/tasks/\(last.id)", #"{"due_at": "2028-03-31"}"#).decode(TaskBody.self)
            #expect(lastMoved.recurrence?.text == "every year on the last day of March")
            // A day its month never has is refused, and nothing is stored.
            let never = try await me.post(
                "/api/v1/tasks",
                #"{"title": "x", "due_at": "2027-02-10", "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}"#
            )
            #expect(never.status == .unprocessableContent && never.error?.details?.map(\.field) == ["recurrence.by_month_day"], "\(never.text)")
            let leapDay = try await me.createTask(
                #"{"title": "leap day", "due_at": "2028-02-29", "recurrence": {"frequency": "yearly", "by_month_day": [29]}}"#
            )
            #expect(leapDay.recurrence?.text == "every year on February 29")
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 3)
        }
    }

    @Test("a weekday's position in the month (the first Friday): structured, as RRULE, stored and sent back", arguments: TestBackend.available)
    func weekdayPosition(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let task = try await me.createTask(
                #"{"title": "book club", "due_at": "2026-12-04T19:00", "recurrence": {"frequency": "monthly", "by_weekday": ["fri"], "by_set_position": [1]}}"#
            )
            #expect(task.recurrence?.by_weekday == ["FR"] && task.recurrence?.by_set_position == [1])
            #expect(task.recurrence?.by_month_day == [], "a weekday's position is not anchored on the due date's day")
            #expect(task.recurrence?.rrule == "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=1")
            #expect(task.recurrence?.text == "every month on the first Friday")
            #expect(try await me.get("/api/v1/tasks/\(task.id)").decode(TaskBody.self).recurrence == task.recurrence)
            // RFC 5545's ordinal form reads as the same kind of rule.
            let last = try await me.patch("/api/v1/tasks/\(task.id)", #"{"recurrence": {"rrule": "FREQ=MONTHLY;BYDAY=-1FR"}}"#)
            #expect(last.status == .ok, "\(last.text)")
            #expect(try last.decode(TaskBody.self).recurrence?.text == "every month on the last Friday")
            let shown = try await me.get("/api/v1/tasks/\(task.id)").text
            #expect(try await me.patch("/api/v1/tasks/\(task.id)", shown).decode(TaskBody.self).recurrence?.by_set_position == [-1])
            let workdays = try await me.createTask(
                #"{"title": "invoices", "due_at": "2026-12-31", "recurrence": {"rrule": "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"}}"#
            )
            #expect(workdays.recurrence?.text == "every month on the last weekday")

            // Wrong ones say what to give instead, and change nothing.
            let wrong: [(String, String)] = [
                (#"{"frequency": "weekly", "by_weekday": ["FR"], "by_set_position": [1]}"#, "recurrence.by_set_position"),
                (#"{"frequency": "monthly", "by_weekday": ["FR"], "by_set_position": [6]}"#, "recurrence.by_set_position"),
                (#"{"frequency": "monthly", "by_weekday": ["FR"], "by_set_position": [0]}"#, "recurrence.by_set_position"),
                (#"{"frequency": "monthly", "by_weekday": ["FR"], "by_set_position": ["first"]}"#, "recurrence.by_set_position[0]"),
                (#"{"frequency": "monthly", "by_set_position": [1]}"#, "recurrence.by_set_position"),
                (#"{"frequency": "monthly", "by_weekday": ["FR"]}"#, "recurrence.by_weekday"),
                (#"{"frequency": "monthly", "by_month_day": [1], "by_weekday": ["FR"], "by_set_position": [1]}"#, "recurrence.by_set_position"),
                (#"{"rrule": "FREQ=MONTHLY;BYDAY=1MO,1FR"}"#, "recurrence.rrule"),
            ]
            for (recurrence, field) in wrong {
                let response = try await me.patch("/api/v1/tasks/\(task.id)", #"{"recurrence": \#(recurrence)}"#)
                #expect(response.status == .unprocessableContent, "\(recurrence): \(response.text)")
                #expect(response.error?.details?.contains { $0.field == field } == true, "\(recurrence): \(response.text)")
            }
            #expect(try await me.get("/api/v1/tasks/\(task.id)").decode(TaskBody.self).recurrence?.rrule == "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1")
        }
    }

    @Test("a date-only RRULE UNTIL ends the series at the end of that day in the user's zone", arguments: TestBackend.available)
    func rruleUntilDate(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let fromRRule = try await me.createTask(
                #"{"title": "a", "due_at": "2026-12-09T00:30", "recurrence": {"rrule": "FREQ=DAILY;UNTIL=20261210"}}"#
            )
            let fromField = try await me.createTask(
                #"{"title": "b", "due_at": "2026-12-09T00:30", "recurrence": {"frequency": "daily", "until": "2026-12-10"}}"#
            )
            #expect(fromRRule.recurrence?.until == "2026-12-10T22:59:59Z")
            #expect(fromRRule.recurrence?.text == "every day until Dec 10, 2026")
            #expect(fromRRule.recurrence?.rrule == "FREQ=DAILY;UNTIL=20261210T225959Z")
            #expect(fromRRule.recurrence == fromField.recurrence)
        }
    }

    @Test("a series at a wall-clock time that a daylight-saving gap skips shows the plain rule", arguments: TestBackend.available)
    func gapTimeShowsPlainRule(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let task = try await me.createTask(#"{"title": "a", "due_at": "2027-03-27T02:30", "recurrence": {"frequency": "daily"}}"#)
            #expect(task.due_at == "2027-03-27T01:30:00Z")
            #expect(task.recurrence?.rrule == "FREQ=DAILY")
            let read: TaskBody = try await me.get("/api/v1/tasks/\(task.id)").decode()
            #expect(read.recurrence == task.recurrence)
        }
    }

    @Test("a reminder at a time that has passed is refused, said in the user's time zone")
    func pastReminderInTheUsersZone() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered(timezone: "America/New_York")
            let response = try await me.post("/api/v1/tasks", #"{"title": "late", "reminders": [{"at": "2020-01-01T13:00:00Z"}]}"#)
            #expect(response.status == .unprocessableContent)
            let message = response.error?.details?.first { $0.field == "reminders[0].at" }?.message ?? ""
            #expect(message.contains("08:00 (America/New_York) has passed") && !message.contains("13:00"), "\(response.text)")
        }
    }
}
