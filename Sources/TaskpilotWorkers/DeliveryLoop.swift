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

    /// Runs until graceful shutdown; items in flight then finish (their own timeouts bound the wait).
    func run() async {
        let inFlight = InFlightCount()
        // Shutdown wakes the loop at once instead of after its poll interval.
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let free = concurrency - inFlight.value
                    var claimed: [Item] = []
                    if free > 0 {
                        do {
                            claimed = try await claim(free)
                        } catch {
                            logger.warning("claiming deliveries failed; retrying", metadata: ["error": .string(String(describing: error))])
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
