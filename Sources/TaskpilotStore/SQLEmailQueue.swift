import FluentKit
public import Foundation
import SQLKit
public import TaskpilotCore

/// The queue of reminder emails: one row per `reminder.due` event, sent and retried by the email sender.
public struct SQLEmailQueue: EmailQueue {
    private let store: TaskpilotDatabase

    /// The email table of the database.
    public init(database: TaskpilotDatabase) {
        self.store = database
    }

    public func enqueueReminderEmail(for event: OutboxEvent, now: Date) async throws -> Bool {
        guard let user = event.data["user_id"]?.stringValue.flatMap(UUID.init(uuidString:)),
            let row = try await store.sql.raw("SELECT email, timezone FROM users WHERE id = \(bind: user.storageKey)").first()
        else { return false }
        let zone = TimeZone(identifier: try row.decode(column: "timezone", as: String.self)) ?? TimeZone(identifier: "UTC")!
        let title = event.data["title"]?.stringValue ?? "Reminder"
        let due = event.data["due_at"]?.stringValue.flatMap { Timestamp.parse($0, timeZone: TimeZone(identifier: "UTC")!)?.date }
        let when =
            due.map { "Due " + Timestamp.describe($0, allDay: event.data["all_day"] == .bool(true), timeZone: zone, now: now) + "." }
            ?? "A reminder you set."
        let task = event.data["task_id"]?.int64Value.map { " (task \($0))" } ?? ""
        let body = "\(title)\(task)\n\(when)\n\n— Taskpilot\n"
        let rows = try await store.sql.raw(
            """
            INSERT INTO email_deliveries (id, user_id, event_id, to_address, subject, body, attempt, status, next_attempt_at, created_at)
            VALUES (\(bind: UUID.timeOrdered().storageKey), \(bind: user.storageKey), \(bind: event.id), \(bind: try row.decode(column: "email", as: String.self)),
                \(bind: "Reminder: \(title)"), \(bind: body), 0, 'pending', \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
            ON CONFLICT (event_id) DO NOTHING RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    public func claimDueEmails(now: Date, limit: Int, lease: Duration) async throws -> [PendingEmail] {
        let ids = try await SQLDeliveryQueue.claim(table: "email_deliveries", now: now, limit: limit, lease: lease, on: store)
        guard !ids.isEmpty else { return [] }
        return try await store.sql.raw(
            "SELECT id, user_id, to_address, subject, body, attempt FROM email_deliveries WHERE id IN (\(binds: ids)) ORDER BY next_attempt_at, id"
        ).all().map { row in
            PendingEmail(
                id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
                userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
                to: try row.decode(column: "to_address", as: String.self),
                subject: try row.decode(column: "subject", as: String.self),
                body: try row.decode(column: "body", as: String.self),
                attempt: try row.decode(column: "attempt", as: Int.self)
            )
        }
    }

    public func recordEmailAttempt(_ email: PendingEmail, _ attempt: DeliveryAttempt, now: Date) async throws {
        try await SQLDeliveryQueue.record(table: "email_deliveries", id: email.id.storageKey, attempt, now: now, on: store.sql)
    }

    public func pruneEmails(finishedBefore cutoff: Date) async throws -> Int {
        try await SQLDeliveryQueue.prune(table: "email_deliveries", finishedBefore: cutoff, on: store.sql)
    }
}
