import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TaskpilotCore

/// Drains a durable queue a bounded number of items at a time: claims as many due items as there are free slots,
/// sends each in its own task, and claims again when one finishes, when `signal` says something was queued, or every
/// `pollInterval` (for items queued by other processes and retries coming due). A slow receiver holds one slot, never
/// the others.
struct DeliveryLoop<Item: Sendable>: Sendable {
    let concurrency: Int
    let pollInterval: Duration
    let signal: OutboxSignal
    let logger: Logger
    /// Claims up to the given number of due items.
    let claim: @Sendable (Int) async throws -> [Item]
    /// Sends one item and records the outcome; never throws.
    let send: @Sendable (Item) async -> Void
    /// Deletes finished items older than `retention`; returns how many. Run at start and every 10 minutes.
    let prune: @Sendable (Date) async throws -> Int

    /// Finished deliveries are kept this long (for support questions), then deleted.
    static var retention: TimeInterval { 7 * 86_400 }

    /// Runs until graceful shutdown; items in flight then finish (their own timeouts bound the wait).
    func run() async {
        let inFlight = InFlightCount()
        // Shutdown wakes the loop at once instead of after its poll interval.
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                var lastPrune: ContinuousClock.Instant?
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    if lastPrune.map({ ContinuousClock.now - $0 > .seconds(600) }) ?? true {
                        lastPrune = .now
                        do {
                            let pruned = try await prune(Date().addingTimeInterval(-Self.retention))
                            if pruned > 0 { logger.info("finished deliveries pruned", metadata: ["deleted": "\(pruned)"]) }
                        } catch {
                            logger.warning("pruning finished deliveries failed", metadata: ["error": .string(String(reflecting: error))])
                        }
                    }
                    let free = concurrency - inFlight.value
                    var claimed: [Item] = []
                    if free > 0 {
                        do {
                            claimed = try await claim(free)
                        } catch {
                            logger.warning("claiming deliveries failed; retrying", metadata: ["error": .string(String(reflecting: error))])
                            try? await Task.sleep(for: .seconds(1))
                            continue
                        }
                    }
                    for item in claimed {
                        inFlight.add(1)
                        group.addTask {
                            await send(item)
                            inFlight.add(-1)
                            signal.notify()
                        }
                    }
                    // A full batch means more may be due at once.
                    if free > 0 && claimed.count == free { continue }
                    await signal.wait(upTo: pollInterval)
                }
            }
        } onGracefulShutdown: {
            signal.notify()
        }
    }
}

/// How many items are being sent, shared by the loop and its sending tasks.
private final class InFlightCount: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
