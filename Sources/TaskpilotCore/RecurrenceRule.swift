public import Foundation

/// How often a recurring task repeats.
public enum RecurrenceFrequency: String, Sendable, Codable, CaseIterable {
    case daily, weekly, monthly, yearly
    /// Every so many hours of elapsed time ("drink water every 2 hours"): no days, weekdays or positions.
    case hourly

    var rruleName: String { rawValue.uppercased() }
    var unit: String {
        switch self {
        case .daily: "day"
        case .weekly: "week"
        case .monthly: "month"
        case .yearly: "year"
        case .hourly: "hour"
        }
    }
}

/// A repetition rule: the subset of RFC 5545 RRULE that a task manager needs, plus "from completion".
public struct RecurrenceRule: Sendable, Equatable, Hashable {
    /// The unit of repetition.
    public var frequency: RecurrenceFrequency
    /// Every how many units, at least 1.
    public var interval: Int
    /// For weekly rules, the days of the week; empty means the weekday of the previous occurrence. For monthly and
    /// yearly rules, with ``bySetPosition``, the weekdays it counts ("the first *Friday*").
    public var byWeekday: [Weekday]
    /// For monthly and yearly rules, the days of the month (1…31, or -1 for the last day); empty means the previous day.
    public var byMonthDay: [Int]
    /// For monthly and yearly rules with ``byWeekday`` (RFC 5545 `BYSETPOS`): which of the month's days that fall on
    /// those weekdays, 1 the first, 2 the second, -1 the last ("the first Friday", "the last weekday"). A month
    /// without that day (a fifth Friday) is skipped.
    public var bySetPosition: [Int]
    /// For daily and weekly rules, the hours of the day (0…23, two or more) it comes at on each of its days, at the
    /// minute of its due date ("every day at 8:00 and 20:00", "every 2 hours from 8:00 to 20:00"); empty means once,
    /// at the time of the due date.
    public var byHour: [Int]
    /// No occurrence after this instant.
    public var until: Date?
    /// At most this many occurrences in the series.
    public var count: Int?
    /// Count the interval from the completion time instead of the previous due date (Todoist's `every!`).
    public var fromCompletion: Bool
    /// The series' local wall-clock time, when the previous occurrence cannot tell it: set (from the due date, by
    /// ``normalized(anchor:timeZone:)``) only for a time that falls into a daylight-saving gap of the user's zone, where
    /// one occurrence had to move. Written as `BYHOUR`/`BYMINUTE`/`BYSECOND`; nil means the time of the previous due date.
    /// With ``byHour`` only its minute and second count (`BYMINUTE`/`BYSECOND` beside the hours).
    public var timeOfDay: TimeOfDay?
    /// The month of a yearly rule as read from RRULE text (`BYMONTH=3`). A yearly rule repeats on its due date's month,
    /// so this is only checked against the due date (``TaskItem``'s changes refuse another month) and then dropped by
    /// ``normalized(anchor:timeZone:)``: never stored. Shown rules carry it again (``shownRRULE(due:timeZone:)``).
    public var byMonth: Int?

    /// A local wall-clock time of day.
    public struct TimeOfDay: Sendable, Equatable, Hashable {
        /// 0…23.
        public var hour: Int
        /// 0…59.
        public var minute: Int
        /// 0…59.
        public var second: Int

        /// A time of day.
        public init(hour: Int, minute: Int, second: Int = 0) {
            self.hour = hour
            self.minute = minute
            self.second = second
        }

        /// The local time of day of an instant.
        public init(of date: Date, calendar: Calendar) {
            let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
            self.init(hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0)
        }
    }

    /// Creates a rule; call ``validate(field:)`` before storing it.
    public init(
        frequency: RecurrenceFrequency,
        interval: Int = 1,
        byWeekday: [Weekday] = [],
        byMonthDay: [Int] = [],
        bySetPosition: [Int] = [],
        byHour: [Int] = [],
        until: Date? = nil,
        count: Int? = nil,
        fromCompletion: Bool = false,
        timeOfDay: TimeOfDay? = nil
    ) {
        self.frequency = frequency
        self.interval = interval
        self.byWeekday = byWeekday
        self.byMonthDay = byMonthDay
        self.bySetPosition = bySetPosition
        self.byHour = byHour
        self.until = until
        self.count = count
        self.fromCompletion = fromCompletion
        self.timeOfDay = timeOfDay
    }

