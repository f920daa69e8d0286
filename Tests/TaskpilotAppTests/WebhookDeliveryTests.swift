import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import TaskpilotWorkers
import Testing

/// A real HTTP endpoint on a loopback port that records what it receives and answers statuses in turn (the last repeats).
actor WebhookReceiver {
    struct Received: Sendable {
        let headers: HTTPFields
        let body: String

        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    }

    private(set) var received: [Received] = []
    private var statuses: [HTTPResponse.Status]
    private let delay: Duration

    init(statuses: [HTTPResponse.Status] = [.noContent], delay: Duration = .zero) {
        self.statuses = statuses
        self.delay = delay
    }

    func record(_ request: Received) -> (HTTPResponse.Status, Duration) {
        received.append(request)
        let status = statuses.count > 1 ? statuses.removeFirst() : statuses[0]
        return (status, delay)
    }

    /// Runs `body` with the URL of a live receiver.
    func serve(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let (status, delay) = await self.record(Received(headers: request.headers, body: String(buffer: buffer)))
            if delay > .zero { try await Task.sleep(for: delay) }
            return Response(status: status)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestBackend.logger)
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/hook")
        }
    }
}

/// Waits until `condition` holds, failing the test after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}

@Suite("Webhook delivery against a real receiver")
struct WebhookDeliveryTests {
    static let fast = WebhookDeliveryService.Policy(
        retries: RetrySchedule(delays: [.milliseconds(20), .milliseconds(20), .milliseconds(20)]),
        disableAfter: 5,
        timeout: .seconds(2),
        concurrency: 4,
        pollInterval: .milliseconds(50),
        // The receivers of these tests listen on 127.0.0.1.
        targets: WebhookTargetPolicy(allowPrivate: true)
    )

    /// A database with one user and the delivery service running over it.
    func withService(
        _ backend: TestBackend,
        policy: WebhookDeliveryService.Policy = fast,
        _ body: @Sendable (TaskpilotDatabase, SQLWebhookStore, User) async throws -> Void
    ) async throws {
        try await backend.withDatabase { database in
            let user = try await database.newTestUser()
            let store = SQLWebhookStore(database: database)
            let service = WebhookDeliveryService(store: store, signal: OutboxSignal(), policy: policy, logger: TestBackend.logger)
            let running = Task { try await service.run() }
            defer { running.cancel() }
            try await body(database, store, user)
            running.cancel()
            _ = await running.result
        }
    }

    func event(_ type: String, user: User, taskID: Int = 7) -> OutboxEvent {
        OutboxEvent(
            topic: type.contains("reminder") ? .reminders : .taskEvents,
            key: String(taskID),
            envelope: OutboxEvent.cloudEvent(
                type: type,
                subject: "task/\(taskID)",
                time: Date(),
                data: ["task_id": .number(Double(taskID)), "user_id": .string(user.id.uuidString.lowercased()), "title": "Pay rent"]
            )
        )
    }

    func deliveries(_ database: TaskpilotDatabase) async throws -> [(status: String, attempt: Int, code: Int?)] {
        try await database.sql.raw("SELECT status, attempt, response_code FROM webhook_deliveries ORDER BY created_at, id").all().map {
            (
                try $0.decode(column: "status", as: String.self), try $0.decode(column: "attempt", as: Int.self),
                try $0.decode(column: "response_code", as: Int?.self)
            )
        }
    }

    @Test("the signature is HMAC-SHA256 of timestamp.body, in hex")
    func signature() {
        // Computed independently with Python's hmac module.
        #expect(
            WebhookSignature.sign(secret: "whsec_test", timestamp: 1_700_000_000, body: #"{"id":"1"}"#)
                == "sha256=11bf4466ea17c3df3fd743af0b435368e16b7a05eb8eced85e8c4670767bdec5"
        )
        let secret = WebhookSignature.newSecret()
        #expect(secret.hasPrefix("whsec_") && secret.count == 70 && secret != WebhookSignature.newSecret())
    }

