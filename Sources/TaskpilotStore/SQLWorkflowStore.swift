import FluentKit
public import Foundation
import SQLKit
public import TaskpilotCore

/// What the workers write: next occurrences, fired reminders, notifications and the audit log, each once per event.
public struct SQLWorkflowStore: WorkflowStore, ActivityRepository {
    private let store: TaskpilotDatabase
    private let signal: OutboxSignal?

    /// The workflow tables of the database; `signal` wakes the relay after writes that queue events.
    public init(database: TaskpilotDatabase, signal: OutboxSignal? = nil) {
        self.store = database
        self.signal = signal
    }

    /// Runs `body` in a transaction unless `consumer` already handled `eventID`; returns nil when it had.
    private func once<T: Sendable>(
        consumer: String,
        eventID: String,
        now: Date,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T? {
        let result: T? = try await store.transaction { sql in
            let claimed = try await sql.raw(
                """
                INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (\(bind: consumer), \(bind: eventID), \(bind: now.millisecondsSince1970))
                ON CONFLICT DO NOTHING RETURNING consumer
                """
            ).all()
            guard !claimed.isEmpty else { return nil }
            return try await body(sql)
        }
        signal?.notify()
        return result
    }

    public func createNextOccurrence(afterCompletionEvent event: OutboxEvent, consumer: String, now: Date) async throws -> TaskItem? {
        guard let taskID = event.data["task_id"]?.int64Value, let userText = event.data["user_id"]?.stringValue,
            let userID = UUID(uuidString: userText)
        else { return nil }
        let outcome: TaskItem?? = try await once(consumer: consumer, eventID: event.id, now: now) { sql in
            // The database, not the event, decides: the task must exist for that user and still be completed.
            guard let completed = try? await SQLTaskRepository.fetch(id: taskID, userID: userID, on: sql, lock: false),
                completed.status == .completed, let rule = completed.recurrence, let due = completed.dueAt
            else { return nil }
            let seriesID = completed.seriesID ?? completed.id
            // A completion that was undone and redone must not roll the series forward twice.
            let existing = try await sql.raw(
                "SELECT id FROM tasks WHERE series_id = \(bind: seriesID) AND occurrence > \(bind: completed.occurrence) LIMIT 1"
            ).first()
            guard existing == nil else { return nil }
            let zoneName = try await sql.raw("SELECT timezone FROM users WHERE id = \(bind: userID.storageKey)").first()?.decode(
                column: "timezone",
                as: String.self
            )
            let zone = zoneName.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            let completedAt = completed.completedAt ?? now
            guard let nextDue = rule.nextDue(previousDue: due, completedAt: completedAt, occurrence: completed.occurrence, timeZone: zone) else {
                return nil
            }
            var next = TaskItem(
                id: 0,
                userID: userID,
                title: completed.title,
                description: completed.description,
                priority: completed.priority,
                tags: completed.tags,
                dueAt: nextDue,
                allDay: completed.allDay,
                recurrence: rule,
                seriesID: seriesID,
                occurrence: completed.occurrence + 1,
                createdAt: now,
                updatedAt: now
            )
            // A reminder of the next occurrence whose time had passed when the series was completed (a series caught up
            // late) is stale: it counts as fired instead of pinging at once about what the user is already looking at.
            let completion = completed.completedAt ?? now
            next.reminders = completed.reminders.compactMap { reminder in
                guard case .beforeDue = reminder.trigger else { return nil }
                let fireAt = reminder.trigger.fireDate(dueAt: nextDue, allDay: next.allDay, timeZone: zone)
                return Reminder(id: 0, trigger: reminder.trigger, fireAt: fireAt, firedAt: fireAt.flatMap { $0 < completion ? completion : nil })
            }
            let created = try await SQLTaskRepository.insert(next, on: sql)
            try await OutboxWriter.append(OutboxEvent.taskChange(.created, task: created, before: nil, source: .system, now: now), on: sql, now: now)
            return created
        }
        return outcome ?? nil
    }

    public func fireDueReminders(now: Date, limit: Int) async throws -> [FiredReminder] {
        let lock: SQLQueryString = store.flavor == .postgres ? " FOR UPDATE OF r SKIP LOCKED" : ""
        let nowMS = now.millisecondsSince1970
        let fired: [FiredReminder] = try await store.transaction { sql in
            // Claiming with one UPDATE first takes the write lock at once (SQLite) and skips rows another
            // scheduler holds (PostgreSQL), so each reminder fires exactly once.
            let claimed = try await sql.raw(
                """
                UPDATE reminders SET fired_at = \(bind: nowMS) WHERE id IN (
                    SELECT r.id FROM reminders r JOIN tasks t ON t.id = r.task_id
                    WHERE r.fired_at IS NULL AND r.fire_at IS NOT NULL AND r.fire_at <= \(bind: nowMS) AND t.status = 'pending'
                    ORDER BY r.fire_at LIMIT \(bind: limit)
                """ + lock + ") RETURNING id"
            ).all().map { try $0.decode(column: "id", as: Int64.self) }
            guard !claimed.isEmpty else { return [] }
            let rows = try await sql.raw(
                """
                SELECT r.id, r.task_id, r.fire_at, r.user_id, t.title, t.due_at, t.all_day, t.updated_at FROM reminders r JOIN tasks t ON t.id = r.task_id
                WHERE r.id IN (\(binds: claimed)) ORDER BY r.fire_at, r.id
                """
            ).all()
            var fired: [FiredReminder] = []
            var events: [OutboxEvent] = []
            for row in rows {
                let reminderID = try row.decode(column: "id", as: Int64.self)
                let taskID = try row.decode(column: "task_id", as: Int64.self)
                let fireAt = Date(millisecondsSince1970: try row.decode(column: "fire_at", as: Int64.self))
                let due = try row.decode(column: "due_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
                let written = Date(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
                fired.append(FiredReminder(reminderID: reminderID, taskID: taskID, fireAt: fireAt, firedAt: now, dueSince: max(fireAt, written)))
                events.append(
                    OutboxEvent(
                        topic: .reminders,
                        key: String(taskID),
                        envelope: OutboxEvent.cloudEvent(
                            type: "taskpilot.reminder.due",
                            subject: "task/\(taskID)",
                            time: now,
                            data: [
                                "task_id": .number(Double(taskID)), "title": .string(try row.decode(column: "title", as: String.self)),
                                "due_at": due.map { .string(Timestamp.format($0)) } ?? .null, "remind_at": .string(Timestamp.format(fireAt)),
                                "all_day": .bool(try row.decode(column: "all_day", as: Int.self) != 0),
                                "user_id": .string(try row.decode(column: "user_id", as: String.self)), "reminder_id": .number(Double(reminderID)),
                            ]
                        )
                    )
                )
            }
            try await OutboxWriter.append(events, on: sql, now: now)
            return fired
        }
        if !fired.isEmpty { signal?.notify() }
        return fired
    }

    public func nextReminderTime() async throws -> Date? {
        try await store.sql.raw(
            """
            SELECT MIN(r.fire_at) AS next FROM reminders r JOIN tasks t ON t.id = r.task_id
            WHERE r.fired_at IS NULL AND r.fire_at IS NOT NULL AND t.status = 'pending'
            """
        ).first()?.decode(column: "next", as: Int64?.self).map(Date.init(millisecondsSince1970:))
    }

    public func recordReminderNotification(_ event: OutboxEvent, consumer: String, now: Date) async throws -> AppNotification? {
        guard let userText = event.data["user_id"]?.stringValue, let userID = UUID(uuidString: userText) else { return nil }
        let taskID = event.data["task_id"]?.int64Value
        let title = event.data["title"]?.stringValue ?? "Reminder"
        let due = event.data["due_at"]?.stringValue.flatMap { Timestamp.parse($0, timeZone: TimeZone(identifier: "UTC")!)?.date }
        let outcome: AppNotification?? = try await once(consumer: consumer, eventID: event.id, now: now) { sql in
            let zoneName = try await sql.raw("SELECT timezone FROM users WHERE id = \(bind: userID.storageKey)").first()?.decode(
                column: "timezone",
                as: String.self
            )
            let zone = zoneName.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            let text =
                due.map { "Due " + Timestamp.describe($0, allDay: event.data["all_day"] == .bool(true), timeZone: zone, now: now) } ?? "Reminder"
            var data = event.data.objectValue ?? [:]
            data["change"] = "notification"
            return try await Self.insertNotification(
                userID: userID,
                kind: "reminder",
                taskID: taskID,
                title: title,
                body: text,
                eventData: data,
                on: sql,
                now: now
            )
        }
        return outcome ?? nil
    }

    public func recordAudit(_ events: [OutboxEvent]) async throws -> Int {
        let rows: [SQLQueryString] = events.compactMap { event in
            let data = event.data
            guard let taskID = data["task_id"]?.int64Value, let user = data["user_id"]?.stringValue else { return nil }
            let action = data["event_type"]?.stringValue ?? "updated"
            let source = data["source"]?.stringValue ?? "api"
            let at = data["timestamp"]?.stringValue.flatMap { Timestamp.parse($0, timeZone: TimeZone(identifier: "UTC")!)?.date } ?? Date()
            let before = action == "created" ? nil : data["previous"]
            let after = action == "deleted" ? nil : data["task_data"]
            return """
                (\(bind: user), \(bind: source == "system" ? "system" : user), \(bind: source), \(bind: action), \(bind: taskID), \
                \(bind: before?.jsonText), \(bind: after?.jsonText), \(bind: event.id), \(bind: at.millisecondsSince1970))
                """
        }
        guard !rows.isEmpty else { return 0 }
        // One statement for the lot: a relay batch under load holds hundreds of events.
        let inserted = try await store.sql.raw(
            "INSERT INTO audit_log (user_id, actor, source, action, task_id, before_state, after_state, event_id, at) VALUES "
                + rows.joined(separator: ", ") + " ON CONFLICT DO NOTHING RETURNING id"
        ).all()
        return inserted.count
    }

    /// Stores an in-app notification and queues its live update (`taskpilot.notification.created` on `task-updates`), in the
    /// caller's transaction; `eventData` is the update's payload, to which the notification is added.
    static func insertNotification(
        userID: UUID,
        kind: String,
        taskID: Int64?,
        title: String,
        body: String,
        eventData: [String: JSONValue],
        on sql: any SQLDatabase,
        now: Date
    ) async throws -> AppNotification {
        let row = try await sql.raw(
            """
            INSERT INTO notifications (user_id, kind, task_id, title, body, created_at)
            VALUES (\(bind: userID.storageKey), \(bind: kind), \(bind: taskID), \(bind: title), \(bind: body), \(bind: now.millisecondsSince1970))
            RETURNING id
            """
        ).first()
        let notification = AppNotification(
            id: try row?.decode(column: "id", as: Int64.self) ?? 0,
            userID: userID,
            kind: kind,
            taskID: taskID,
            title: title,
            body: body,
            createdAt: Date(millisecondsSince1970: now.millisecondsSince1970),
            readAt: nil
        )
        try await OutboxWriter.append([liveUpdate("created", of: notification, data: eventData, now: now)], on: sql, now: now)
        return notification
    }

    // MARK: - Reading

    public func notifications(userID: UUID, unreadOnly: Bool, limit: Int) async throws -> [AppNotification] {
        let unread: SQLQueryString = unreadOnly ? " AND read_at IS NULL" : ""
        return try await store.sql.raw(
            "SELECT * FROM notifications WHERE user_id = \(bind: userID.storageKey)" + unread + " ORDER BY id DESC LIMIT \(bind: limit)"
        ).all().map(Self.notification(from:))
    }

    /// Marks a notification read and, when it was unread, tells the owner's other sessions
    /// (`taskpilot.notification.read` on `task-updates`), so every open tray shows the same unread count.
    public func markRead(notificationID: Int64, userID: UUID, now: Date) async throws -> AppNotification {
        try await store.transaction { sql in
            let marked = try await sql.raw(
                """
                UPDATE notifications SET read_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: notificationID) AND user_id = \(bind: userID.storageKey) AND read_at IS NULL RETURNING id
                """
            ).first()
            guard
                let row = try await sql.raw(
                    "SELECT * FROM notifications WHERE id = \(bind: notificationID) AND user_id = \(bind: userID.storageKey)"
                ).first()
            else { throw TaskpilotError.notFound("Notification \(notificationID) was not found.") }
            let notification = try Self.notification(from: row)
            guard marked != nil else { return notification }
            try await OutboxWriter.append([Self.liveUpdate("read", of: notification, data: [:], now: now)], on: sql, now: now)
            return notification
        }
    }

    /// The live update of a notification (`taskpilot.notification.<change>` on `task-updates`) for its owner's open
    /// sessions; `data` is the update's payload, to which the owner and the notification are added.
    static func liveUpdate(_ change: String, of notification: AppNotification, data: [String: JSONValue], now: Date) -> OutboxEvent {
        var data = data
        data["user_id"] = .string(notification.userID.storageKey)
        data["notification"] = notification.json
        return OutboxEvent(
            topic: .taskUpdates,
            key: String(notification.taskID ?? 0),
            envelope: OutboxEvent.cloudEvent(
                type: "taskpilot.notification.\(change)",
                subject: "user/\(notification.userID.storageKey)",
                time: now,
                data: .object(data)
            )
        )
    }

    public func history(taskID: Int64, userID: UUID) async throws -> [AuditEntry] {
        try await store.sql.raw(
            "SELECT * FROM audit_log WHERE user_id = \(bind: userID.storageKey) AND task_id = \(bind: taskID) ORDER BY at, id"
        ).all().map { row in
            AuditEntry(
                id: try row.decode(column: "id", as: Int64.self),
                taskID: taskID,
                action: try row.decode(column: "action", as: String.self),
                source: try row.decode(column: "source", as: String.self),
                actor: try row.decode(column: "actor", as: String.self),
                before: try row.decode(column: "before_state", as: String?.self).flatMap(JSONValue.parse),
                after: try row.decode(column: "after_state", as: String?.self).flatMap(JSONValue.parse),
                eventID: try row.decode(column: "event_id", as: String.self),
                at: Date(millisecondsSince1970: try row.decode(column: "at", as: Int64.self))
            )
        }
    }

    private static func notification(from row: any SQLRow) throws -> AppNotification {
        AppNotification(
            id: try row.decode(column: "id", as: Int64.self),
            userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
            kind: try row.decode(column: "kind", as: String.self),
            taskID: try row.decode(column: "task_id", as: Int64?.self),
            title: try row.decode(column: "title", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            readAt: try row.decode(column: "read_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
        )
    }
}
