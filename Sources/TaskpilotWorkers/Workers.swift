import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
public import TaskpilotCore
public import TaskpilotEvents

/// The worker roles that can run inside `serve` or alone as `taskpilot worker <role>`.
public enum WorkerRole: String, Sendable, CaseIterable {
    case recurring, reminders, notifications, audit
}

/// Counts one handled event as docs/metrics.md describes (`consumer` is the consumer group).
public func recordConsumed(topic: EventTopic, group: String, outcome: String, count: Int = 1) {
    guard count > 0 else { return }
    Counter(label: "taskpilot_events_consumed_total", dimensions: [("topic", topic.rawValue), ("consumer", group), ("outcome", outcome)])
        .increment(by: count)
}

/// Recurring tasks: on the completion of a recurring task, create exactly one next occurrence.
public struct RecurringWorker: Sendable {
    static let consumer = "recurring"

    /// Subscribes to `task-events`.
    public static func register(on bus: any EventBus, store: any WorkflowStore, logger: Logger) async {
        await bus.subscribe(topic: .taskEvents, group: "taskpilot-recurring") { event in
            guard event.type == "taskpilot.task.completed", event.data["task_data"]?["recurrence"]?.objectValue != nil else { return }
            guard let next = try await store.createNextOccurrence(afterCompletionEvent: event, consumer: consumer, now: Date()) else {
                // Already handled, or nothing to create (the series ended, the task was reopened or deleted).
                return recordConsumed(topic: .taskEvents, group: "taskpilot-recurring", outcome: "duplicate")
            }
            recordConsumed(topic: .taskEvents, group: "taskpilot-recurring", outcome: "ok")
            logger.info(
                "next occurrence created",
                metadata: ["task_id": .stringConvertible(next.id), "series_id": .stringConvertible(next.seriesID ?? 0)]
            )
        }
    }
}

/// The audit log: every task event, once.
public struct AuditWorker: Sendable {
    /// Subscribes to `task-events`, a batch at a time.
    public static func register(on bus: any EventBus, store: any WorkflowStore) async {
        await bus.subscribe(
            topic: .taskEvents,
            group: "taskpilot-audit",
            batchHandler: { events in
                let stored = try await store.recordAudit(events)
                recordConsumed(topic: .taskEvents, group: "taskpilot-audit", outcome: "ok", count: stored)
                recordConsumed(topic: .taskEvents, group: "taskpilot-audit", outcome: "duplicate", count: events.count - stored)
            }
        )
    }
}

/// Notifications: a due reminder becomes an in-app notification pushed to the user's open sessions.
public struct NotificationWorker: Sendable {
    static let consumer = "notifications"

    /// Subscribes to `reminders`.
    public static func register(on bus: any EventBus, store: any WorkflowStore) async {
        await bus.subscribe(topic: .reminders, group: "taskpilot-notifications") { event in
            let stored = try await store.recordReminderNotification(event, consumer: consumer, now: Date())
            recordConsumed(topic: .reminders, group: "taskpilot-notifications", outcome: stored == nil ? "duplicate" : "ok")
        }
    }
}

/// Fires due reminders: durable (the database is the schedule), catches up after downtime, and fires each once even
/// with several replicas (rows are claimed with SKIP LOCKED on PostgreSQL).
public struct ReminderScheduler: Service {
    let store: any WorkflowStore
    let logger: Logger
    /// The longest sleep between looks, so reminders added meanwhile fire on time.
    let maxSleep: Duration

    /// A scheduler over the store.
    public init(store: any WorkflowStore, logger: Logger, maxSleep: Duration = .milliseconds(250)) {
        self.store = store
        self.logger = logger
        self.maxSleep = maxSleep
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if try await fireDue() == Self.batch { continue }
                var sleep = maxSleep
                if let next = try await store.nextReminderTime() {
                    let wait = next.timeIntervalSinceNow
                    sleep = min(maxSleep, .milliseconds(Int(max(5, wait * 1000))))
                }
                try? await Task.sleep(for: sleep)
            } catch {
                logger.warning("firing reminders failed; retrying", metadata: ["error": .string(String(reflecting: error))])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The most reminders fired per look.
    public static let batch = 100

    /// Fires the reminders that are due now (up to one batch) and returns how many; also what a Dapr job calls.
    public func fireDue() async throws -> Int {
        let now = Date()
        let fired = try await store.fireDueReminders(now: now, limit: Self.batch)
        let lateness = Metrics.Timer(label: "taskpilot_reminder_lateness_seconds")
        for reminder in fired {
            lateness.recordNanoseconds(Int64(max(0, now.timeIntervalSince(reminder.dueSince)) * 1e9))
        }
        if !fired.isEmpty { logger.info("reminders fired", metadata: ["count": .stringConvertible(fired.count)]) }
        return fired.count
    }
}
