public import Foundation

extension TaskItem {
    /// The task as the API shows it (DESIGN §4), also the `task_data` of events.
    public func apiJSON(now: Date, timeZone: TimeZone) -> JSONValue {
        var writer = JSONWriter(capacity: 512)
        writeAPIJSON(into: &writer, now: now, timeZone: timeZone)
        // The writer is the one definition of the shape; its output is always one valid object.
        return JSONParser.parse(writer.text) ?? .null
    }

    /// Writes the task as the API shows it, members in key order, straight into `writer` (the list path).
    public func writeAPIJSON(into writer: inout JSONWriter, now: Date, timeZone: TimeZone) {
        writeMembersBeforeOverdue(into: &writer)
        writer.bool(isOverdue(now: now))
        writeMembersAfterOverdue(into: &writer, timeZone: timeZone)
    }

    /// The task as the API shows it in `timeZone` at any time: everything but `overdue` written once (see
    /// `TaskJSONFragment`).
    public func apiJSONFragment(timeZone: TimeZone) -> TaskJSONFragment {
        var writer = JSONWriter(capacity: 768)
        writeMembersBeforeOverdue(into: &writer)
        let head = writer.bytes.count
        writer.bool(false)
        let tail = writer.bytes.count
        writeMembersAfterOverdue(into: &writer, timeZone: timeZone)
        return TaskJSONFragment(
            beforeOverdue: Array(writer.bytes[..<head]),
            afterOverdue: Array(writer.bytes[tail...]),
            overdueAfter: overdueAfter
        )
    }

    /// `{` and the members up to the name of `overdue`.
    private func writeMembersBeforeOverdue(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("all_day")
        writer.bool(allDay)
        writer.key("completed")
        writer.bool(status == .completed)
        writer.key("completed_at")
        writer.timestamp(completedAt)
        writer.key("created_at")
        writer.timestamp(createdAt)
        writer.key("description")
        writer.string(description)
        writer.key("due_at")
        writer.timestamp(dueAt)
        writer.key("id")
        writer.int(id)
        writer.key("occurrence")
        writer.int(occurrence)
        writer.key("overdue")
    }

    /// The members after `overdue`'s value, and `}`.
    private func writeMembersAfterOverdue(into writer: inout JSONWriter, timeZone: TimeZone) {
        writer.key("priority")
        writer.string(priority.rawValue)
        writer.key("recurrence")
        if let rule = recurrence {
            writer.beginObject()
            writer.key("by_hour")
            writer.beginArray()
            for hour in rule.byHour { writer.int(hour) }
            writer.endArray()
            writer.key("by_month_day")
            writer.beginArray()
            for day in rule.byMonthDay { writer.int(day) }
            writer.endArray()
            writer.key("by_set_position")
            writer.beginArray()
            for position in rule.bySetPosition { writer.int(position) }
            writer.endArray()
            writer.key("by_weekday")
            writer.beginArray()
            for weekday in rule.byWeekday { writer.string(weekday.code) }
            writer.endArray()
            writer.key("count")
            if let count = rule.count { writer.int(count) } else { writer.null() }
            writer.key("frequency")
            writer.string(rule.frequency.rawValue)
            writer.key("from_completion")
            writer.bool(rule.fromCompletion)
            writer.key("interval")
            writer.int(rule.interval)
            writer.key("rrule")
            writer.string(rule.shownRRULE(due: dueAt, timeZone: timeZone))
            writer.key("text")
            writer.string(rule.text(timeZone: timeZone, due: dueAt))
            writer.key("until")
            writer.timestamp(rule.until)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.key("reminders")
        writer.beginArray()
        for reminder in reminders {
            writer.beginObject()
            writer.key("at")
            if case .at(let date) = reminder.trigger { writer.timestamp(date) } else { writer.null() }
            writer.key("fire_at")
            writer.timestamp(reminder.fireAt)
            writer.key("fired_at")
            writer.timestamp(reminder.firedAt)
            writer.key("id")
            writer.int(reminder.id)
            writer.key("offset_minutes")
            if case .beforeDue(let minutes) = reminder.trigger { writer.int(minutes) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.key("series_id")
        if let seriesID { writer.int(seriesID) } else { writer.null() }
        writer.key("status")
        writer.string(status.rawValue)
        writer.key("tags")
        writer.beginArray()
        for tag in tags { writer.string(tag) }
        writer.endArray()
        writer.key("title")
        writer.string(title)
        writer.key("updated_at")
        writer.timestamp(updatedAt)
        writer.endObject()
    }
}

/// A task written as the API shows it except for `overdue`, which depends on the time it is shown at: what a cache of
/// written tasks keeps (see `SQLTaskRepository.listJSON`).
public struct TaskJSONFragment: Sendable {
    /// `{` up to `"overdue":`.
    public let beforeOverdue: [UInt8]
    /// From the `,` after the value of `overdue` to `}`.
    public let afterOverdue: [UInt8]
    /// The task's `overdueAfter`: `overdue` is true at a time past it.
    public let overdueAfter: Date?

    /// Writes the task as it is at `now` as the next value of `writer`.
    public func write(into writer: inout JSONWriter, now: Date) {
        let overdue = overdueAfter.map { now > $0 } ?? false
        writer.written { bytes in
            bytes.append(contentsOf: beforeOverdue)
            bytes.append(contentsOf: (overdue ? "true" : "false").utf8)
            bytes.append(contentsOf: afterOverdue)
        }
    }

    /// How many bytes it keeps.
    public var size: Int { beforeOverdue.count + afterOverdue.count }
}
