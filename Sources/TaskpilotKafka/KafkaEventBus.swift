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
    private let onDataLoss: @Sendable () async -> Void
    private let epochs: any BusEpochStore
    private let subscriptions = Mutex([Subscription]())
    private let consumers = Mutex([(subscription: Subscription, consumer: KafkaConsumer)]())

    /// Connects the producer (lazily: librdkafka reaches the brokers in the background). When a broker comes back
    /// without its log, the process that notices first advances the bus epoch in `epochs` and calls `onDataLoss` (the
    /// outbox publishes recent events again); every process rewinds its consumers when the epoch changes.
    public init(
        configuration: KafkaConfiguration,
        epochs: any BusEpochStore,
        logger: Logger,
        onDataLoss: @escaping @Sendable () async -> Void
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.epochs = epochs
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
    @discardableResult
    private func replaceProducer(_ old: KafkaProducer?) throws -> KafkaProducer {
        let fresh = try KafkaProducer(configuration: configuration, logger: logger)
        let replaced = producer.withLock { current -> KafkaProducer?? in
            guard current === old else { return .none }
            defer { current = fresh }
            return .some(current)
        }
        switch replaced {
        case .none:
            Task { await fresh.close(timeout: .zero) }
            return producer.withLock { $0 } ?? fresh
        case .some(let previous?): Task { await previous.close(timeout: .zero) }
        case .some(nil): break
        }
        return fresh
    }

    /// Every two seconds: is the epoch marker still on the broker, and did another process record a new epoch?
    ///
    /// A marker is always on the broker before its epoch is recorded, so a process that reads an epoch and finds no
    /// marker knows the broker lost its log (not that another process is still writing the marker). A loss whose new
    /// marker may have landed without an acknowledgement is finished on the next round.
    private func watchEpoch() async {
        let bus = "kafka:\(configuration.topicPrefix)"
        var known: String?
        var unfinishedLoss: (from: String, to: String)?
        while !Task.isCancelled {
            do {
                guard var current = producer.withLock({ $0 }) else { return }
                var recorded = try await epochs.epoch(of: bus)
                if recorded == nil {
                    let first = UUID().uuidString.lowercased()
                    if await current.leaveMarker(epoch: first) { _ = try await epochs.advanceEpoch(of: bus, from: nil, to: first) }
                    recorded = try await epochs.epoch(of: bus)
                }
                if known == nil { known = recorded }
                if let seen = recorded {
                    let presence = await current.markerPresence()
                    if let loss = unfinishedLoss, loss.from == seen, presence == .present {
                        try await declareLoss(bus: bus, from: loss.from, to: loss.to)
                        recorded = try await epochs.epoch(of: bus)
                    } else if presence == .missing {
                        let next = UUID().uuidString.lowercased()
                        current = try replaceProducer(current)
                        if await current.leaveMarker(epoch: next) {
                            try await declareLoss(bus: bus, from: seen, to: next)
                        } else {
                            unfinishedLoss = (seen, next)
                        }
                        recorded = try await epochs.epoch(of: bus)
                    }
                    if recorded != seen { unfinishedLoss = nil }
                }
                if let recorded, recorded != known {
                    logger.notice("new bus epoch: consumers start over on the new log", metadata: ["epoch": .string(recorded)])
                    try await restartConsumers()
                    known = recorded
                }
            } catch {
                logger.warning("could not check the bus epoch; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(2))
        }
    }

    /// Records the epoch after a loss (its marker is on the broker); the process whose record it is has the outbox
    /// publish recent events again.
    private func declareLoss(bus: String, from seen: String, to next: String) async throws {
        guard try await epochs.advanceEpoch(of: bus, from: seen, to: next) else { return }
        logger.error(
            "the broker lost its log (the epoch marker is gone): creating the topics again, replaying recent events from the outbox, starting consumers over"
        )
        await onDataLoss()
    }

    /// Replaces every consumer with a new client reading the new log from its beginning: a client that knew the old
    /// log may keep positions, leader epochs or a group generation the restarted broker never heard of.
    private func restartConsumers() async throws {
        let running = consumers.withLock { $0 }
        for (_, consumer) in running { consumer.abandon() }
        var fresh: [(subscription: Subscription, consumer: KafkaConsumer)] = []
        for (subscription, _) in running { fresh.append((subscription, try makeConsumer(subscription, newLog: true))) }
        consumers.withLock { $0 = fresh }
    }

    private func makeConsumer(_ subscription: Subscription, newLog: Bool = false) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: configuration,
            topic: subscription.topic,
            group: subscription.group,
            live: subscription.live,
            newLog: newLog,
            handler: subscription.handler,
            logger: logger
        )
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
        let started = try wanted.map { (subscription: $0, consumer: try makeConsumer($0)) }
        consumers.withLock { $0 = started }
        let watch = Task { await watchEpoch() }
        logger.info(
            "Kafka bus started",
            metadata: [
                "brokers": .string(configuration.brokers), "topic_prefix": .string(configuration.topicPrefix),
                "consumers": .array(wanted.map { .string("\($0.group)@\($0.topic.rawValue)") }),
            ]
        )
        try? await gracefulShutdown()
        watch.cancel()
        await watch.value
        for (_, consumer) in consumers.withLock({ $0 }) { await consumer.stop() }
        await producer.withLock { current in
            defer { current = nil }
            return current
        }?.close()
        logger.info("Kafka bus stopped")
    }
}
