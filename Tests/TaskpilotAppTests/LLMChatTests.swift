import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TaskpilotCore
import TaskpilotTestSupport
import Testing

/// A local server speaking the Chat Completions wire format: it answers from a script and records what it was sent.
actor ScriptedModel {
    enum Step {
        case toolCalls([(name: String, arguments: String)])
        case text(String)
        case status(Int)
    }

    private var steps: [Step]
    private(set) var requests: [JSONValue] = []

    init(_ steps: [Step]) { self.steps = steps }

    func next(_ request: JSONValue) -> (Int, String) {
        requests.append(request)
        guard !steps.isEmpty else { return (200, Self.message(content: "(script ended)", calls: [])) }
        switch steps.removeFirst() {
        case .status(let code): return (code, #"{"error": {"message": "scripted failure"}}"#)
        case .text(let text): return (200, Self.message(content: text, calls: []))
        case .toolCalls(let calls): return (200, Self.message(content: nil, calls: calls))
        }
    }

    static func message(content: String?, calls: [(name: String, arguments: String)]) -> String {
        let toolCalls: [JSONValue] = calls.enumerated().map { index, call in
            [
                "id": .string("call_\(index)_\(UUID().uuidString.prefix(6))"), "type": "function",
                "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
            ]
        }
        var message: [String: JSONValue] = ["role": "assistant", "content": content.map { .string($0) } ?? .null]
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        let body: JSONValue = [
            "id": "chatcmpl-test", "object": "chat.completion", "model": "scripted",
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(toolCalls.isEmpty ? "stop" : "tool_calls")]],
        ]
        return body.jsonText
    }

    /// Runs the model on a loopback port for the duration of `body`, which gets the base URL.
    func serve(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let data = try await request.body.collect(upTo: 4_000_000)
            let json = JSONValue.parse(String(buffer: data)) ?? .null
            let (status, text) = await self.next(json)
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        let port = PortBox()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await port.set(channel.localAddress?.port ?? 0) },
            logger: TestBackend.logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: TestBackend.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound = 0
            for _ in 0..<200 where bound == 0 {
                bound = await port.value
                if bound == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            defer { tasks.cancelAll() }
            try await body("http://127.0.0.1:\(bound)/v1")
            await group.triggerGracefulShutdown()
        }
    }

    actor PortBox {
        var value = 0
        func set(_ port: Int) { value = port }
    }
}

@Suite("Chat with a language model (Chat Completions wire format)")
struct LLMChatTests {
    func withModel(_ steps: [ScriptedModel.Step], _ body: @Sendable (APIClient, ScriptedModel) async throws -> Void) async throws {
        let model = ScriptedModel(steps)
        try await model.serve { url in
            try await withAPI(
                .sqlite,
                settings: ["taskpilot.llm.base.url": url, "taskpilot.llm.model": "scripted", "taskpilot.llm.api.key": "sk-test"]
            ) { api in
                try await body(api, model)
            }
        }
    }

