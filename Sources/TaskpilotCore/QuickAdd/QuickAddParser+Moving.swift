public import Foundation

extension QuickAddParser {
    /// Whether words name a time of day and no day ("4pm", "at noon", "in the evening"). Read at the start and at the
    /// end of today, a bare time falls on different days at the same clock time; a day or an instant ("in 2 hours") does not.
    public func namesOnlyATime(_ words: String) -> Bool {
        let morning = calendar.startOfDay(for: now)
        guard let night = calendar.date(bySettingHour: 23, minute: 59, second: 0, of: now) else { return false }
        let early = QuickAddParser(now: morning, timeZone: timeZone).parse(words)
        let late = QuickAddParser(now: night, timeZone: timeZone).parse(words)
        guard let first = early.dueAt, let second = late.dueAt, !early.allDay, !late.allDay else { return false }
        let clock: Set<Calendar.Component> = [.hour, .minute]
        return calendar.dateComponents(clock, from: first) == calendar.dateComponents(clock, from: second)
            && !calendar.isDate(first, inSameDayAs: second)
    }

    /// Where a due date (`current`, all-day or not) moves when told `parsed`: a day keeps the time of day (unless it
    /// was all-day), a bare time (`onlyTime`, see `namesOnlyATime`) keeps the day; without a due date it takes what
    /// was said. Today's weekday said by name ("move it to friday" on a Friday) is next week's when the time kept
    /// has passed. Nil when `parsed` names no date.
    public func movedDue(from current: Date?, allDay currentAllDay: Bool, to parsed: QuickAddResult, onlyTime: Bool) -> (date: Date, allDay: Bool)? {
        guard let due = parsed.dueAt else { return nil }
        guard let current else { return (due, parsed.allDay) }
        let (day, time): (Date, Date)
        if parsed.allDay {
            guard !currentAllDay else { return (due, true) }
            (day, time) = (due, current)
        } else if onlyTime {
            (day, time) = (current, due)
        } else {
            return (due, false)
        }
        var parts = calendar.dateComponents([.year, .month, .day], from: day)
        let clock = calendar.dateComponents([.hour, .minute, .second], from: time)
        (parts.hour, parts.minute, parts.second) = (clock.hour, clock.minute, clock.second)
        guard let moved = calendar.date(from: parts) else { return nil }
        if parsed.allDay, parsed.todayByWeekdayName, moved <= now, let later = calendar.date(byAdding: .day, value: 7, to: day) {
            parts = calendar.dateComponents([.year, .month, .day], from: later)
            (parts.hour, parts.minute, parts.second) = (clock.hour, clock.minute, clock.second)
            return calendar.date(from: parts).map { ($0, false) }
        }
        return (moved, false)
    }
}
