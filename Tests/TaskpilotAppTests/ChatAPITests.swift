// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
import HTTPTypes
import HummingbirdTesting
import TaskpilotApp
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

struct ChatReplyBody: Decodable {
    struct Call: Decodable {
        let name: String
        let arguments: JSONValue
    }
    let conversation_id: String
    let response: String
    let tool_calls: [Call]
}

struct ConversationBody: Decodable {
    struct Message: Decodable {
        let role: String
        let content: String
    }
    let id: String
    let title: String
    let messages: [Message]?
}

extension APIClient {
    /// Sends a chat message in a conversation and returns the reply.
    func chat(_ message: String, in conversation: String? = nil) async throws -> ChatReplyBody {
        var body: [String: String] = ["message": message]
        body["conversation_id"] = conversation
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let response = try await post("/api/v1/chat", json)
        #expect(response.status == .ok, "\(message): \(response.text)")
        return try response.decode()
    }
}

@Suite("Chat with the offline interpreter")
struct ChatAPITests {
    @Test("a conversation that adds, lists, refers back, changes and completes tasks", arguments: TestBackend.available)
    func conversation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Paris")
            let first = try await me.chat("add pay rent every month on the 1st 9am p1 #home")
            let id = first.conversation_id
            #expect(first.tool_calls.map(\.name) == ["add_task"])
            #expect(first.response.contains("Pay rent"))
            let tasks = try await me.get("/api/v1/tasks").decode(TaskListBody.self).items
            #expect(tasks.count == 1 && tasks[0].recurrence?.text == "every month on the 1st" && tasks[0].priority == "urgent")

            _ = try await me.chat("remind me to call the dentist tomorrow at 10am", in: id)
            let made = try await me.chat("make it high priority", in: id)
            #expect(made.tool_calls.map(\.name) == ["update_task"])
            let dentist = try await me.get("/api/v1/tasks?q=dentist").decode(TaskListBody.self).items.first
            #expect(dentist?.priority == "high")
            #expect(dentist?.reminders.map(\.offset_minutes) == [0])

            // The next seven days: "this week" ends on Sunday, and on a Sunday "tomorrow at 10am" is next week's.
            let week = try await me.chat("what's due in the next week?", in: id)
            #expect(week.tool_calls.map(\.name) == ["list_tasks"])
            #expect(week.response.contains("| ID | Task |") && week.response.contains("dentist"))

            let count = try await me.chat("how many tasks do I have?", in: id)
            #expect(count.response.contains("2"))

            let moved = try await me.chat("move the dentist to friday 3pm", in: id)
            #expect(moved.response.contains("Moved"))
            let done = try await me.chat("mark the dentist as done", in: id)
            #expect(done.tool_calls.map(\.name) == ["complete_task"])
            let reopened = try await me.chat("reopen it", in: id)
            #expect(reopened.tool_calls.map(\.name) == ["reopen_task"])
            _ = try await me.chat("tag the rent with bills", in: id)
            let renamed = try await me.chat("rename the rent to Pay the rent", in: id)
            #expect(renamed.response.contains("Pay the rent"))
            let rent = try await me.get("/api/v1/tasks?tags=bills").decode(TaskListBody.self).items
            #expect(rent.map(\.title) == ["Pay the rent"])

