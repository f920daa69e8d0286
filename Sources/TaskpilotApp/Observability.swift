import Foundation
import HTTPTypes
import Hummingbird
public import Logging
public import Metrics
public import Prometheus
import TaskpilotCore

/// The Prometheus registry of the process and the HTTP metrics written to it.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` exposes.
    public let registry: PrometheusCollectorRegistry

    /// A registry with the HTTP metric families.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Latency buckets from 1 ms to 10 s.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
    ]

    /// Counts a finished request and records its latency under its route template.
    func record(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "http_requests", unitName: "total", helpText: "HTTP requests by method, route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "HTTP request latency by method and route."
            ),
            labels: [("method", method), ("route", route)],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// The exposition text.
    func exposition() -> String { registry.emitToString() }
}

/// Gives every request an id (from `X-Request-Id` or new), logs one structured line per request and records metrics.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let requestID = request.headers[.requestID].flatMap { $0.count <= 128 ? $0 : nil } ?? Self.newRequestID()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var response = try await next(request, context)
        let duration = ContinuousClock.now - start
        response.headers[.requestID] = requestID
        // Hummingbird names the fallback of a path no route matched "NotFound"; the documented label is `unmatched`.
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        let milliseconds = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info,
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
                "status": .stringConvertible(response.status.code), "duration_ms": .string(String(format: "%.2f", milliseconds)),
            ]
        )
        return response
    }

    private static func newRequestID() -> String {
        String(UUID.random().uuidString.lowercased().prefix(18))
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    static let requestID = HTTPField.Name("X-Request-Id")!
    /// `X-Forwarded-For`, the client address behind a proxy.
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// A swift-log handler writing one line per event to standard error: one JSON object (`json`), or readable text
/// in the format of swift-log's `StreamLogHandler` (`text`: `<time> <level> <label> : <key=value …> [<module>]
/// <message>`). `StreamLogHandler` renders all of its metadata again each time one key is set, and the request id is
/// set on every request (1.5% of the CPU of a task list); this handler renders metadata only for a line it writes.
public struct StandardErrorLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let format: Settings.LogFormat

    /// A handler for a logger label.
    public init(label: String, format: Settings.LogFormat) { (self.label, self.format) = (label, format) }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        switch format {
        case .text:
            let rendered = fields.keys.sorted().map { " \($0)=\(fields[$0]!)" }.joined()
            let line = "\(Timestamp.format(Date())) \(event.level) \(label) :\(rendered) [\(event.source)] \(event.message)\n"
            FileHandle.standardError.write(Data(line.utf8))
        case .json:
            let standard: Logger.Metadata = [
                "ts": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue), "msg": .string(event.message.description),
                "logger": .string(label),
            ]
            fields.merge(standard) { old, _ in old }
            var line = JSONWriter(capacity: 256)
            Self.write(.dictionary(fields), into: &line)
            FileHandle.standardError.write(Data(line.bytes + [UInt8(ascii: "\n")]))
        }
    }

    /// A metadata value as JSON: objects with their keys in order, anything else as text.
    private static func write(_ value: Logger.MetadataValue, into line: inout JSONWriter) {
        switch value {
        case .string(let text): line.string(text)
        case .stringConvertible(let convertible): line.string(convertible.description)
        case .array(let items):
            line.beginArray()
            for item in items { write(item, into: &line) }
            line.endArray()
        case .dictionary(let dictionary):
            line.beginObject()
            for key in dictionary.keys.sorted() {
                line.key(key)
                write(dictionary[key]!, into: &line)
            }
            line.endObject()
        }
    }
}

/// swift-metrics' metrics on the Prometheus registry with their `# HELP` lines: Prometheus' own factory gives every
/// metric an empty help text, and `promtool check metrics` warns about each. Metrics it has no text for are made as
/// that factory makes them.
public struct DocumentedMetricsFactory: MetricsFactory {
    /// The factory for everything but the help text (its buckets per label apply here too).
    public var base: PrometheusMetricsFactory

    /// What each metric measures, as docs/metrics.md says.
    public static let helpTexts: [String: String] = [
        "taskpilot_db_query_duration_seconds": "Duration of one task store operation, by operation.",
        "taskpilot_outbox_depth": "Outbox rows not yet published.",
        "taskpilot_outbox_publish_duration_seconds": "Time to publish one outbox event to the bus, acknowledgement included.",
        "taskpilot_outbox_publish_failures_total": "Publish attempts that failed (the event stays in the outbox and is retried).",
        "taskpilot_events_consumed_total": "Events handled by a consumer, by topic, consumer and outcome.",
        "taskpilot_events_received_total": "Messages a Kafka consumer received, repeats included.",
        "taskpilot_consumer_lag": "Messages of the topic not yet consumed over the partitions assigned to this process.",
        "taskpilot_reminder_lateness_seconds": "Time a reminder fired minus its fire_at.",
        "taskpilot_llm_request_duration_seconds": "One Chat Completions round trip to the LLM.",
        "taskpilot_llm_errors_total": "LLM requests that failed, by reason.",
        "taskpilot_websocket_sessions": "Open realtime WebSocket sessions of this replica.",
        "taskpilot_webhook_deliveries_total": "Webhook delivery attempts, by outcome.",
        "taskpilot_webhook_delivery_duration_seconds": "One webhook POST, from sending to the answer or the timeout.",
        "taskpilot_webhooks_disabled_total": "Webhooks disabled after repeated failed deliveries.",
        "taskpilot_emails_sent_total": "Reminder email attempts, by outcome.",
    ]

    /// A factory over `base`'s registry.
    public init(base: PrometheusMetricsFactory) { self.base = base }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let help = Self.helpTexts[label] else { return base.makeCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let help = Self.helpTexts[label] else { return base.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let help = Self.helpTexts[label], !aggregate else {
            return base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return base.registry.makeGauge(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let help = Self.helpTexts[label] else { return base.makeMeter(label: label, dimensions: dimensions) }
        return base.registry.makeGauge(descriptor: Self.descriptor(label, help), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let help = Self.helpTexts[label] else { return base.makeTimer(label: label, dimensions: dimensions) }
        let buckets = base.durationHistogramBuckets[label] ?? base.defaultDurationHistogramBuckets
        return base.registry.makeDurationHistogram(descriptor: Self.descriptor(label, help), labels: dimensions, buckets: buckets)
    }

    /// The full name `label` with its help text.
    private static func descriptor(_ label: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help)
    }

    public func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    public func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
