import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
public import TaskpilotCore
public import TaskpilotEvents

/// The Kafka bus: events keyed by task id (so one task's events stay in order), an idempotent producer that reports
/// every delivery, and consumer groups that commit only after handling. Runs as a service: consumers start with it
/// and leave their groups cleanly on graceful shutdown.
public final class KafkaEventBus: EventBus, Service {
    private struct Subscription {
        let topic: EventTopic
        let group: String
        let live: Bool
        let handler: EventHandler
    }

    private let configuration: KafkaConfiguration
    private let logger: Logger
    private let producer = Mutex<KafkaProducer?>(nil)
    private let onDataLoss: @Sendable () -> Void
    private let subscriptions = Mutex([Subscription]())

    /// Connects the producer (lazily: librdkafka reaches the brokers in the background). `onDataLoss` is called when
    /// a broker comes back without events it had acknowledged, so the outbox can publish them again.
    public init(configuration: KafkaConfiguration, logger: Logger, onDataLoss: @escaping @Sendable () -> Void) throws {
        self.configuration = configuration
        self.logger = logger
        self.onDataLoss = onDataLoss
        try replaceProducer(nil)
    }

    public func publish(_ event: OutboxEvent) async throws {
        _ = try await publish(batch: [event])
    }

    public func publish(batch events: [OutboxEvent]) async throws -> Int {
        guard let current = producer.withLock({ $0 }) else { throw KafkaError("the Kafka bus is stopped") }
        do {
            return try await current.send(events, prefix: configuration.topicPrefix)
        } catch {
            if current.failedFatally.load(ordering: .acquiring) {
                logger.warning("the Kafka producer is stuck (fatal error or timed-out delivery); starting a new one")
                try replaceProducer(current)
            }
            throw error
        }
    }

    /// Swaps `old` (nil at start) for a fresh producer with a new producer id; the old one is closed in the background.
    private func replaceProducer(_ old: KafkaProducer?) throws {
        let fresh = try KafkaProducer(configuration: configuration, logger: logger) { [weak self] in self?.brokerLostData() }
        let replaced = producer.withLock { current -> KafkaProducer?? in
            guard current === old else { return .none }
            defer { current = fresh }
            return .some(current)
        }
        switch replaced {
        case .none: Task { await fresh.close(timeout: .zero) }
        case .some(let previous?): Task { await previous.close(timeout: .zero) }
        case .some(nil): break
        }
    }

    /// A broker forgot what it acknowledged: its idempotence state is gone too, so start a new producer, then have
    /// the outbox publish recent events again.
    private func brokerLostData() {
        Task {
            do {
                try replaceProducer(producer.withLock { $0 })
            } catch {
                logger.error("could not replace the Kafka producer", metadata: ["error": "\(error)"])
            }
            onDataLoss()
        }
    }

    public func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) async {
        subscriptions.withLock { $0.append(Subscription(topic: topic, group: group, live: false, handler: handler)) }
    }

    public func subscribeLive(topic: EventTopic, handler: @escaping EventHandler) async {
        let group = "taskpilot-live-\(UUID().uuidString.prefix(12).lowercased())"
        subscriptions.withLock { $0.append(Subscription(topic: topic, group: group, live: true, handler: handler)) }
    }

    /// Starts the consumers, waits for graceful shutdown, then stops them and flushes the producer.
    public func run() async throws {
        let wanted = subscriptions.withLock { $0 }
        var consumers: [KafkaConsumer] = []
        for subscription in wanted {
            consumers.append(
                try KafkaConsumer(
                    configuration: configuration, topic: subscription.topic, group: subscription.group, live: subscription.live,
                    handler: subscription.handler, logger: logger))
        }
        logger.info(
            "Kafka bus started",
            metadata: [
                "brokers": .string(configuration.brokers), "topic_prefix": .string(configuration.topicPrefix),
                "consumers": .array(wanted.map { .string("\($0.group)@\($0.topic.rawValue)") }),
            ])
        try? await gracefulShutdown()
        for consumer in consumers { await consumer.stop() }
        await producer.withLock { current in
            defer { current = nil }
            return current
        }?.close()
        logger.info("Kafka bus stopped")
    }
}
