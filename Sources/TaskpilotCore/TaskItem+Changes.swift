public import Foundation

extension TaskItem {
    /// A blank pending task of a user, the starting point of a create.
    public static func blank(userID: UUID, now: Date) -> TaskItem {
        TaskItem(id: 0, userID: userID, title: "", createdAt: now, updatedAt: now)
    }

    /// The task with `changes` applied and checked as a whole (e.g. a recurrence needs a due date).
    /// Reminder ids of new reminders are 0; the store assigns them.
    public func applying(_ changes: TaskChanges, now: Date, timeZone: TimeZone) throws(TaskpilotError) -> TaskItem {
        var task = self
        var errors: [FieldError] = []
        if let title = changes.title { task.title = title }
        if task.title.isEmpty { errors.append(FieldError("title", "is required")) }
        if let description = changes.description { task.description = description }
        if let priority = changes.priority { task.priority = priority }
        if let tags = changes.tags { task.tags = tags }
        let calendar = Calendar.taskpilot(timeZone)
        switch changes.due {
        case .set(.instant(let date))?:
            task.dueAt = date
            task.allDay = changes.allDay ?? false
        case .set(.day(let date))?:
            task.dueAt = date
            task.allDay = changes.allDay ?? true
        case .clear?:
            task.dueAt = nil
            task.allDay = false
        case nil:
            if let allDay = changes.allDay { task.allDay = allDay }
        }
        if task.allDay {
            if let due = task.dueAt {
                task.dueAt = calendar.startOfDay(for: due)
            } else if changes.allDay == true {
                errors.append(FieldError("all_day", "needs a due date (due_at)"))
            }
        }
        if let status = changes.togglesStatus ? (task.status == .completed ? .pending : .completed) : changes.status, status != task.status {
            task.status = status
            task.completedAt = status == .completed ? now : nil
        }
        func fireDate(_ trigger: ReminderTrigger) -> Date? { trigger.fireDate(dueAt: task.dueAt, allDay: task.allDay, timeZone: timeZone) }
        if let triggers = changes.reminders {
            task.reminders = triggers.enumerated().map { index, trigger in
                let fireAt = fireDate(trigger)
                // A reminder sent back as it was (a client writing the whole list, or one added to it) keeps having
                // fired: re-armed, one whose time has passed would fire again at once.
                if let kept = reminders.first(where: {
                    Self.sameTime($0.trigger, trigger) && $0.fireAt.map { abs($0.timeIntervalSince(fireAt ?? $0)) < 60 } != false
                }) {
                    return Reminder(id: 0, trigger: trigger, fireAt: fireAt, firedAt: kept.firedAt)
                }
                // A new reminder at a time that has passed would fire at once: not what anyone asks for.
                if case .at(let date) = trigger, date <= now {
                    // Said in the user's zone, as they gave it ("yesterday 08:00"), not in UTC.
                    let when = Timestamp.describe(date, allDay: false, timeZone: timeZone, now: now)
                    errors.append(FieldError("reminders[\(index)].at", "\(when) (\(timeZone.identifier)) has passed; give a time to come"))
                }
                return Reminder(id: 0, trigger: trigger, fireAt: fireAt, firedAt: nil)
            }
        } else if dueAt != task.dueAt || allDay != task.allDay {
            // A new due date (or a due time that becomes a day) re-arms relative reminders.
            task.reminders = task.reminders.map { reminder in
                guard case .beforeDue = reminder.trigger else { return reminder }
                return Reminder(id: 0, trigger: reminder.trigger, fireAt: fireDate(reminder.trigger), firedAt: nil)
            }
        }
        if task.dueAt == nil, task.reminders.contains(where: { if case .beforeDue = $0.trigger { true } else { false } }) {
            errors.append(FieldError("reminders", "relative to the due date need a due date (due_at)"))
        }
        switch changes.recurrence {
        case .set(let rule)?: task.recurrence = rule
        case .clear?: task.recurrence = nil
        case nil: break
        }
        if let rule = task.recurrence {
            if let due = task.dueAt, let month = rule.byMonth, month != Calendar.taskpilot(timeZone).component(.month, from: due) {
                errors.append(
                    FieldError(
                        "recurrence.rrule",
                        "BYMONTH=\(month) is not the month of the due date: a yearly rule repeats on its due date's month; move due_at into that month"
                    )
                )
            } else if changes.recurrence != nil, rule.frequency == .yearly, let due = task.dueAt, let day = rule.byMonthDay.first, day > 0,
                let month = Optional(Calendar.taskpilot(timeZone).component(.month, from: due)),
                day > RecurrenceRule.daysInMonth(year: 2000, month: month, calendar: Calendar.taskpilot(timeZone))
            {
                // 2000 was a leap year: a day past the longest such month never comes ("every year on February 30").
                let name = Calendar.taskpilot(timeZone).monthSymbols[month - 1]
                errors.append(
                    FieldError("recurrence.by_month_day", "\(name) has no day \(day): a yearly rule repeats on a day of its due date's month")
                )
            } else if rule.frequency == .hourly, task.allDay {
                errors.append(FieldError("recurrence.frequency", "hourly needs a due time, not an all-day date: give due_at a time of day"))
            } else if !rule.byHour.isEmpty, task.allDay {
                errors.append(
                    FieldError("recurrence.by_hour", "needs a due time, not an all-day date: give due_at a time of day (its minute is the series')")
                )
            } else if let due = task.dueAt, changes.recurrence != nil || changes.due != nil, let until = rule.until, until < due {
                // A series that ends before it starts is a mistake (a year, a month): say so rather than repeat nothing.
                errors.append(FieldError("recurrence.until", "must not be before the first due date (due_at)"))
            } else if let due = task.dueAt {
                task.recurrence = Self.recurrence(
                    rule,
                    changed: changes.recurrence != nil,
                    previous: recurrence,
                    due: due,
                    movedFrom: dueAt,
                    timeZone: timeZone
                )
            } else {
                errors.append(FieldError("recurrence", "needs a due date (due_at) to repeat from"))
            }
        }
        guard errors.isEmpty else { throw .validationFailed(errors) }
        task.updatedAt = now
        return task
    }

