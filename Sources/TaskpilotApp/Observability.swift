import Foundation
import HTTPTypes
import Hummingbird
public import Logging
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