    @Test("a multi-step tool loop acts for the authenticated user and stores the final reply")
    func multiStep() async throws {
        try await withModel([
            .toolCalls([(name: "add_task", arguments: #"{"title": "Buy milk", "due": "tomorrow 5pm", "tags": ["home"]}"#)]),
            .toolCalls([(name: "list_tasks", arguments: #"{"tags": ["home"]}"#)]),
            .text("Added **Buy milk** for tomorrow at 17:00."),
        ]) { api, model in
            let (me, auth) = try await api.registered(timezone: "Europe/Paris")
            let reply = try await me.chat("add buy milk tomorrow 5pm #home")
            #expect(reply.response == "Added **Buy milk** for tomorrow at 17:00.")
            #expect(reply.tool_calls.map(\.name) == ["add_task", "list_tasks"])
            let tasks = try await me.get("/api/v1/tasks").decode(TaskListBody.self).items
            #expect(tasks.map(\.title) == ["Buy milk"] && tasks[0].tags == ["home"])
            let requests = await model.requests
            #expect(requests.count == 3)
            let first = requests[0]
            #expect(first["model"] == "scripted")
            #expect(first["tools"]?.arrayValue?.count == 9)
            let system = first["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
            #expect(system.contains("Europe/Paris"))
            #expect(!system.contains(auth.user.id), "the model is never told whom to act as")
            let toolMessage = requests[1]["messages"]?.arrayValue?.last
            #expect(toolMessage?["role"] == "tool")
            #expect(toolMessage?["content"]?.stringValue?.contains("\"created\"") == true)
            let stored: ConversationBody = try await me.get("/api/v1/conversations/\(reply.conversation_id)").decode()
            #expect(stored.messages?.last?.content == reply.response)
        }
    }

    @Test("unknown tools and invalid JSON arguments go back to the model as tool errors")
    func malformedOutput() async throws {
        try await withModel([
            .toolCalls([(name: "fly_to_the_moon", arguments: "{}"), (name: "add_task", arguments: "{title: Buy milk")]),
            .toolCalls([(name: "add_task", arguments: #"{"title": "", "due": "ISO date"}"#)]),
            .toolCalls([(name: "complete_task", arguments: #"{"task_id": 999999}"#)]),
            .text("Sorry, I could not do that."),
        ]) { api, model in
            let (me, _) = try await api.registered()
            let reply = try await me.chat("do something")
            #expect(reply.response == "Sorry, I could not do that.")
            #expect(reply.tool_calls.map(\.name) == ["fly_to_the_moon", "add_task", "add_task", "complete_task"])
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.isEmpty)
            let requests = await model.requests
            let errors = (requests.last?["messages"]?.arrayValue ?? []).filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
            #expect(errors.count == 4)
            #expect(errors.allSatisfy { $0.contains("error") })
            #expect(errors[0].contains("Unknown tool"))
            #expect(errors[1].contains("not a JSON object"))
            #expect(errors[3].contains("not found"))
        }
    }

    @Test("the model cannot reach another user's task by id")
    func otherUsersTask() async throws {
        try await withModel([]) { api, _ in
            let (alice, _) = try await api.registered()
            let secret = try await alice.createTask(#"{"title": "alice only"}"#)
            let model = ScriptedModel([.toolCalls([(name: "delete_task", arguments: "{\"task_id\": \(secret.id)}")]), .text("Deleted.")])
            try await model.serve { url in
                try await withAPI(.sqlite, settings: ["taskpilot.llm.base.url": url]) { other in
                    let (mallory, _) = try await other.registered()
                    let reply = try await mallory.chat("delete task \(secret.id)")
                    #expect(reply.tool_calls.map(\.name) == ["delete_task"])
                }
            }
            #expect(try await alice.get("/api/v1/tasks/\(secret.id)").status == .ok)
        }
    }

    @Test("429 and 5xx are retried with backoff")
    func retries() async throws {
        try await withModel([.status(429), .status(503), .text("Hello!")]) { api, model in
            let (me, _) = try await api.registered()
            let reply = try await me.chat("hi")
            #expect(reply.response == "Hello!")
            #expect(await model.requests.count == 3)
        }
    }

    @Test("a provider that keeps failing gets an honest short reply, not a 500, and nothing changes")
    func providerDown() async throws {
        try await withModel([.status(500), .status(500), .status(500)]) { api, _ in
            let (me, _) = try await api.registered()
            let response = try await me.post("/api/v1/chat", #"{"message": "add buy milk"}"#)
            #expect(response.status == .ok)
            let reply: ChatReplyBody = try response.decode()
            #expect(reply.response.contains("couldn't reach the language model"))
            #expect(try await me.get("/api/v1/tasks").decode(TaskListBody.self).items.isEmpty)
        }
    }

    @Test("an unreachable provider is reported the same way")
    func providerUnreachable() async throws {
        try await withAPI(.sqlite, settings: ["taskpilot.llm.base.url": "http://127.0.0.1:9/v1"]) { api in
            let (me, _) = try await api.registered()
            let reply = try await me.chat("hello")
            #expect(reply.response.contains("couldn't reach the language model"))
        }
    }
}