    /// The largest accepted interval.
    public static let maxInterval = 1000

    /// Field errors of this rule, with `field` as the prefix of their paths.
    public func validate(field: String = "recurrence") -> [FieldError] {
        var errors: [FieldError] = []
        if interval < 1 || interval > Self.maxInterval {
            errors.append(FieldError("\(field).interval", "must be between 1 and \(Self.maxInterval)"))
        }
        let monthlyOrYearly = frequency == .monthly || frequency == .yearly
        if !byWeekday.isEmpty && frequency != .weekly && !(monthlyOrYearly && !bySetPosition.isEmpty) {
            errors.append(
                FieldError(
                    "\(field).by_weekday",
                    monthlyOrYearly
                        ? "needs by_set_position in a \(frequency.rawValue) rule, e.g. by_weekday [\"FR\"] with by_set_position [1] for the first Friday"
                        : "is only allowed with the weekly frequency, or monthly or yearly with by_set_position"
                )
            )
        }
        errors += setPositionErrors(field: field)
        if !byMonthDay.isEmpty && frequency != .monthly && frequency != .yearly {
            errors.append(FieldError("\(field).by_month_day", "is only allowed with the monthly or yearly frequency"))
        }
        if byMonthDay.contains(where: { !(1...31).contains($0) && $0 != -1 }) {
            errors.append(FieldError("\(field).by_month_day", "days must be between 1 and 31, or -1 for the last day of the month"))
        }
        if let byMonth, frequency != .yearly || !(1...12).contains(byMonth) {
            errors.append(FieldError("\(field).rrule", "BYMONTH is only allowed in a yearly rule, as one month between 1 and 12"))
        }
        if frequency == .yearly && byMonthDay.count > 1 {
            errors.append(FieldError("\(field).by_month_day", "a yearly rule takes at most one day of the month"))
        }
        errors += hourErrors(field: field)
        if let count, count < 1 || count > 100_000 {
            errors.append(FieldError("\(field).count", "must be between 1 and 100000"))
        }
        if until != nil && count != nil {
            errors.append(FieldError("\(field).count", "cannot be combined with until; give one of them"))
        }
        return errors
    }

    /// The field errors of ``byHour``.
    private func hourErrors(field: String) -> [FieldError] {
        guard !byHour.isEmpty else { return [] }
        let name = "\(field).by_hour"
        if frequency != .daily && frequency != .weekly {
            return [FieldError(name, "is only allowed with the daily or weekly frequency (every day at 8:00 and 20:00)")]
        }
        if byHour.contains(where: { !(0...23).contains($0) }) {
            return [FieldError(name, "hours must be between 0 and 23")]
        }
        if Set(byHour).count < 2 {
            return [FieldError(name, "needs two or more hours; for once a day, leave it empty and give due_at the time")]
        }
        return []
    }

    /// The field errors of ``bySetPosition``.
    private func setPositionErrors(field: String) -> [FieldError] {
        guard !bySetPosition.isEmpty else { return [] }
        var errors: [FieldError] = []
        let name = "\(field).by_set_position"
        if frequency != .monthly && frequency != .yearly {
            errors.append(FieldError(name, "is only allowed with the monthly or yearly frequency"))
        }
        if byWeekday.isEmpty {
            errors.append(
                FieldError(name, "needs by_weekday, the weekdays it counts: by_weekday [\"FR\"] with by_set_position [1] is the first Friday")
            )
        }
        if !byMonthDay.isEmpty {
            errors.append(FieldError(name, "cannot be combined with by_month_day; give the days of the month or the weekdays with their positions"))
        }
        if bySetPosition.contains(0) {
            errors.append(FieldError(name, "positions start at 1 (the first) or -1 (the last); 0 is none"))
        }
        // A month of 31 days has four of each weekday and one more of each of its first three days.
        let weekdays = Set(byWeekday)
        let most = 4 * weekdays.count + min(weekdays.count, 3)
        if !weekdays.isEmpty, let wrong = bySetPosition.first(where: { abs($0) > most }) {
            let days = weekdays.count == 1 ? "\(byWeekday[0].name)s" : "of these weekdays"
            errors.append(FieldError(name, "position \(wrong) never comes: a month has at most \(most) \(days); use 1 to \(most), or -1 to -\(most)"))
        }
        return errors
    }