            let stored: ConversationBody = try await me.get("/api/v1/conversations/\(id)").decode()
            #expect(stored.messages?.count == 20)
            let list: [ConversationBody] = try await me.get("/api/v1/conversations").decode()
            #expect(list.map(\.id) == [id])
        }
    }

    @Test("deleting many tasks asks first; 'no' keeps them, 'yes' deletes", arguments: TestBackend.available)
    func confirmation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            for index in 0..<5 { _ = try await me.createTask("{\"title\": \"chore \(index)\"}") }
            let ask = try await me.chat("delete all tasks")
            #expect(ask.response.contains("Reply **yes**"))
            #expect(!ask.tool_calls.contains { $0.name == "bulk_tasks" })
            let keep = try await me.chat("no", in: ask.conversation_id)
            #expect(keep.tool_calls.isEmpty)
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.count == 5)
            let again = try await me.chat("delete all tasks", in: ask.conversation_id)
            let yes = try await me.chat("yes", in: again.conversation_id)
            #expect(yes.tool_calls.map(\.name) == ["bulk_tasks"])
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.isEmpty)
            // "yes" without a pending question does nothing.
            let stray = try await me.chat("yes", in: again.conversation_id)
            #expect(stray.tool_calls.isEmpty && stray.response.hasPrefix("There is no question waiting for a yes"), "\(stray.response)")
        }
    }

    @Test("a task said without a command word is added; 'schedule' adds unless the task exists; importance is a priority")
    func looserPhrasings() async throws {
        try await withAPI(.sqlite) { api in
            let (me, _) = try await api.registered(timezone: "Europe/Berlin")
            let plants = try await me.chat("every other tuesday water the plants")
            #expect(plants.tool_calls.map(\.name) == ["add_task"], "\(plants.response)")
            let dentist = try await me.chat("schedule dentist appointment for Dec 3 at 2:15pm, remind me 1 hour before")
            #expect(dentist.tool_calls.map(\.name) == ["add_task"], "\(dentist.response)")
            let mom = try await me.chat("I need to call mom on friday evening, it's important")
            #expect(mom.tool_calls.map(\.name) == ["add_task"], "\(mom.response)")
            let tasks = try await me.get("/api/v1/tasks?sort=created_at:asc").decode(TaskListBody.self).items
            #expect(tasks.map(\.title) == ["Water the plants", "Dentist appointment", "Call mom"])
            #expect(tasks[0].recurrence?.text == "every 2 weeks on Tuesday")
            #expect(tasks[1].due_at?.contains("-12-03T13:15:00") == true && tasks[1].reminders.map(\.offset_minutes) == [60])
            #expect(tasks[2].priority == "high")
            let slides = try await me.chat("finish the slides by thursday, very important")
            #expect(slides.tool_calls.map(\.name) == ["add_task"], "\(slides.response)")
            #expect(try await me.get("/api/v1/tasks?q=slides").decode(TaskListBody.self).items.map(\.priority) == ["urgent"])
            for smallTalk in ["see you tomorrow", "I'm busy tomorrow", "nothing today", "ok"] {
                let reply = try await me.chat(smallTalk)
                #expect(!reply.tool_calls.contains { $0.name == "add_task" }, "\(smallTalk): \(reply.response)")
            }
            // The task exists now: "schedule" moves it.
            let moved = try await me.chat("schedule the dentist appointment on friday at 9am")
            #expect(moved.tool_calls.map(\.name) == ["update_task"], "\(moved.response)")
            // "cancel everything tagged …" is a bulk delete of those tasks.
            _ = try await me.createTask(#"{"title": "standup", "tags": ["work"]}"#)
            let cancel = try await me.chat("cancel everything tagged work")
            #expect(cancel.tool_calls.map(\.name) == ["list_tasks", "delete_task"], "\(cancel.response)")
            #expect(try await me.get("/api/v1/tasks?tags=work").decode(TaskListBody.self).items.isEmpty)
        }
    }

    @Test("greetings, help and nonsense change nothing", arguments: TestBackend.available)
    func harmless(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            _ = try await me.createTask(#"{"title": "keep"}"#)
            for message in ["hello", "help", "asdf qwerty", "what can you do?", "🙂", "DROP TABLE tasks;", "complete", "delete"] {
                let reply = try await me.chat(message)
                #expect(!reply.response.isEmpty)
                #expect(!reply.tool_calls.contains { ["delete_task", "bulk_tasks", "complete_task", "update_task"].contains($0.name) }, "\(message)")
            }
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.map(\.title) == ["keep"])
            // Asking for a new conversation says how; it is not a task called "New chat", and nothing is cleared.
            for message in [
                "new chat", "Start over.", "let's start a new conversation", "clear the chat please", "how do I start a new conversation?",
                "can we start over please",
            ] {
                let reply = try await me.chat(message)
                #expect(reply.tool_calls.isEmpty && reply.response.contains("New conversation"), "\(message): \(reply.response)")
            }
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.map(\.title) == ["keep"])
        }
    }

    @Test("no phrasing reaches another user's tasks or conversations", arguments: TestBackend.available)
    func isolation(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (alice, aliceAuth) = try await api.registered()
            let (mallory, _) = try await api.registered()
            let secret = try await alice.createTask(#"{"title": "alice secret plan", "tags": ["private"]}"#)
            let aliceChat = try await alice.chat("list my tasks")
            for message in [
                "complete task \(secret.id)", "delete task \(secret.id)", "delete the secret plan", "rename task \(secret.id) to pwned",
                "delete all tasks", "yes", "show tasks tagged private", "search for secret", "move task \(secret.id) to tomorrow",
                "complete task \(secret.id) for user \(aliceAuth.user.id)", "as \(aliceAuth.user.email), delete task \(secret.id)",
            ] {
                let reply = try await mallory.chat(message)
                #expect(!reply.response.contains("alice secret plan"), "\(message)")
            }
            let other = try await mallory.post("/api/v1/chat", #"{"message": "hi", "conversation_id": "\#(aliceChat.conversation_id)"}"#)
            #expect(other.status == .notFound)
            #expect(try await mallory.get("/api/v1/conversations/\(aliceChat.conversation_id)").status == .notFound)
            #expect(try await mallory.delete("/api/v1/conversations/\(aliceChat.conversation_id)").status == .notFound)
            let intact: TaskBody = try await alice.get("/api/v1/tasks/\(secret.id)").decode()
            #expect(intact == secret)
        }
    }

    @Test("bad chat input is a 4xx, and the per-user rate limit answers 429", arguments: TestBackend.available)
    func badInputAndRateLimit(_ backend: TestBackend) async throws {
        try await withAPI(backend, settings: ["taskpilot.chat.per.minute": "3"]) { api in
            let (me, auth) = try await api.registered()
            for body in [#"{}"#, #"{"message": ""}"#, #"{"message": 5}"#, #"{"message": "hi", "conversation_id": "nope"}"#] {
                #expect(try await me.post("/api/v1/chat", body).status == .unprocessableContent, "\(body)")
            }
            #expect(try await me.post("/api/v1/chat", #"{"message": "hi", "conversation_id": "\#(UUID().uuidString)"}"#).status == .notFound)
            let compat = try await me.post("/api/\(auth.user.id)/chat", #"{"message": "hello"}"#)
            #expect(compat.status == .ok)
            // The not-found conversation and the compatibility route counted too: this is the third message.
            _ = try await me.chat("hello")
            let limited = try await me.post("/api/v1/chat", #"{"message": "hello"}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.error?.code == "rate_limited")
        }
    }

    @Test("a restart between two messages of a conversation changes nothing")
    func restart() async throws {
        try await TestBackend.sqlite.withFreshDatabaseURL { url in
            func serve(_ body: @Sendable (APIClient) async throws -> Void) async throws {
                let server = try await TaskpilotApp.buildServer(
                    settings: try .init(reader: TestBackend.configReader(databaseURL: url)),
                    logger: TestBackend.logger
                )
                try await server.application.test(.router) { client in try await body(APIClient(client: client)) }
                await server.database.shutdown()
            }
            let state = Box()
            try await serve { api in
                let (me, _) = try await api.registered(email: "restart@example.com")
                let reply = try await me.chat("add water the plants tomorrow")
                await state.set(reply.conversation_id, me.token!)
            }
            try await serve { api in
                let (conversation, token) = await state.values
                let me = APIClient(client: api.client, token: token)
                let reply = try await me.chat("make it urgent", in: conversation)
                #expect(reply.tool_calls.map(\.name) == ["update_task"])
                #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.first?.priority == "urgent")
            }
        }
    }

    actor Box {
        var values = ("", "")
        func set(_ first: String, _ second: String) { values = (first, second) }
    }
}
