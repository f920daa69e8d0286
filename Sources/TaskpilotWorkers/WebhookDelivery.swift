import AsyncHTTPClient
import Crypto
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
public import TaskpilotCore
public import TaskpilotEvents

/// The signature of a webhook delivery: `sha256=` and the hex HMAC-SHA256, keyed by the webhook's secret, of
/// `"<timestamp>.<body>"`.
public enum WebhookSignature {
    /// The `X-Taskpilot-Signature` value.
    public static func sign(secret: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// A new webhook secret: `whsec_` and 32 random bytes in hex.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Webhooks, the consuming half: task events and due reminders become pending deliveries, once per webhook and event.
/// Sending is the ``WebhookDeliveryService``'s, so a slow endpoint never holds up the consumer.
public struct WebhookWorker: Sendable {
    /// Subscribes to `reminders` and `task-events`; `signal` wakes the delivery service.
    public static func register(on bus: any EventBus, store: any WebhookDeliveryStore, signal: OutboxSignal, logger: Logger) async {
        for topic in [EventTopic.reminders, .taskEvents] {
            await bus.subscribe(
                topic: topic,
                group: "taskpilot-webhooks",
                batchHandler: { events in
                    let queued = try await store.enqueueWebhookDeliveries(for: events, now: Date())
                    let named = events.filter { WebhookRules.eventName(ofType: $0.type) != nil }.count
                    recordConsumed(topic: topic, group: "taskpilot-webhooks", outcome: "ok", count: named)
                    if queued > 0 {
                        logger.debug(
                            "webhook deliveries queued",
                            metadata: ["events": .stringConvertible(events.count), "count": .stringConvertible(queued)]
                        )
                        signal.notify()
                    }
                }
            )
        }
    }
}

/// Sends pending webhook deliveries: signed POSTs, retried with backoff, the webhook disabled (and its owner told)
/// after too many deliveries in a row failed. Safe to run on several replicas.
public struct WebhookDeliveryService: Service {
    /// How deliveries are sent and retried.
    public struct Policy: Sendable {
        public var retries: RetrySchedule
        /// Consecutive deliveries that exhausted their retries before the webhook is disabled.
        public var disableAfter: Int
        /// The longest one POST may take.
        public var timeout: Duration
        /// How many deliveries are in flight at most.
        public var concurrency: Int
        /// How often to look for due deliveries besides being woken.
        public var pollInterval: Duration
        /// Which receivers may be called.
        public var targets: WebhookTargetPolicy

        /// A policy; the defaults are production's.
        public init(
            retries: RetrySchedule = .webhooks(),
            disableAfter: Int = 5,
            timeout: Duration = .seconds(10),
            concurrency: Int = 8,
            pollInterval: Duration = .seconds(1),
            targets: WebhookTargetPolicy = WebhookTargetPolicy()
        ) {
            self.retries = retries
            self.disableAfter = disableAfter
            self.timeout = timeout
            self.concurrency = concurrency
            self.pollInterval = pollInterval
            self.targets = targets
        }
    }

    let store: any WebhookDeliveryStore
    let signal: OutboxSignal
    let policy: Policy
    let logger: Logger

    /// A service over the store; `signal` is the one given to ``WebhookWorker/register(on:store:signal:logger:)``.
    public init(store: any WebhookDeliveryStore, signal: OutboxSignal, policy: Policy = Policy(), logger: Logger) {
        self.store = store
        self.signal = signal
        self.policy = policy
        self.logger = logger
    }

    public func run() async throws {
        // Redirects are answered, not followed: a receiver that moved must be updated by its owner, never silently.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let store = store
        let policy = policy
        let logger = logger
        // A claim outlives the longest attempt, so a crashed replica's deliveries are retried, not lost.
        let lease = policy.timeout * 3 + .seconds(30)
        await DeliveryLoop(
            concurrency: policy.concurrency,
            pollInterval: policy.pollInterval,
            signal: signal,
            logger: logger,
            claim: { limit in try await store.claimDueWebhookDeliveries(now: Date(), limit: limit, lease: lease) },
            send: { delivery in
                await Self.deliver(delivery, client: client, store: store, policy: policy, logger: logger)
            },
            prune: { cutoff in try await store.pruneWebhookDeliveries(finishedBefore: cutoff) }
        ).run()
        try await client.shutdown()
    }

    static func deliver(_ delivery: PendingWebhookDelivery, client: HTTPClient, store: any WebhookDeliveryStore, policy: Policy, logger: Logger) async
    {
        let started = ContinuousClock.now
        // Checked before every attempt: the host may resolve elsewhere than when the webhook was created.
        var result =
            if let refusal = await policy.targets.refusal(for: delivery.url, mustResolve: true) {
                DeliveryAttempt.failed(code: nil, error: refusal, retryAt: nil)
            } else {
                await post(delivery, client: client, timeout: policy.timeout)
            }
        let now = Date()
        if !result.succeeded { result.retryAt = policy.retries.retryAt(afterAttempt: delivery.attempt, now: now) }
        let outcome = result.succeeded ? "delivered" : result.retryAt == nil ? "failed" : "retry"
        Counter(label: "taskpilot_webhook_deliveries_total", dimensions: [("outcome", outcome)]).increment()
        Metrics.Timer(label: "taskpilot_webhook_delivery_duration_seconds").record(duration: ContinuousClock.now - started)
        var metadata: Logger.Metadata = [
            "delivery_id": .string(delivery.id.uuidString.lowercased()), "webhook_id": .string(delivery.webhookID.uuidString.lowercased()),
            "event": .string(delivery.event), "attempt": .stringConvertible(delivery.attempt), "outcome": .string(outcome),
        ]
        if let code = result.responseCode { metadata["status"] = .stringConvertible(code) }
        if let error = result.error { metadata["error"] = .string(error) }
        if result.succeeded {
            logger.debug("webhook delivered", metadata: metadata)
        } else {
            logger.warning("webhook delivery failed", metadata: metadata)
        }
        do {
            if let notification = try await store.recordWebhookAttempt(delivery, result, disableAfter: policy.disableAfter, now: now) {
                Counter(label: "taskpilot_webhooks_disabled_total").increment()
                logger.warning("webhook disabled", metadata: metadata.merging(["notification_id": .stringConvertible(notification.id)]) { $1 })
            }
        } catch {
            // The lease runs out and the delivery is tried again: at least once, as documented.
            logger.error("recording a webhook attempt failed", metadata: metadata.merging(["store_error": .string(String(describing: error))]) { $1 })
        }
    }

    /// One signed POST; 2xx is delivered, anything else (including a redirect) is a failure without a retry time.
    static func post(_ delivery: PendingWebhookDelivery, client: HTTPClient, timeout: Duration) async -> DeliveryAttempt {
        // A URL stored before the checks of `WebhookRules.url` (a port past 65535 stopped the process) fails here instead.
        guard let components = URLComponents(string: delivery.url) else {
            return .failed(code: nil, error: "the webhook's URL cannot be read; update it", retryAt: nil)
        }
        if let problem = WebhookRules.problem(of: delivery.url, components) {
            return .failed(code: nil, error: "the webhook's URL \(problem); update it", retryAt: nil)
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Taskpilot-Webhooks/1")
        request.headers.add(name: "X-Taskpilot-Event", value: delivery.event)
        request.headers.add(name: "X-Taskpilot-Delivery", value: delivery.id.uuidString.lowercased())
        request.headers.add(name: "X-Taskpilot-Timestamp", value: String(timestamp))
        request.headers.add(
            name: "X-Taskpilot-Signature",
            value: WebhookSignature.sign(secret: delivery.secret, timestamp: timestamp, body: delivery.payload)
        )
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            let code = Int(response.status.code)
            // The answer is read (up to a bound) so the connection can be reused, and otherwise ignored.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if (200..<300).contains(code) { return .delivered(code: code) }
            if (300..<400).contains(code) {
                let location = response.headers.first(name: "Location") ?? "?"
                return .failed(code: code, error: "redirect to \(location) not followed; update the webhook's URL", retryAt: nil)
            }
            return .failed(code: code, error: "the receiver answered \(code)", retryAt: nil)
        } catch {
            return .failed(code: nil, error: String(describing: error), retryAt: nil)
        }
    }
}
