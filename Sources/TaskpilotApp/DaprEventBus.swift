import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TaskpilotCore
import TaskpilotEvents

/// The Dapr bus: events go to the sidecar's pub/sub API; the sidecar finds this process's subscriptions at
/// `GET /dapr/subscribe` and delivers each CloudEvent to `POST /dapr/events/{topic}`, which answers SUCCESS once
/// every handler succeeded, RETRY when one failed, DROP for what can never be handled.
final class DaprEventBus: EventBus {
    private let endpoint: String
    private let pubsub: String
    private let topicPrefix: String
    /// Sent as `dapr-api-token` to the sidecar, when the sidecar requires one.
    private let apiToken: String?
    private let client: HTTPClient
    private let handlers = Mutex([EventTopic: [EventHandler]]())
    private let logger: Logger

    init(endpoint: String, pubsub: String, topicPrefix: String, apiToken: String?, logger: Logger, client: HTTPClient = .shared) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.pubsub = pubsub
        self.topicPrefix = topicPrefix
        self.apiToken = apiToken
        self.client = client
        self.logger = logger
    }

    func publish(_ event: OutboxEvent) async throws {
        let topic = event.topic.name(prefix: topicPrefix)
        var request = HTTPClientRequest(url: "\(endpoint)/v1.0/publish/\(pubsub)/\(topic)")
        request.method = .POST
        // The envelope is already a CloudEvent: Dapr passes it through instead of wrapping it.
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json")
        if let apiToken { request.headers.add(name: "dapr-api-token", value: apiToken) }
        request.body = .bytes(ByteBuffer(string: event.envelope.jsonText))
        let response = try await client.execute(request, timeout: .seconds(10))
        guard (200..<300).contains(Int(response.status.code)) else {
            let body = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            throw DaprError(description: "the Dapr sidecar refused to publish to \(topic): HTTP \(response.status.code) \(body.prefix(300))")
        }
    }

    func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) async {
        handlers.withLock { $0[topic, default: []].append(handler) }
    }

    /// Every replica receives what its sidecar delivers; Dapr's consumer group is the app id, so fan-out to every
    /// replica needs a component whose consumer group is per pod (`taskpilot-pubsub-fanout` in deploy/dapr/pubsub-kafka.yaml).
    func subscribeLive(topic: EventTopic, handler: @escaping EventHandler) async {
        await subscribe(topic: topic, group: "live", handler: handler)
    }

    /// What `GET /dapr/subscribe` answers: the topics this process handles.
    var subscriptions: JSONValue {
        let topics = handlers.withLock { Array($0.keys) }.sorted { $0.rawValue < $1.rawValue }
        return .array(
            topics.map { topic in
                [
                    "pubsubname": .string(pubsub), "topic": .string(topic.name(prefix: topicPrefix)),
                    "route": .string("/dapr/events/\(topic.rawValue)"),
                ]
            }
        )
    }

    /// Delivery of one CloudEvent from the sidecar; returns the Dapr status.
    func deliver(topic name: String, body: ByteBuffer) async -> String {
        // Dapr adds the topic it delivered from; with a type, it must match the route.
        guard let topic = EventTopic(rawValue: name), let envelope = JSONValue.parse(String(buffer: body)),
            envelope["id"]?.stringValue?.isEmpty == false, let type = envelope["type"]?.stringValue, topic.carries(type: type),
            envelope["topic"]?.stringValue.map({ $0 == topic.name(prefix: topicPrefix) }) ?? true
        else {
            logger.error("dropping a delivery that is not a Taskpilot CloudEvent", metadata: ["topic": .string(name)])
            return "DROP"
        }
        let event = OutboxEvent(topic: topic, key: envelope["subject"]?.stringValue ?? "", envelope: envelope)
        for handler in handlers.withLock({ $0[topic] ?? [] }) {
            do {
                try await handler(event)
            } catch {
                logger.warning("handling an event failed; asking Dapr to retry", metadata: ["event_id": .string(event.id), "error": "\(error)"])
                return "RETRY"
            }
        }
        return "SUCCESS"
    }

    /// Schedules a repeating Dapr job (Jobs API, alpha1) that calls back `POST /job/{name}`; retried until the
    /// sidecar answers, since it may start after the app.
    func scheduleJob(name: String, every interval: String) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                var request = HTTPClientRequest(url: "\(endpoint)/v1.0-alpha1/jobs/\(name)")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                if let apiToken { request.headers.add(name: "dapr-api-token", value: apiToken) }
                let job: JSONValue = ["schedule": .string("@every \(interval)"), "overwrite": true, "data": ["job": .string(name)]]
                request.body = .bytes(ByteBuffer(string: job.jsonText))
                let response = try await client.execute(request, timeout: .seconds(10))
                guard (200..<300).contains(Int(response.status.code)) else {
                    throw DaprError(
                        description: "HTTP \(response.status.code) \(String(buffer: try await response.body.collect(upTo: 64 * 1024)).prefix(300))"
                    )
                }
                logger.info("Dapr job scheduled", metadata: ["job": .string(name), "every": .string(interval)])
                return
            } catch {
                attempt += 1
                if attempt == 1 || attempt % 30 == 0 {
                    logger.warning("could not schedule the Dapr job; retrying", metadata: ["job": .string(name), "error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// The sidecar refused or could not be reached.
struct DaprError: Error, CustomStringConvertible {
    let description: String
}

/// The routes the Dapr sidecar calls: subscription discovery, deliveries and job callbacks. They are for the sidecar
/// only: when TASKPILOT_DAPR_APP_TOKEN is set (Dapr's APP_API_TOKEN), each call must carry it as `dapr-api-token`.
struct DaprController<Context: RequestContext>: Sendable {
    let bus: DaprEventBus
    let appToken: String?
    /// Job callbacks by job name.
    let jobs: [String: @Sendable () async throws -> Void]

    func addRoutes(to router: Router<Context>) {
        let group = router.group().add(middleware: DaprTokenMiddleware(token: appToken))
        group.get("dapr/subscribe") { _, _ -> Response in
            Self.json(bus.subscriptions)
        }
        group.post("dapr/events/{topic}") { request, context -> Response in
            let topic = context.parameters.get("topic") ?? ""
            let body = try await request.body.collect(upTo: 4 * 1_048_576)
            return Self.json(["status": .string(await bus.deliver(topic: topic, body: body))])
        }
        group.post("job/{name}") { _, context -> Response in
            guard let name = context.parameters.get("name"), let job = jobs[name] else {
                throw HTTPError(.notFound, message: "No such job.")
            }
            try await job()
            return Response(status: .ok)
        }
    }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}

/// Rejects calls without the sidecar's app token, when one is configured.
struct DaprTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token, request.headers[HTTPField.Name("dapr-api-token")!] != token {
            throw HTTPError(.unauthorized, message: "This route is for the Dapr sidecar.")
        }
        return try await next(request, context)
    }
}
