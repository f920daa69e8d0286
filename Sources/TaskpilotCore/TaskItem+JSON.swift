public import Foundation

extension TaskItem {
    /// The task as the API shows it (DESIGN §4), also the `task_data` of events.
    public func apiJSON(now: Date, timeZone: TimeZone) -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamp.format($0)) } ?? .null }
        let reminderValues: [JSONValue] = reminders.map { reminder in
            var minutes: JSONValue = .null
            var at: JSONValue = .null
            switch reminder.trigger {
            case .beforeDue(let offset): minutes = .number(Double(offset))
            case .at(let date): at = .string(Timestamp.format(date))
            }
            return [
                "id": .number(Double(reminder.id)), "offset_minutes": minutes, "at": at, "fire_at": time(reminder.fireAt),
                "fired_at": time(reminder.firedAt),
            ]
        }
        let rule: JSONValue =
            recurrence.map { rule in
                [
                    "frequency": .string(rule.frequency.rawValue), "interval": .number(Double(rule.interval)),
                    "by_weekday": .array(rule.byWeekday.map { .string($0.code) }),
                    "by_month_day": .array(rule.byMonthDay.map { .number(Double($0)) }),
                    "until": time(rule.until), "count": rule.count.map { .number(Double($0)) } ?? .null,
                    "from_completion": .bool(rule.fromCompletion),
                    "rrule": .string(rule.rrule), "text": .string(rule.text(timeZone: timeZone)),
                ]
            } ?? .null
        return [
            "id": .number(Double(id)), "title": .string(title), "description": .string(description), "status": .string(status.rawValue),
            "completed": .bool(status == .completed), "priority": .string(priority.rawValue), "tags": .array(tags.map { .string($0) }),
            "due_at": time(dueAt), "all_day": .bool(allDay), "overdue": .bool(isOverdue(now: now)), "reminders": .array(reminderValues),
            "recurrence": rule, "series_id": seriesID.map { .number(Double($0)) } ?? .null, "occurrence": .number(Double(occurrence)),
            "completed_at": time(completedAt), "created_at": .string(Timestamp.format(createdAt)), "updated_at": .string(Timestamp.format(updatedAt)),
        ]
    }
}