    @Test("a matching event is delivered once, signed, even when handled twice", arguments: TestBackend.available)
    func deliveredOnce(_ backend: TestBackend) async throws {
        let receiver = WebhookReceiver()
        try await receiver.serve { url in
            try await withService(backend) { database, store, user in
                let hook = try await store.create(
                    userID: user.id,
                    url: url,
                    events: ["task.created", "reminder.due"],
                    secret: "whsec_abc",
                    now: Date()
                )
                let created = event("taskpilot.task.created", user: user)
                #expect(try await store.enqueueWebhookDeliveries(for: [created], now: Date()) == 1)
                #expect(try await store.enqueueWebhookDeliveries(for: [created], now: Date()) == 0)
                #expect(try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.deleted", user: user)], now: Date()) == 0)
                let stranger = User(id: UUID(), email: "x@example.com", name: "", timezone: "UTC", createdAt: Date())
                #expect(try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.created", user: stranger)], now: Date()) == 0)
                try await eventually("one delivery") { await receiver.received.count == 1 }
                try await eventually("the delivery recorded") { try await deliveries(database).first?.status == "delivered" }
                try await Task.sleep(for: .milliseconds(300))
                let got = await receiver.received
                #expect(got.count == 1)
                let request = try #require(got.first)
                #expect(request.body == created.envelope.jsonText)
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.header("X-Taskpilot-Event") == "task.created")
                #expect(request.header("X-Taskpilot-Delivery").flatMap(UUID.init(uuidString:)) != nil)
                let timestamp = try #require(request.header("X-Taskpilot-Timestamp").flatMap(Int.init))
                #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 60)
                #expect(
                    request.header("X-Taskpilot-Signature") == WebhookSignature.sign(secret: "whsec_abc", timestamp: timestamp, body: request.body)
                )
                #expect(try await deliveries(database).map(\.code) == [204])
                #expect(try await store.list(userID: user.id).map(\.id) == [hook.id])
            }
        }
    }

    @Test("a name that does not resolve passes when a webhook is made, not before a delivery")
    func unresolvableNames() async {
        let policy = WebhookTargetPolicy()
        #expect(await policy.refusal(for: "https://no-such-host.invalid/hook") == nil)
        #expect(await policy.refusal(for: "https://no-such-host.invalid/hook", mustResolve: true)?.contains("did not resolve") == true)
        #expect(await WebhookTargetPolicy(allowPrivate: true).refusal(for: "http://127.0.0.1/hook", mustResolve: true) == nil)
    }

    @Test("a receiver on a private address is not called unless allowed, whatever the stored URL", arguments: [TestBackend.sqlite])
    func privateReceiverRefused(_ backend: TestBackend) async throws {
        let receiver = WebhookReceiver()
        try await receiver.serve { url in
            var guarded = Self.fast
            guarded.targets = WebhookTargetPolicy()
            try await withService(backend, policy: guarded) { database, store, user in
                // Stored directly, as a webhook made before its host moved to a private address would be.
                _ = try await store.create(userID: user.id, url: url, events: ["task.created"], secret: "whsec_p", now: Date())
                #expect(try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.created", user: user)], now: Date()) == 1)
                let recordedError = {
                    try await database.sql.raw("SELECT error FROM webhook_deliveries").first()?.decode(column: "error", as: String?.self)
                }
                try await eventually("the attempt recorded") { try await recordedError() != nil }
                let error = try await recordedError()
                #expect(error?.contains("127.0.0.1 is a loopback address") == true, "\(error ?? "nil")")
                try await Task.sleep(for: .milliseconds(200))
                #expect(await receiver.received.isEmpty)
            }
        }
    }

    @Test("a batch of events queues one delivery per event and webhook that wants it, each once", arguments: TestBackend.available)
    func batch(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let (first, second, none) = (try await database.newTestUser(), try await database.newTestUser(), try await database.newTestUser())
            let store = SQLWebhookStore(database: database)
            let url = "http://127.0.0.1:9/hook"
            _ = try await store.create(userID: first.id, url: url, events: ["task.created", "task.updated"], secret: "whsec_a", now: Date())
            _ = try await store.create(userID: first.id, url: url, events: ["task.created"], secret: "whsec_b", now: Date())
            _ = try await store.create(userID: second.id, url: url, events: ["task.deleted"], secret: "whsec_c", now: Date())
            let events = [
                event("taskpilot.task.created", user: first, taskID: 1), // both of first's webhooks
                event("taskpilot.task.created", user: second, taskID: 2), // second's does not want it
                event("taskpilot.task.updated", user: first, taskID: 1), // one of first's
                event("taskpilot.task.created", user: none, taskID: 3), // no webhooks
                event("taskpilot.task.deleted", user: second, taskID: 2), // second's
                event("taskpilot.task.changed", user: first, taskID: 1), // not a webhook event
            ]
            #expect(try await store.enqueueWebhookDeliveries(for: events, now: Date()) == 4)
            #expect(
                try await store.enqueueWebhookDeliveries(for: events + [event("taskpilot.task.updated", user: first, taskID: 1)], now: Date()) == 1
            )
            #expect(try await deliveries(database).count == 5)
        }
    }

    @Test("finished deliveries older than the retention are pruned; pending and recent ones stay", arguments: TestBackend.available)
    func pruned(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let user = try await database.newTestUser()
            let store = SQLWebhookStore(database: database)
            _ = try await store.create(userID: user.id, url: "http://127.0.0.1:9/hook", events: ["task.updated"], secret: "whsec_p", now: Date())
            let old = Date().addingTimeInterval(-8 * 86_400)
            for (taskID, status, queued) in [(1, "delivered", old), (2, "failed", old), (3, "pending", old), (4, "delivered", Date())] {
                let updated = event("taskpilot.task.updated", user: user, taskID: taskID)
                #expect(try await store.enqueueWebhookDeliveries(for: [updated], now: queued) == 1)
                try await database.sql.raw("UPDATE webhook_deliveries SET status = \(bind: status) WHERE event_id = \(bind: updated.id)").run()
            }
            #expect(try await store.pruneWebhookDeliveries(finishedBefore: Date().addingTimeInterval(-7 * 86_400)) == 2)
            #expect(try await deliveries(database).map(\.status).sorted() == ["delivered", "pending"])
            #expect(try await store.pruneWebhookDeliveries(finishedBefore: Date().addingTimeInterval(-7 * 86_400)) == 0)
        }
    }

    @Test("500s are retried with the same delivery id until a 2xx, which resets the failure count", arguments: TestBackend.available)
    func retried(_ backend: TestBackend) async throws {
        let receiver = WebhookReceiver(statuses: [.internalServerError, .badGateway, .ok])
        try await receiver.serve { url in
            try await withService(backend) { database, store, user in
                let hook = try await store.create(userID: user.id, url: url, events: ["reminder.due"], secret: "whsec_r", now: Date())
                try await database.sql.raw("UPDATE webhooks SET failures = 3").run()
                _ = try await store.enqueueWebhookDeliveries(for: [event("taskpilot.reminder.due", user: user)], now: Date())
                try await eventually("delivered on the third attempt") { try await deliveries(database).first?.status == "delivered" }
                let got = await receiver.received
                #expect(got.count == 3)
                #expect(Set(got.map { $0.header("X-Taskpilot-Delivery") }).count == 1)
                #expect(got.allSatisfy { $0.header("X-Taskpilot-Event") == "reminder.due" })
                let row = try #require(try await deliveries(database).first)
                #expect(row.attempt == 3 && row.code == 200)
                #expect(try await store.list(userID: user.id).first?.failures == 0)
                #expect(try await store.list(userID: user.id).first?.id == hook.id)
            }
        }
    }

    @Test("after consecutive failed deliveries the webhook is disabled and its owner notified", arguments: TestBackend.available)
    func disabled(_ backend: TestBackend) async throws {
        var policy = Self.fast
        policy.retries = RetrySchedule(delays: [.milliseconds(20)])
        policy.disableAfter = 2
        let receiver = WebhookReceiver(statuses: [.internalServerError])
        let settings = policy
        try await receiver.serve { url in
            try await withService(backend, policy: settings) { database, store, user in
                let hook = try await store.create(userID: user.id, url: url, events: ["task.updated"], secret: "whsec_d", now: Date())
                _ = try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.updated", user: user, taskID: 1)], now: Date())
                try await eventually("the first delivery given up") { try await deliveries(database).first?.status == "failed" }
                #expect(try await store.list(userID: user.id).first?.disabledAt == nil)
                _ = try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.updated", user: user, taskID: 2)], now: Date())
                try await eventually("the webhook disabled") { try await store.list(userID: user.id).first?.disabledAt != nil }
                #expect(await receiver.received.count == 4)
                #expect(try await deliveries(database).map(\.status) == ["failed", "failed"])
                let notifications = try await SQLWorkflowStore(database: database).notifications(userID: user.id, unreadOnly: true, limit: 10)
                #expect(notifications.map(\.kind) == ["webhook.disabled"])
                #expect(notifications.first?.body.contains(url) == true)
                let pushed = try await database.sql.raw("SELECT event FROM outbox WHERE topic = 'task-updates'").all().map {
                    JSONValue.parse(try $0.decode(column: "event", as: String.self))
                }
                #expect(pushed.map { $0?["data"]?["notification"]?["kind"] } == [.string("webhook.disabled")])
                #expect(pushed.first??["data"]?["user_id"]?.stringValue == user.id.uuidString.lowercased())
                // A disabled webhook gets nothing more until it is enabled again.
                #expect(try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.updated", user: user, taskID: 3)], now: Date()) == 0)
                let enabled = try await store.enable(id: hook.id, userID: user.id)
                #expect(enabled.disabledAt == nil && enabled.failures == 0)
                #expect(try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.updated", user: user, taskID: 3)], now: Date()) == 1)
            }
        }
    }

    @Test("two delivery services over one database send each delivery once", arguments: TestBackend.available)
    func replicas(_ backend: TestBackend) async throws {
        let receiver = WebhookReceiver()
        try await receiver.serve { url in
            try await withService(backend) { database, store, user in
                let second = WebhookDeliveryService(
                    store: SQLWebhookStore(database: database),
                    signal: OutboxSignal(),
                    policy: Self.fast,
                    logger: TestBackend.logger
                )
                let running = Task { try await second.run() }
                defer { running.cancel() }
                _ = try await store.create(userID: user.id, url: url, events: ["task.created"], secret: "whsec_x", now: Date())
                for taskID in 1...30 {
                    _ = try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.created", user: user, taskID: taskID)], now: Date())
                }
                try await eventually("30 deliveries") { await receiver.received.count >= 30 }
                try await Task.sleep(for: .milliseconds(300))
                let got = await receiver.received
                #expect(got.count == 30)
                #expect(Set(got.compactMap { $0.header("X-Taskpilot-Delivery") }).count == 30)
                #expect(try await deliveries(database).allSatisfy { $0.status == "delivered" && $0.attempt == 1 })
                running.cancel()
                _ = await running.result
            }
        }
    }

    @Test("a slow receiver times out without holding up another", arguments: [TestBackend.sqlite])
    func slowReceiver(_ backend: TestBackend) async throws {
        var policy = Self.fast
        policy.retries = RetrySchedule(delays: [])
        // Wide margins: the whole suite runs in parallel on two cores.
        policy.timeout = .seconds(4)
        let slow = WebhookReceiver(delay: .seconds(10))
        let quick = WebhookReceiver()
        let settings = policy
        try await slow.serve { slowURL in
            try await quick.serve { quickURL in
                try await withService(backend, policy: settings) { database, store, user in
                    _ = try await store.create(userID: user.id, url: slowURL, events: ["task.created"], secret: "whsec_s", now: Date())
                    _ = try await store.create(userID: user.id, url: quickURL, events: ["task.created"], secret: "whsec_q", now: Date())
                    let started = ContinuousClock.now
                    _ = try await store.enqueueWebhookDeliveries(for: [event("taskpilot.task.created", user: user)], now: Date())
                    try await eventually("the quick one delivered") { await quick.received.count == 1 }
                    #expect(ContinuousClock.now - started < .seconds(4))
                    try await eventually("the slow one timed out") {
                        try await deliveries(database).map(\.status).sorted() == ["delivered", "failed"]
                    }
                    #expect(ContinuousClock.now - started < .seconds(10))
                }
            }
        }
    }

    @Test("through the server: the user's task events reach the webhook, signed with the secret the API returned", arguments: TestBackend.available)
    func endToEnd(_ backend: TestBackend) async throws {
        let receiver = WebhookReceiver()
        try await receiver.serve { url in
            try await withAPI(backend, settings: ["taskpilot.delivery.retry.base": "0.05", "taskpilot.webhook.allow.private": "true"]) { api in
                let (me, _) = try await api.registered()
                let (other, _) = try await api.registered()
                let hook: WebhookBody = try await me.post(
                    "/api/v1/webhooks",
                    "{\"url\": \"\(url)\", \"events\": [\"task.created\", \"task.completed\"]}"
                ).decode()
                let task = try await me.createTask(#"{"title": "Hooked"}"#)
                _ = try await other.createTask(#"{"title": "Not mine"}"#)
                #expect(try await me.post("/api/v1/tasks/\(task.id)/complete", "{}").status == .ok)
                try await eventually("two deliveries") { await receiver.received.count == 2 }
                try await Task.sleep(for: .milliseconds(300))
                let got = await receiver.received
                #expect(got.count == 2)
                #expect(Set(got.compactMap { $0.header("X-Taskpilot-Event") }) == ["task.created", "task.completed"])
                for request in got {
                    let timestamp = try #require(request.header("X-Taskpilot-Timestamp").flatMap(Int.init))
                    #expect(
                        request.header("X-Taskpilot-Signature")
                            == WebhookSignature.sign(secret: hook.secret ?? "", timestamp: timestamp, body: request.body)
                    )
                    let body = try #require(JSONValue.parse(request.body))
                    #expect(body["data"]?["task_id"]?.int64Value == task.id && body["specversion"] == "1.0")
                }
            }
        }
    }
}
