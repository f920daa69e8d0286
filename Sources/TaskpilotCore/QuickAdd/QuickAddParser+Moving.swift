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

    /// Whether `words` are a clock time alone that either half of the day could mean: an hour from 1 to 11 without am,
    /// pm or a leading zero ("9:15", "at 10", "7.30"; not "09:15", "13:00", "9pm", "noon").
    static func eitherHalfOfDay(_ words: String) -> Bool {
        let text = words.lowercased().trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ".!?")))
        return text.wholeMatch(of: /(?:(?:at|to|for|until|till)\s+)?(?:[1-9]|1[01])(?:[:.][0-5]\d)?/) != nil
    }

    /// Where a due date (`current`, all-day or not) moves when told `parsed`: a day keeps the time of day (unless it
    /// was all-day), a bare time (`onlyTime`, see `namesOnlyATime`) keeps the day; without a due date it takes what
    /// was said. Today's weekday said by name ("move it to friday" on a Friday) is next week's when the time kept
    /// has passed. A time said without am/pm (`words` "9:15" or "at 10", not "09:15" or "9pm") is the one of its two
    /// readings nearer the time kept within the day ("change it to 9:15" of a task at 20:00 is 21:15; of one at 10:00
    /// or at 3:00, 9:15). Nil when `parsed` names no date.
    public func movedDue(
        from current: Date?,
        allDay currentAllDay: Bool,
        to parsed: QuickAddResult,
        onlyTime: Bool,
        said words: String? = nil
    ) -> (date: Date, allDay: Bool)? {
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
        var clock = calendar.dateComponents([.hour, .minute, .second], from: time)
        if onlyTime, !currentAllDay, let words, Self.eitherHalfOfDay(words), let hour = clock.hour, let minute = clock.minute {
            let kept = calendar.dateComponents([.hour, .minute], from: current)
            let keptMinutes = (kept.hour ?? 0) * 60 + (kept.minute ?? 0)
            // Apart within the day, not across midnight: a task at 3:00 told "9:15" is at 9:15, not 21:15.
            func distance(_ hour: Int) -> Int { abs(hour * 60 + minute - keptMinutes) }
            let other = (hour + 12) % 24
            if distance(other) < distance(hour) { clock.hour = other }
        }
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
