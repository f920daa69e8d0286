public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
public import TaskpilotCore

/// Publishes the outbox to the bus, in order, marking what was published; retries with backoff while the bus fails.
public struct OutboxRelay: Service {
    let store: any OutboxStore
    let bus: any EventBus
    let signal: OutboxSignal
    let logger: Logger
    /// How often to look for events written by other processes.
    let pollInterval: Duration

    /// A relay from the store to the bus.
    public init(store: any OutboxStore, bus: any EventBus, signal: OutboxSignal, logger: Logger, pollInterval: Duration = .milliseconds(250)) {
        self.store = store
        self.bus = bus
        self.signal = signal
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// How long published events stay in the outbox: long enough to replay what a broker lost.
    public static let retention: TimeInterval = 86_400
    /// How far back a replay reaches after a broker lost acknowledged events.
    public static let replayWindow: TimeInterval = 900

    /// Publishes the events of the last ``replayWindow`` again (the broker lost them); consumers drop repeats.
    public static func replay(store: any OutboxStore, signal: OutboxSignal, logger: Logger) async {
        do {
            let count = try await store.replay(publishedSince: Date().addingTimeInterval(-replayWindow))
            logger.notice("replaying events the broker lost", metadata: ["events": "\(count)"])
            signal.notify()
        } catch {
            logger.error("could not replay events from the outbox", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        var backoff: Duration = .zero
        var lastDepthCheck = ContinuousClock.now - .seconds(10)
        var lastPrune = ContinuousClock.now
        let depth = Gauge(label: "taskpilot_outbox_depth")
        let failures = Counter(label: "taskpilot_outbox_publish_failures_total")
        let latency = Metrics.Timer(label: "taskpilot_outbox_publish_duration_seconds")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let bus = self.bus
                let published = try await store.claimUnpublished(limit: 200) { events in
                    let started = ContinuousClock.now
                    let done = try await bus.publish(batch: events)
                    if done > 0 { latency.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds) / Int64(done)) }
                    return done
                }
                // Said only once the bus took events: a relay that found none waiting (or came back from a database
                // outage) has not seen the bus answer.
                if backoff != .zero {
                    logger.notice(
                        published > 0 ? "event bus reachable again; outbox publishing resumed" : "outbox relay running again; no events were waiting",
                        metadata: ["published": "\(published)"]
                    )
                }
                backoff = .zero
                if ContinuousClock.now - lastDepthCheck > .seconds(5) {
                    depth.record(try await store.depth())
                    lastDepthCheck = .now
                }
                if ContinuousClock.now - lastPrune > .seconds(600) {
                    lastPrune = .now
                    let pruned = try await store.prune(publishedBefore: Date().addingTimeInterval(-Self.retention))
                    if pruned > 0 { logger.debug("outbox pruned", metadata: ["events": "\(pruned)"]) }
                }
                if published == 200 { continue }
            } catch {
                failures.increment()
                backoff = min(max(backoff * 2, .milliseconds(100)), .seconds(10))
                logger.warning(
                    "publishing from the outbox failed; will retry",
                    metadata: ["error": .string(String(reflecting: error)), "retry_in": .string("\(backoff)")]
                )
                try? await Task.sleep(for: backoff)
                continue
            }
            await signal.wait(upTo: pollInterval)
        }
    }
}

extension Duration {
    var nanoseconds: Double { Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9 }
}
