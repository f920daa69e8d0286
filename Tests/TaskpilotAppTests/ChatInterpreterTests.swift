// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import HTTPTypes
import HummingbirdTesting
import TaskpilotCore
import TaskpilotTestSupport
import Testing

/// The offline interpreter's finer points: what a confirmation, "it", a named day or a move refer to.
@Suite("The offline interpreter's references")
struct ChatInterpreterTests {
    static let zone = TimeZone(identifier: "Europe/Paris")!

    /// The due date of a task as a day and a time of day in Paris.
    static func local(_ task: TaskBody) -> DateComponents? {
        guard let text = task.due_at, let date = Timestamp.parse(text, timeZone: zone)?.date else { return nil }
        return Calendar.taskpilot(zone).dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
    }

    static func ids(_ call: ChatReplyBody.Call?) -> [Int64] {
        (call?.arguments["ids"]?.arrayValue ?? []).compactMap(\.int64Value).sorted()
    }

    @Test("a title is shown as typed: its brackets make no link or image, its backslashes and stars no emphasis")
    func titlesEscaped() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            let title = #"[click me](javascript:alert(1)) ![i](http://127.0.0.1/t.png) a\*b* ~c~"#
            _ = try await me.createTask("{\"title\": \"\(title.replacingOccurrences(of: "\\", with: "\\\\"))\", \"tags\": [\"zz\"]}")
            let reply = try await me.chat("show tasks tagged zz")
            #expect(reply.response.contains(#"\[click me\](javascript:alert(1)) !\[i\](http://127.0.0.1/t.png) a\\\*b\* \~c\~"#), "\(reply.response)")
        }
    }

    @Test("'yes' to a bulk delete deletes exactly the tasks that were shown, and says which were gone")
    func confirmationActsOnShownTasks() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            var shown: [Int64] = []
            for index in 0..<5 { shown.append(try await me.createTask("{\"title\": \"chore \(index)\"}").id) }
            let ask = try await me.chat("delete all tasks")
            #expect(ask.response.contains("Reply **yes**"))

            _ = try await me.createTask(#"{"title": "added meanwhile"}"#)
            #expect(try await me.delete("/api/v1/tasks/\(shown[0])").status == .noContent)
            let yes = try await me.chat("yes", in: ask.conversation_id)

            #expect(yes.tool_calls.map(\.name) == ["bulk_tasks"])
            #expect(Self.ids(yes.tool_calls.first) == shown.sorted())
            #expect(yes.tool_calls.first?.arguments["filter"] == nil)
            #expect(yes.response.contains("deleted 4 tasks") && yes.response.contains("1 of the 5 tasks"), "\(yes.response)")
            #expect(try await me.get("/api/v1/tasks?status=all").decode(TaskListBody.self).items.map(\.title) == ["added meanwhile"])
        }
    }

    @Test(
        "'complete all tasks' completes the pending tasks instead of looking for completed ones",
        arguments: ["mark all tasks complete", "mark all tasks as done", "complete all tasks", "complete all my tasks"]
    )
    func completeAll(_ message: String) async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            for title in ["one", "two", "three"] { _ = try await me.createTask("{\"title\": \"\(title)\"}") }

            let reply = try await me.chat(message)

            #expect(reply.tool_calls.map(\.name) == ["list_tasks", "bulk_tasks"], "\(reply.response)")
            #expect(reply.response.contains("completed 3 tasks"), "\(reply.response)")
            #expect(try await me.get("/api/v1/tasks?status=pending").decode(TaskListBody.self).items.isEmpty)
        }
    }

    @Test("'complete all tasks tagged work' completes only those; completing many asks first and acts on the tasks shown")
    func completeAllTaggedAndMany() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            _ = try await me.createTask(#"{"title": "standup", "tags": ["work"]}"#)
            _ = try await me.createTask(#"{"title": "review", "tags": ["work"]}"#)
            _ = try await me.createTask(#"{"title": "laundry", "tags": ["home"]}"#)

            let tagged = try await me.chat("complete all tasks tagged work")
            #expect(tagged.response.contains("completed 2 tasks"), "\(tagged.response)")
            #expect(try await me.get("/api/v1/tasks?status=pending").decode(TaskListBody.self).items.map(\.title) == ["laundry"])

            var shown: [Int64] = []
            for index in 0..<4 { shown.append(try await me.createTask("{\"title\": \"chore \(index)\"}").id) }
            shown.append(try await me.get("/api/v1/tasks?q=laundry").decode(TaskListBody.self).items[0].id)
            let ask = try await me.chat("mark all tasks as done")
            #expect(ask.response.contains("Reply **yes**"), "\(ask.response)")
            #expect(!ask.tool_calls.contains { $0.name == "bulk_tasks" })
            _ = try await me.createTask(#"{"title": "added meanwhile"}"#)
            let yes = try await me.chat("yes", in: ask.conversation_id)
            #expect(Self.ids(yes.tool_calls.first) == shown.sorted())
            #expect(yes.response.contains("completed 5 tasks"), "\(yes.response)")
            #expect(try await me.get("/api/v1/tasks?status=pending").decode(TaskListBody.self).items.map(\.title) == ["added meanwhile"])
        }
    }

    @Test("'it' is the task last acted on, not the first row of a list; a list alone leaves 'it' open")
    func pronounAfterList() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            _ = try await me.createTask(#"{"title": "older chore", "due_at": "2020-01-01"}"#)
            let added = try await me.chat("add water the garden tomorrow")
            _ = try await me.chat("list my tasks", in: added.conversation_id)

            let urgent = try await me.chat("make it urgent", in: added.conversation_id)

            #expect(urgent.tool_calls.map(\.name) == ["update_task"])
            #expect(urgent.response.contains("Water the garden"), "\(urgent.response)")
            #expect(try await me.get("/api/v1/tasks?q=garden").decode(TaskListBody.self).items.map(\.priority) == ["urgent"])
            #expect(try await me.get("/api/v1/tasks?q=older").decode(TaskListBody.self).items.map(\.priority) == ["none"])

            let list = try await me.chat("list my tasks")
            let unknown = try await me.chat("make it urgent", in: list.conversation_id)
            #expect(unknown.tool_calls.isEmpty)
            #expect(unknown.response.contains("Which task do you mean?"), "\(unknown.response)")

            let single = try await me.chat("search for older")
            let low = try await me.chat("make it low priority", in: single.conversation_id)
            #expect(low.response.contains("older chore"), "\(low.response)")
        }
    }

    @Test(
        "a question about a named day lists the tasks due that day",
        arguments: [
            ("what's due on friday?", "Gym session"), ("what do I have on friday?", "Gym session"), ("what's due on dec 24?", "Wrap presents"),
            ("show tasks due next tuesday", "Team lunch"),
        ]
    )
    func namedDay(_ message: String, _ expected: String) async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            for add in ["add gym session friday 3pm", "add wrap presents dec 24", "add team lunch next tuesday", "add undated thing"] {
                _ = try await me.chat(add)
            }
            _ = try await me.createTask(#"{"title": "long ago thing", "due_at": "2020-01-01T10:00:00Z"}"#)

            let reply = try await me.chat(message)

            #expect(reply.tool_calls.map(\.name) == ["list_tasks"])
            let arguments = reply.tool_calls.first?.arguments
            #expect(arguments?["due_after"] != nil && arguments?["due_before"] != nil, "\(String(describing: arguments))")
            #expect(reply.response.contains(expected), "\(reply.response)")
            #expect(!reply.response.contains("Undated thing") && !reply.response.contains("long ago thing"), "\(reply.response)")
        }
    }

    @Test(
        "'show task 12' shows that task and puts it in focus",
        arguments: ["show task %d", "show me task %d", "details of task %d", "what is task %d?"]
    )
    func showTask(_ template: String) async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered()
            let task = try await me.createTask(#"{"title": "secret sauce", "description": "two spoons of honey", "tags": ["kitchen"]}"#)
            _ = try await me.createTask(#"{"title": "other thing"}"#)

            let reply = try await me.chat(template.replacingOccurrences(of: "%d", with: String(task.id)))

            #expect(reply.response.contains("secret sauce") && reply.response.contains("two spoons of honey"), "\(reply.response)")
            #expect(!reply.response.contains("other thing"), "\(reply.response)")
            let urgent = try await me.chat("make it urgent", in: reply.conversation_id)
            #expect(urgent.response.contains("secret sauce"), "\(urgent.response)")
        }
    }

    @Test("moving to a day keeps the time of day; moving to a time keeps the day")
    func moveKeepsTheOtherHalf() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            _ = try await me.chat("add dentist friday 3pm")
            func dentist() async throws -> TaskBody { try await me.get("/api/v1/tasks?q=dentist").decode(TaskListBody.self).items[0] }
            let before = try await dentist()

            _ = try await me.chat("move dentist to tuesday")
            let tuesday = try await dentist()
            #expect(!tuesday.all_day)
            #expect(Self.local(tuesday)?.weekday == 3 && Self.local(tuesday)?.hour == 15 && Self.local(tuesday)?.minute == 0)

            _ = try await me.chat("move dentist to 4pm")
            let later = try await dentist()
            #expect(Self.local(later)?.day == Self.local(tuesday)?.day && Self.local(later)?.hour == 16)
            #expect(Self.local(before)?.hour == 15)

            _ = try await me.chat("add taxes friday")
            _ = try await me.chat("move taxes to monday")
            let taxes = try await me.get("/api/v1/tasks?q=taxes").decode(TaskListBody.self).items[0]
            #expect(taxes.all_day && Self.local(taxes)?.weekday == 2)
            _ = try await me.chat("move taxes to 9am")
            let timed = try await me.get("/api/v1/tasks?q=taxes").decode(TaskListBody.self).items[0]
            #expect(!timed.all_day && Self.local(timed)?.day == Self.local(taxes)?.day && Self.local(timed)?.hour == 9)

            _ = try await me.chat("add read the book")
            _ = try await me.chat("move read the book to 4pm")
            let book = try await me.get("/api/v1/tasks?q=book").decode(TaskListBody.self).items[0]
            #expect(!book.all_day && Self.local(book)?.hour == 16)
        }
    }
}
