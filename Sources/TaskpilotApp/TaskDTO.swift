import Foundation
import Hummingbird
import TaskpilotCore

/// A task as the API shows it (DESIGN §4).
struct TaskDTO: ResponseEncodable, Sendable {
    let task: TaskItem
    let now: Date
    let timeZone: TimeZone

    init(_ task: TaskItem, now: Date, timeZone: TimeZone) {
        self.task = task
        self.now = now
        self.timeZone = timeZone
    }

    enum Keys: String, CodingKey {
        case id, title, description, status, completed, priority, tags, overdue, reminders, recurrence, occurrence
        case dueAt = "due_at", allDay = "all_day", seriesID = "series_id", completedAt = "completed_at"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(task.id, forKey: .id)
        try container.encode(task.title, forKey: .title)
        try container.encode(task.description, forKey: .description)
        try container.encode(task.status.rawValue, forKey: .status)
        try container.encode(task.status == .completed, forKey: .completed)
        try container.encode(task.priority.rawValue, forKey: .priority)
        try container.encode(task.tags, forKey: .tags)
        try container.encode(task.dueAt.map(Timestamp.format), forKey: .dueAt)
        try container.encode(task.allDay, forKey: .allDay)
        try container.encode(task.isOverdue(now: now), forKey: .overdue)
        try container.encode(task.reminders.map(ReminderDTO.init), forKey: .reminders)
        try container.encode(task.recurrence.map { RecurrenceDTO($0, timeZone: timeZone) }, forKey: .recurrence)
        try container.encode(task.seriesID, forKey: .seriesID)
        try container.encode(task.occurrence, forKey: .occurrence)
        try container.encode(task.completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(Timestamp.format(task.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(task.updatedAt), forKey: .updatedAt)
    }
}

/// A reminder as the API shows it.
struct ReminderDTO: Encodable, Sendable {
    let reminder: Reminder

    init(_ reminder: Reminder) { self.reminder = reminder }

    enum Keys: String, CodingKey {
        case id, at
        case offsetMinutes = "offset_minutes", fireAt = "fire_at", firedAt = "fired_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(reminder.id, forKey: .id)
        var minutes: Int?
        var at: String?
        switch reminder.trigger {
        case .beforeDue(let offset): minutes = offset
        case .at(let date): at = Timestamp.format(date)
        }
        try container.encode(minutes, forKey: .offsetMinutes)
        try container.encode(at, forKey: .at)
        try container.encode(reminder.fireAt.map(Timestamp.format), forKey: .fireAt)
        try container.encode(reminder.firedAt.map(Timestamp.format), forKey: .firedAt)
    }
}

/// A recurrence rule as the API shows it, with its RRULE and its sentence.
struct RecurrenceDTO: Encodable, Sendable {
    let rule: RecurrenceRule
    let timeZone: TimeZone

    init(_ rule: RecurrenceRule, timeZone: TimeZone) {
        self.rule = rule
        self.timeZone = timeZone
    }

    enum Keys: String, CodingKey {
        case frequency, interval, until, count, rrule, text
        case byWeekday = "by_weekday", byMonthDay = "by_month_day", fromCompletion = "from_completion"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(rule.frequency.rawValue, forKey: .frequency)
        try container.encode(rule.interval, forKey: .interval)
        try container.encode(rule.byWeekday.map(\.code), forKey: .byWeekday)
        try container.encode(rule.byMonthDay, forKey: .byMonthDay)
        try container.encode(rule.until.map(Timestamp.format), forKey: .until)
        try container.encode(rule.count, forKey: .count)
        try container.encode(rule.fromCompletion, forKey: .fromCompletion)
        try container.encode(rule.rrule, forKey: .rrule)
        try container.encode(rule.text(timeZone: timeZone), forKey: .text)
    }
}

/// A page of tasks.
struct TaskListDTO: ResponseEncodable, Sendable {
    let items: [TaskDTO]
    let nextCursor: String?

    enum Keys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// A user as the API shows it.
struct UserDTO: ResponseEncodable, Sendable {
    let id: String
    let email: String
    let name: String
    let timezone: String
    let created_at: String

    init(_ user: User) {
        id = user.id.uuidString.lowercased()
        email = user.email
        name = user.name
        timezone = user.timezone
        created_at = Timestamp.format(user.createdAt)
    }
}

/// The answer of register and login.
struct AuthDTO: ResponseEncodable, Sendable {
    let user: UserDTO
    let token: String
    let token_type = "Bearer"
    let expires_at: String
}

/// A personal API token as listed; `token` only in the answer that creates it.
struct APITokenDTO: ResponseEncodable, Sendable {
    let token: APIToken
    let secret: String?

    enum Keys: String, CodingKey {
        case id, name, prefix, token
        case createdAt = "created_at", expiresAt = "expires_at", lastUsedAt = "last_used_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(token.id.uuidString.lowercased(), forKey: .id)
        try container.encode(token.name, forKey: .name)
        try container.encode(token.prefix, forKey: .prefix)
        try container.encode(Timestamp.format(token.createdAt), forKey: .createdAt)
        try container.encode(token.expiresAt.map(Timestamp.format), forKey: .expiresAt)
        try container.encode(token.lastUsedAt.map(Timestamp.format), forKey: .lastUsedAt)
        if let secret { try container.encode(secret, forKey: .token) }
    }
}

/// A JSON array as a response.
struct ListDTO<Element: Encodable & Sendable>: ResponseEncodable, Sendable {
    let items: [Element]

    init(_ items: [Element]) { self.items = items }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }
}

/// The answer of a bulk action.
struct BulkResultDTO: ResponseEncodable, Sendable {
    let affected: Int
}