    /// The rule with duplicate days removed and days sorted; a monthly or yearly rule counted from the
    /// due date remembers the due date's day, so that "the 31st" stays the 31st after a short month. Only a missing
    /// day is filled in: an explicit one stays. The rule also remembers the due date's time of day when that time
    /// falls into a daylight-saving gap (see ``timeOfDay``), and forgets any other.
    public func normalized(anchor: Date?, timeZone: TimeZone) -> RecurrenceRule {
        var rule = self
        rule.byWeekday = Array(Set(byWeekday)).sorted()
        rule.byMonthDay = Array(Set(byMonthDay)).sorted { Self.sortKey($0) < Self.sortKey($1) }
        rule.bySetPosition = Array(Set(bySetPosition)).sorted { ($0 < 0 ? 100 + $0 : $0) < ($1 < 0 ? 100 + $1 : $1) }
        rule.byHour = Array(Set(byHour)).sorted()
        if let anchor, !fromCompletion, rule.byMonthDay.isEmpty, rule.bySetPosition.isEmpty, frequency == .monthly || frequency == .yearly {
            rule.byMonthDay = [Calendar.taskpilot(timeZone).component(.day, from: anchor)]
        }
        // An hourly series counts elapsed hours: no wall-clock time of day to keep.
        rule.timeOfDay = frequency == .hourly ? nil : anchor.flatMap { rule.rememberedTime(due: $0, timeZone: timeZone) }
        rule.byMonth = nil
        return rule
    }

    /// The ``timeOfDay`` this rule keeps for a series due at `due`: the local time of `due` when a daylight-saving gap
    /// of `timeZone` skips it (see ``gapTimeOfDay(of:timeZone:)``); for a rule with ``byHour``, the minute and second
    /// of `due` when one of its hours at that minute falls into a gap. Nil when nothing needs remembering.
    public func rememberedTime(due: Date, timeZone: TimeZone) -> TimeOfDay? {
        guard let first = byHour.first else { return Self.gapTimeOfDay(of: due, timeZone: timeZone) }
        let time = TimeOfDay(of: due, calendar: Calendar.taskpilot(timeZone))
        let skipped = byHour.contains { Self.isSkipped(TimeOfDay(hour: $0, minute: time.minute, second: time.second), from: due, timeZone: timeZone) }
        return skipped ? TimeOfDay(hour: first, minute: time.minute, second: time.second) : nil
    }

    /// The local time of day of `due` when that wall-clock time is skipped by a daylight-saving gap of `timeZone`
    /// within two years from `due` (so that an occurrence of the series will be moved), else nil.
    public static func gapTimeOfDay(of due: Date, timeZone: TimeZone) -> TimeOfDay? {
        let time = TimeOfDay(of: due, calendar: Calendar.taskpilot(timeZone))
        return isSkipped(time, from: due, timeZone: timeZone) ? time : nil
    }

    /// Whether a daylight-saving gap of `timeZone` within two years from `start` skips the local `time`.
    static func isSkipped(_ time: TimeOfDay, from start: Date, timeZone: TimeZone) -> Bool {
        let calendar = Calendar.taskpilot(timeZone)
        let horizon = start.addingTimeInterval(2 * 366 * 86_400)
        var cursor = start.addingTimeInterval(-86_400)
        while let transition = timeZone.nextDaylightSavingTimeTransition(after: cursor), transition < horizon {
            cursor = transition
            // Only a transition that moves the clocks forward skips wall-clock times.
            guard timeZone.secondsFromGMT(for: transition) > timeZone.secondsFromGMT(for: transition.addingTimeInterval(-1)) else { continue }
            guard let resolved = wallClock(time, onDayOf: transition, calendar: calendar) else { continue }
            if TimeOfDay(of: resolved, calendar: calendar) != time { return true }
        }
        return false
    }

    /// `time` on a local calendar day; a time inside a daylight-saving gap becomes the first instant after the gap.
    static func wallClock(_ time: TimeOfDay, year: Int, month: Int, day: Int, calendar: Calendar) -> Date? {
        // Noon exists on every day in every zone.
        guard let midday = calendar.date(from: DateComponents(timeZone: calendar.timeZone, year: year, month: month, day: day, hour: 12)) else {
            return nil
        }
        return calendar.date(bySettingHour: time.hour, minute: time.minute, second: time.second, of: midday, matchingPolicy: .nextTime) ?? midday
    }

