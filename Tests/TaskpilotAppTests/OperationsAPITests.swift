import Foundation
import HTTPTypes
import Metrics
import Prometheus
import TaskpilotAPI
import TaskpilotApp
import TaskpilotStore
import TaskpilotTestSupport
import Testing
import Yams

@Suite("Health, metrics and the OpenAPI contract")
struct OperationsAPITests {
    @Test("every metric of docs/metrics.md has its help text; each kind swift-metrics makes is written with it")
    func metricHelp() throws {
        let docs = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/metrics.md"),
            encoding: .utf8
        )
        let documented = Set(
            docs.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `") else { return nil }
                return line.dropFirst(3).split(separator: "`").first.map(String.init)
            }
        )
        // The HTTP metrics are made with their help text by `ServerMetrics`; every other one through swift-metrics (the
        // alerts' table names alerts, not metrics).
        let metrics = documented.filter { $0.hasPrefix("taskpilot_") }
        #expect(metrics.count > 10 && documented.contains("http_requests_total"))
        #expect(Set(DocumentedMetricsFactory.helpTexts.keys) == metrics)
        let registry = PrometheusCollectorRegistry()
        let factory = DocumentedMetricsFactory(base: PrometheusMetricsFactory(registry: registry))
        factory.makeCounter(label: "taskpilot_events_consumed_total", dimensions: [("topic", "task-events"), ("outcome", "ok")]).increment(by: 1)
        factory.makeRecorder(label: "taskpilot_outbox_depth", dimensions: [], aggregate: false).record(Int64(3))
        factory.makeMeter(label: "taskpilot_websocket_sessions", dimensions: []).set(Int64(2))
        factory.makeTimer(label: "taskpilot_reminder_lateness_seconds", dimensions: []).recordNanoseconds(5_000_000)
        factory.makeCounter(label: "some_library_total", dimensions: []).increment(by: 1)
        let text = registry.emitToString()
        for name in [
            "taskpilot_events_consumed_total", "taskpilot_outbox_depth", "taskpilot_websocket_sessions", "taskpilot_reminder_lateness_seconds",
        ] {
            #expect(text.contains("# HELP \(name) \(DocumentedMetricsFactory.helpTexts[name]!)\n"), "\(text)")
            #expect(text.contains("# TYPE \(name) "), "\(text)")
        }
        // A metric without a text (a library's) is still made, as Prometheus' own factory makes it.
        #expect(text.contains("some_library_total 1") && !text.contains("# HELP some_library_total"), "\(text)")
    }

    @Test("health, readiness and metrics", arguments: TestBackend.available)
    func health(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let live = try await api.get("/health/live")
            #expect(live.status == .ok && live.text == #"{"status":"ok"}"#)
            let ready = try await api.get("/health/ready")
            #expect(ready.status == .ok)
            #expect(ready.text.contains(#""database":"ok""#))
            let (me, _) = try await api.registered()
            _ = try await me.get("/api/v1/tasks")
            _ = try await me.get("/api/v1/tasks/abc")
            _ = try await me.get("/api/v1/no-such-route")
            let metrics = try await api.get("/metrics")
            // A path no route matches is counted as `unmatched` (docs/metrics.md), not under Hummingbird's "NotFound".
            #expect(metrics.text.contains(#"route="unmatched",status="404""#) && !metrics.text.contains("NotFound"), "\(metrics.text)")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"http_requests_total{method="GET",route="/api/v1/tasks",status="200"}"#))
            #expect(metrics.text.contains(#"route="/api/v1/tasks/{id}",status="400""#))
            #expect(metrics.text.contains("http_request_duration_seconds_bucket"))
            #expect(ready.headers[.init("X-Request-Id")!]?.isEmpty == false)
            let echoed = try await api.send(.get, "/health/live", headers: [.init("X-Request-Id")!: "trace-me-42"])
            #expect(echoed.headers[.init("X-Request-Id")!] == "trace-me-42")
            // HEAD answers as GET would, without a body.
            let head = try await api.send(.head, "/health/live")
            #expect(head.status == .ok && head.body.isEmpty)
            #expect(try await api.send(.head, "/api/v1/tasks").status == .unauthorized)
            #expect(try await me.send(.head, "/api/v1/tasks").status == .ok)
        }
    }

    @Test("a routed path answers another method with 405 and Allow; an unrouted one with 404", arguments: TestBackend.available)
    func methodNotAllowed(_ backend: TestBackend) async throws {
        try await withAPI(backend) { api in
            let (me, _) = try await api.registered()
            let task = try await me.createTask(#"{"title": "stays"}"#)
            for (method, path, allow) in [
                (HTTPRequest.Method.put, "/api/v1/tasks", "GET, HEAD, POST"), (.get, "/api/v1/tasks/\(task.id)/complete", "POST"),
                (.delete, "/api/v1/tags", "GET, HEAD"), (.post, "/api/v1/tasks/\(task.id)", "DELETE, GET, HEAD, PATCH"),
            ] {
                for client in [api, me] {
                    let response = try await client.send(method, path)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path): \(response.text)")
                    #expect(response.error?.code == "method_not_allowed")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                }
            }
            let unrouted = try await me.send(.put, "/api/v1/nothing-here")
            #expect(unrouted.status == .notFound && unrouted.error?.code == "not_found")
            #expect(try await me.get("/api/v1/tasks/\(task.id)").status == .ok)
        }
    }

    @Test(
        "a database that has closed answers 503 database_unavailable with Retry-After, and the server still stops",
        .timeLimit(.minutes(1)),
        arguments: TestBackend.available
    )
    func databaseClosed(_ backend: TestBackend) async throws {
        try await withServer(backend) { api, server in
            let (me, _) = try await api.registered()
            let task = try await me.createTask(#"{"title": "kept"}"#)
            // The workers are still running: they must see the closed pool as an error and keep going, not hang it.
            await server.database.shutdown()
            for (method, path, json) in [
                (HTTPRequest.Method.get, "/api/v1/tasks", nil), (.get, "/api/v1/tasks/\(task.id)", nil),
                (.post, "/api/v1/tasks", #"{"title": "not kept"}"#), (.post, "/api/v1/tasks/\(task.id)/complete", nil),
            ] {
                let response = try await me.send(method, path, json: json)
                #expect(response.status == .serviceUnavailable, "\(method) \(path): \(response.text)")
                #expect(response.error?.code == "database_unavailable")
                #expect(response.headers[.retryAfter] != nil)
            }
            let ready = try await api.get("/health/ready")
            #expect(ready.status == .serviceUnavailable, "\(ready.text)")
        }
    }

    @Test("every documented operation exists and answers a documented status with the documented fields")
    func contract() async throws {
        try await withAPI(.sqlite) { api in
            let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: Any])
            let schemas = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
            var checked = 0
            let (me, auth) = try await api.registered(email: "contract@example.com")
            for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
                guard let operations = item as? [String: Any] else { continue }
                for (method, value) in operations {
                    guard let operation = value as? [String: Any], let httpMethod = HTTPRequest.Method(method.uppercased()),
                        let responses = operation["responses"] as? [String: Any]
                    else { continue }
                    let operationID = operation["operationId"] as? String ?? "\(method) \(path)"
                    let task = try await me.createTask(#"{"title": "contract task", "tags": ["c"]}"#)
                    let token: TokenBody = try await me.post("/api/v1/tokens", #"{"name": "contract"}"#).decode()
                    var id = path.hasPrefix("/api/v1/tokens") ? token.id : String(task.id)
                    if path.hasPrefix("/api/v1/webhooks/") {
                        let webhook = try await me.post("/api/v1/webhooks", #"{"url": "https://example.com/contract"}"#)
                        id = (try JSONSerialization.jsonObject(with: webhook.body) as? [String: Any])?["id"] as? String ?? ""
                    }
                    let uri = path.replacingOccurrences(of: "{user_id}", with: auth.user.id).replacingOccurrences(of: "{id}", with: id)
                    let body = Self.body(for: operationID, taskID: task.id)
                    let response = try await me.send(httpMethod, uri, json: body)
                    let documented = Set(responses.keys)
                    #expect(documented.contains(String(response.status.code)), "\(operationID): \(response.status.code) \(response.text.prefix(200))")
                    #expect(!(response.status == .notFound && response.error?.message.hasPrefix("No route") == true), "\(operationID) has no route")
                    if let schema = Self.jsonSchema(responses[String(response.status.code)], schemas: schemas), response.status.code < 300 {
                        let object = try JSONSerialization.jsonObject(with: response.body)
                        let target = (object as? [Any])?.first ?? object
                        if let dictionary = target as? [String: Any], let required = Self.required(schema, schemas: schemas) {
                            let missing = required.filter { dictionary[$0] == nil }
                            #expect(missing.isEmpty, "\(operationID) is missing documented fields \(missing)")
                        }
                    }
                    checked += 1
                }
            }
            #expect(checked >= 26)
        }
    }

    static func body(for operationID: String, taskID: Int64) -> String? {
        switch operationID {
        case "register": #"{"email": "contract-\#(UUID().uuidString.prefix(6))@example.com", "password": "long enough pw"}"#
        case "login": #"{"email": "contract@example.com", "password": "correct horse battery"}"#
        case "updateMe": #"{"name": "Contract"}"#
        case "createToken": #"{"name": "another"}"#
        case "createWebhook": #"{"url": "https://example.com/hooks/contract", "events": ["task.created"]}"#
        case "createTask", "compatCreateTask": #"{"title": "created by the contract test"}"#
        case "updateTask", "compatUpdateTask": #"{"title": "renamed"}"#
        case "bulkTasks": #"{"action": "complete", "ids": [\#(taskID)]}"#
        case "quickAddTask", "previewQuickAdd": #"{"text": "Call Ann tomorrow 9am p2 #family"}"#
        case "chat", "compatChat": #"{"message": "what's due this week?"}"#
        case "mcp": #"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#
        default: nil
        }
    }

    /// The JSON schema of a documented response, following `$ref`s to components.
    static func jsonSchema(_ response: Any?, schemas: [String: Any]) -> [String: Any]? {
        guard var response = response as? [String: Any] else { return nil }
        if let reference = response["$ref"] as? String, reference.hasPrefix("#/components/responses/") {
            return nil
        }
        response = response["content"] as? [String: Any] ?? [:]
        guard let media = response["application/json"] as? [String: Any], let schema = media["schema"] as? [String: Any] else { return nil }
        return resolve(schema, schemas: schemas)
    }

    static func resolve(_ schema: [String: Any], schemas: [String: Any]) -> [String: Any] {
        if let reference = schema["$ref"] as? String, let name = reference.split(separator: "/").last,
            let target = schemas[String(name)] as? [String: Any]
        {
            return resolve(target, schemas: schemas)
        }
        if schema["type"] as? String == "array", let items = schema["items"] as? [String: Any] { return resolve(items, schemas: schemas) }
        return schema
    }

    static func required(_ schema: [String: Any], schemas: [String: Any]) -> [String]? {
        if let required = schema["required"] as? [String] { return required }
        if let parts = schema["allOf"] as? [[String: Any]] {
            return parts.flatMap { required(resolve($0, schemas: schemas), schemas: schemas) ?? [] }
        }
        return nil
    }
}
