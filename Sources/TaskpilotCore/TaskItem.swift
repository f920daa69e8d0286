public import Foundation

/// When a reminder fires: some minutes before the due date, or at a fixed instant.
public enum ReminderTrigger: Sendable, Equatable, Hashable {
    /// Minutes before the task's due date.
    case beforeDue(minutes: Int)
    /// A fixed instant.
    case at(Date)

    /// The hour a relative reminder of an all-day task counts from: "at the due time" of a task due on a day is 9:00
    /// that morning in the user's time zone, not its midnight, and "1 day before" 9:00 the day before.
    public static let allDayHour = 9

    /// The instant the reminder fires for a task due at `dueAt` (all-day tasks: see ``allDayHour``); nil for a
    /// relative reminder without a due date. Whole days count as calendar days in `timeZone` ("1 day before" a task
    /// due at 9:00 is 9:00 the day before, across a daylight-saving change too); the minutes beyond them as elapsed time.
    public func fireDate(dueAt: Date?, allDay: Bool, timeZone: TimeZone) -> Date? {
        switch self {
        case .beforeDue(let minutes):
            guard let due = dueAt else { return nil }
            let calendar = Calendar.taskpilot(timeZone)
            let (days, rest) = (minutes / 1440, minutes % 1440)
            var base = due
            if allDay || days > 0 {
                let time = allDay ? RecurrenceRule.TimeOfDay(hour: Self.allDayHour, minute: 0) : RecurrenceRule.TimeOfDay(of: due, calendar: calendar)
                if let day = calendar.date(byAdding: .day, value: -days, to: due),
                    let clock = RecurrenceRule.wallClock(time, onDayOf: day, calendar: calendar)
                {
                    base = clock
                }
            }
            return base.addingTimeInterval(-Double(rest) * 60)
        case .at(let date): return date
        }
    }
}

extension ReminderTrigger {
    /// The relative trigger that fires at `fire` for a task due at `dueAt`, when `fire` comes before its due time (9:00
    /// on the day of an all-day task): a reminder said at a clock time ("the night before at 8pm", "at 8am" of a task
    /// due at 9) then comes round with every occurrence of a series. Nil for a time after it.
    public static func relative(firingAt fire: Date, dueAt: Date, allDay: Bool, timeZone: TimeZone) -> ReminderTrigger? {
        guard let anchor = ReminderTrigger.beforeDue(minutes: 0).fireDate(dueAt: dueAt, allDay: allDay, timeZone: timeZone) else { return nil }
        let minutes = Int((anchor.timeIntervalSince(fire) / 60).rounded())
        // Whole days count as calendar days: across a daylight-saving change the offset that gives `fire` back is an
        // hour off the elapsed one.
        for candidate in [minutes, minutes - 60, minutes + 60] where (0...525_600).contains(candidate) {
            let trigger = ReminderTrigger.beforeDue(minutes: candidate)
            if trigger.fireDate(dueAt: dueAt, allDay: allDay, timeZone: timeZone) == fire { return trigger }
        }
        return nil
    }
}

/// A reminder of a task.
public struct Reminder: Sendable, Equatable {
    /// The stored id.
    public var id: Int64
    /// When it fires, relative or absolute.
    public var trigger: ReminderTrigger
    /// The computed instant it fires.
    public var fireAt: Date?
    /// When it fired, if it has.
    public var firedAt: Date?

    /// Creates a reminder.
    public init(id: Int64, trigger: ReminderTrigger, fireAt: Date?, firedAt: Date?) {
        self.id = id
        self.trigger = trigger
        self.fireAt = fireAt
        self.firedAt = firedAt
    }
}

/// A task as stored: the aggregate of a task row, its tags and its reminders.
public struct TaskItem: Sendable, Equatable {
    /// The task id, unique across users.
    public var id: Int64
    /// The owner.
    public var userID: UUID
    public var title: String
    public var description: String
    public var status: TaskStatus
    public var priority: TaskPriority
    /// Lowercase tags, sorted.
    public var tags: [String]
    /// The due instant; for all-day tasks the start of the day in the owner's time zone.
    public var dueAt: Date?
    public var allDay: Bool
    public var reminders: [Reminder]
    public var recurrence: RecurrenceRule?
    /// The id of the first task of a recurring series.
    public var seriesID: Int64?
    /// The 1-based number of this occurrence in its series.
    public var occurrence: Int
    public var completedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a task value.
    public init(
        id: Int64,
        userID: UUID,
        title: String,
        description: String = "",
        status: TaskStatus = .pending,
        priority: TaskPriority = .none,
        tags: [String] = [],
        dueAt: Date? = nil,
        allDay: Bool = false,
        reminders: [Reminder] = [],
        recurrence: RecurrenceRule? = nil,
        seriesID: Int64? = nil,
        occurrence: Int = 1,
        completedAt: Date? = nil,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.userID = userID
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.tags = tags
        self.dueAt = dueAt
        self.allDay = allDay
        self.reminders = reminders
        self.recurrence = recurrence
        self.seriesID = seriesID
        self.occurrence = occurrence
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the task is pending and its due time (the end of the day, for all-day tasks) has passed.
    public func isOverdue(now: Date) -> Bool {
        overdueAfter.map { now > $0 } ?? false
    }

    /// The instant after which the task is overdue (`overdueThreshold` past its due date); nil when it cannot be (done,
    /// or without a due date).
    public var overdueAfter: Date? {
        guard status == .pending, let dueAt else { return nil }
        return allDay ? dueAt.addingTimeInterval(86_400) : dueAt
    }

    /// The due instant before which a pending task is overdue at `now`.
    public static func overdueThreshold(now: Date, allDay: Bool) -> Date {
        allDay ? now.addingTimeInterval(-86_400) : now
    }
}

/// How many pending and completed tasks carry a tag.
public struct TagCount: Sendable, Equatable, Codable {
    public var name: String
    /// The tasks carrying it, pending and completed.
    public var count: Int
    /// The pending ones among them: what a list of the tag shows by default.
    public var open: Int

    /// Creates a tag count.
    public init(name: String, count: Int, open: Int) {
        self.name = name
        self.count = count
        self.open = open
    }
}
