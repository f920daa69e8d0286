public import Foundation

/// An in-app notification.
public struct AppNotification: Sendable, Equatable {
    public var id: Int64
    public var userID: UUID
    /// E.g. `reminder`, `webhook_disabled`.
    public var kind: String
    public var taskID: Int64?
    public var title: String
    public var body: String
    public var createdAt: Date
    public var readAt: Date?

    /// A notification value.
    public init(id: Int64, userID: UUID, kind: String, taskID: Int64?, title: String, body: String, createdAt: Date, readAt: Date?) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.taskID = taskID
        self.title = title
        self.body = body
        self.createdAt = createdAt
        self.readAt = readAt
    }

    /// The notification as the API and the WebSocket show it.
    public var json: JSONValue {
        [
            "id": .number(Double(id)), "kind": .string(kind), "task_id": taskID.map { .number(Double($0)) } ?? .null, "title": .string(title),
            "body": .string(body), "created_at": .string(Timestamp.format(createdAt)),
            "read_at": readAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
    }
}

/// One entry of a task's history.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var taskID: Int64
    /// created, updated, completed, reopened, deleted.
    public var action: String
    /// api, assistant, mcp or system.
    public var source: String
    /// Who acted: the user's id, or `system`.
    public var actor: String
    public var before: JSONValue?
    public var after: JSONValue?
    public var eventID: String
    public var at: Date

    /// An entry.
    public init(
        id: Int64,
        taskID: Int64,
        action: String,
        source: String,
        actor: String,
        before: JSONValue?,
        after: JSONValue?,
        eventID: String,
        at: Date
    ) {
        self.id = id
        self.taskID = taskID
        self.action = action
        self.source = source
        self.actor = actor
        self.before = before
        self.after = after
        self.eventID = eventID
        self.at = at
    }
}

/// A reminder that just fired.
public struct FiredReminder: Sendable, Equatable {
    public var reminderID: Int64
    public var taskID: Int64
    public var fireAt: Date
    public var firedAt: Date
    /// When it became due: its fire time, or when the task was last written if that time had passed already (a
    /// reminder set for a past time fires at once, and is no later than that).
    public var dueSince: Date

    /// A fired reminder.
    public init(reminderID: Int64, taskID: Int64, fireAt: Date, firedAt: Date, dueSince: Date? = nil) {
        self.reminderID = reminderID
        self.taskID = taskID
        self.fireAt = fireAt
        self.firedAt = firedAt
        self.dueSince = dueSince ?? fireAt
    }
}

/// The storage the workers need; every method is idempotent per (consumer, event id).
public protocol WorkflowStore: Sendable {
    /// Creates the next occurrence of a completed recurring task, once per completion event; nil when there is none.
    func createNextOccurrence(afterCompletionEvent event: OutboxEvent, consumer: String, now: Date) async throws -> TaskItem?
    /// Marks due reminders of pending tasks fired and queues their `reminders` events, each exactly once.
    func fireDueReminders(now: Date, limit: Int) async throws -> [FiredReminder]
    /// The earliest fire time of an unfired reminder of a pending task.
    func nextReminderTime() async throws -> Date?
    /// Stores the in-app notification of a `reminder.due` event and queues its live update, once per event.
    func recordReminderNotification(_ event: OutboxEvent, consumer: String, now: Date) async throws -> AppNotification?
    /// Appends task events to the audit log, once per event; returns how many were new.
    func recordAudit(_ events: [OutboxEvent]) async throws -> Int
}

/// Notifications and history as the API reads them; scoped to one user.
public protocol ActivityRepository: Sendable {
    /// The user's notifications, newest first.
    func notifications(userID: UUID, unreadOnly: Bool, limit: Int) async throws -> [AppNotification]
    /// Marks one of the user's notifications read.
    func markRead(notificationID: Int64, userID: UUID, now: Date) async throws -> AppNotification
    /// The audit entries of one of the user's tasks, oldest first.
    func history(taskID: Int64, userID: UUID) async throws -> [AuditEntry]
}