    /// `time` on the local calendar day of `date` (see ``wallClock(_:year:month:day:calendar:)``).
    static func wallClock(_ time: TimeOfDay, onDayOf date: Date, calendar: Calendar) -> Date? {
        let day = calendar.dateComponents([.year, .month, .day], from: date)
        guard let year = day.year, let month = day.month, let dayOfMonth = day.day else { return nil }
        return wallClock(time, year: year, month: month, day: dayOfMonth, calendar: calendar)
    }

    private static func sortKey(_ day: Int) -> Int { day == -1 ? 32 : day }

    /// The next due date of a series after an occurrence due at `previousDue` was completed at `completedAt`;
    /// `occurrence` is the number of the completed occurrence (1 for the first). Nil when the series ends.
    /// The time of day is the rule's ``timeOfDay`` or else that of `previousDue`, so an occurrence moved out of a
    /// daylight-saving gap does not move the ones after it.
    public func nextDue(previousDue: Date, completedAt: Date, occurrence: Int, timeZone: TimeZone) -> Date? {
        if let count, occurrence >= count { return nil }
        let reference = fromCompletion ? completedAt : previousDue
        guard var next = nextOccurrence(after: reference, timeOfDayFrom: previousDue, timeZone: timeZone) else { return nil }
        if frequency == .hourly {
            // Hours go by fast: an hourly series completed late goes on at its first time after the completion
            // (every 2 hours from 8:00, completed at 13:10, is next due at 14:00, not at 10:00, already past).
            let step = Double(max(1, interval)) * 3600
            if next <= completedAt { next = next.addingTimeInterval(step * ((completedAt.timeIntervalSince(next) / step).rounded(.down) + 1)) }
        } else if !byHour.isEmpty {
            // So do several times a day ("every day at 8:00 and 20:00" completed at 21:00 goes on at 8:00 tomorrow).
            var steps = 0
            while next <= completedAt, steps < 5000, let later = nextOccurrence(after: next, timeOfDayFrom: previousDue, timeZone: timeZone) {
                (next, steps) = (later, steps + 1)
            }
            if next <= completedAt, let later = nextOccurrence(after: completedAt, timeOfDayFrom: previousDue, timeZone: timeZone) { next = later }
        }
        if let until, next > until { return nil }
        // Dates are written as RFC 3339 with four-digit years: a series ends with the year 9999.
        return next <= Timestamp.lastInstant ? next : nil
    }