    /// Whether two reminders are the same one as a client sends it back: the same offset, or instants less than a
    /// minute apart (a form that shows minutes drops the seconds of one set through the API).
    static func sameTime(_ a: ReminderTrigger, _ b: ReminderTrigger) -> Bool {
        switch (a, b) {
        case (.beforeDue(let x), .beforeDue(let y)): x == y
        case (.at(let x), .at(let y)): abs(x.timeIntervalSince(y)) < 60
        default: false
        }
    }

    /// The rule of a task due at `due` after a change. A rule given in the change is normalized against the due date,
    /// which fills in a missing day of the month. Moving only the due date moves one occurrence, not the series: every
    /// part of the rule stays as it is (an explicit `BYMONTHDAY=1` stays the 1st, whatever the new day), except the
    /// time of day the rule remembers for a daylight-saving gap, which follows the due date as the time of every
    /// later occurrence does, and a yearly rule's day, which follows the due date with its month.
    private static func recurrence(
        _ rule: RecurrenceRule,
        changed: Bool,
        previous: RecurrenceRule?,
        due: Date,
        movedFrom oldDue: Date?,
        timeZone: TimeZone
    ) -> RecurrenceRule {
        let moved = oldDue != due
        var result = changed ? rule.normalized(anchor: due, timeZone: timeZone) : rule
        if moved, !changed, rule.frequency == .yearly, !rule.fromCompletion, rule.byMonthDay != [-1], rule.bySetPosition.isEmpty {
            // A yearly rule's month is always the due date's: its day follows too, or a birthday moved from March 3
            // to April 5 would repeat on April 3.
            result.byMonthDay = [Calendar.taskpilot(timeZone).component(.day, from: due)]
        }
        if moved || previous == nil {
            result.timeOfDay = result.rememberedTime(due: due, timeZone: timeZone)
        } else {
            // The due date did not move (e.g. a client sent the rule back unchanged): the series keeps its time,
            // even while this occurrence sits after a gap.
            result.timeOfDay = previous?.timeOfDay ?? result.rememberedTime(due: due, timeZone: timeZone)
        }
        return result
    }
}