    /// An hourly rule's next date is `interval` hours of elapsed time after `reference`. Otherwise:
    /// the first date of the pattern on a later calendar day than `reference` (in `timeZone`), at the rule's
    /// ``timeOfDay`` if it has one, else at the local time of day of `timeOfDayFrom` (or of `reference` when nil).
    /// A rule with ``byHour`` comes first at its next hour on the day of `reference` (when the rule falls on that day),
    /// then at its first hour on its next day, at that minute. A time inside a daylight-saving gap becomes the first
    /// instant after the gap, on that day only.
    public func nextOccurrence(after reference: Date, timeOfDayFrom: Date? = nil, timeZone: TimeZone) -> Date? {
        let calendar = Calendar.taskpilot(timeZone)
        let day = calendar.dateComponents([.year, .month, .day, .weekday, .hour], from: reference)
        var time = timeOfDay ?? TimeOfDay(of: timeOfDayFrom ?? reference, calendar: calendar)
        guard let year = day.year, let month = day.month, let dayOfMonth = day.day, let weekday = day.weekday else { return nil }
        let step = max(1, interval)
        let laterHour = byHour.first { $0 > day.hour ?? 0 }
        if let first = byHour.first { time.hour = first }

        func make(_ year: Int, _ month: Int, _ day: Int) -> Date? {
            Self.wallClock(time, year: year, month: month, day: day, calendar: calendar)
        }
        /// The next of the rule's hours on the day of `reference`.
        func laterToday() -> Date? {
            laterHour.flatMap {
                Self.wallClock(
                    TimeOfDay(hour: $0, minute: time.minute, second: time.second),
                    year: year,
                    month: month,
                    day: dayOfMonth,
                    calendar: calendar
                )
            }
        }
        func addingDays(_ days: Int) -> Date? {
            guard let start = calendar.date(from: DateComponents(timeZone: timeZone, year: year, month: month, day: dayOfMonth, hour: 12)),
                let shifted = calendar.date(byAdding: .day, value: days, to: start)
            else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day], from: shifted)
            guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
            return make(year, month, day)
        }

        switch frequency {
        case .hourly:
            return reference.addingTimeInterval(Double(step) * 3600)
        case .daily:
            return laterToday() ?? addingDays(step)
        case .weekly:
            let current = Weekday(calendarWeekday: weekday)
            let days = byWeekday.isEmpty ? [current] : byWeekday.sorted()
            if days.contains(current), let later = laterToday() { return later }
            if let later = days.first(where: { $0 > current }) {
                return addingDays(later.rawValue - current.rawValue)
            }
            // Jump to the first listed day of the week `step` weeks on.
            return addingDays(7 * step - (current.rawValue - days[0].rawValue))
        case .monthly, .yearly:
            let monthStep = frequency == .monthly ? step : 12 * step
            // Within the current month first, then every `monthStep` months; 2,400 steps covers 200 years.
            for index in 0...2400 {
                let monthIndex = (year * 12 + month - 1) + index * monthStep
                let (candidateYear, candidateMonth) = (monthIndex / 12, monthIndex % 12 + 1)
                let resolved = days(year: candidateYear, month: candidateMonth, calendar: calendar, otherwise: dayOfMonth)
                let candidates = index == 0 ? resolved.filter { $0 > dayOfMonth } : resolved
                if let first = candidates.first { return make(candidateYear, candidateMonth, first) }
            }
            return nil
        }
    }

    /// The first instant on or after `due`'s calendar day that the rule falls on, at `due`'s time of day: where a
    /// series set on days ("every monday", "every last friday", "every month on the 1st") starts when its task is due
    /// on another day. Nil for a daily or yearly rule (a yearly one's month is the due date's) and one without days.
    public func firstOccurrence(onOrAfter due: Date, timeZone: TimeZone) -> Date? {
        guard frequency == .weekly || frequency == .monthly, !byWeekday.isEmpty || !byMonthDay.isEmpty,
            let dayBefore = Calendar.taskpilot(timeZone).date(byAdding: .day, value: -1, to: due)
        else { return nil }
        var first = self
        first.interval = 1
        return first.nextOccurrence(after: dayBefore, timeOfDayFrom: due, timeZone: timeZone)
    }

    /// The days of a month a monthly or yearly rule falls on, ascending: its ``byMonthDay`` (a day past the month's
    /// end is its last day), or the days its ``bySetPosition`` picks among those on its ``byWeekday``, or else
    /// `otherwise` (the day of the previous occurrence).
    public func days(year: Int, month: Int, calendar: Calendar, otherwise: Int) -> [Int] {
        let length = Self.daysInMonth(year: year, month: month, calendar: calendar)
        guard !bySetPosition.isEmpty else {
            let days = byMonthDay.isEmpty ? [otherwise] : byMonthDay
            return Set(days.map { $0 < 0 ? max(1, length + $0 + 1) : min($0, length) }).sorted()
        }
        guard let first = calendar.date(from: DateComponents(timeZone: calendar.timeZone, year: year, month: month, day: 1, hour: 12)) else {
            return []
        }
        // ISO weekday numbers (Monday 1) of the 1st, then of each day after it.
        let firstWeekday = Weekday(calendarWeekday: calendar.component(.weekday, from: first)).rawValue
        let wanted = Set(byWeekday.map(\.rawValue))
        let matching = (1...length).filter { wanted.contains((firstWeekday - 1 + $0 - 1) % 7 + 1) }
        return Set(
            bySetPosition.compactMap { position -> Int? in
                let index = position > 0 ? position - 1 : matching.count + position
                return matching.indices.contains(index) ? matching[index] : nil
            }
        ).sorted()
    }

    /// The number of days in a month of the Gregorian calendar.
    public static func daysInMonth(year: Int, month: Int, calendar: Calendar) -> Int {
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let range = calendar.range(of: .day, in: .month, for: date)
        else { return 30 }
        return range.count
    }
}

extension Calendar {
    /// The Gregorian calendar in a time zone, weeks starting on Monday.
    public static func taskpilot(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.locale = Locale(identifier: "en_US_POSIX")
        return calendar
    }
}
