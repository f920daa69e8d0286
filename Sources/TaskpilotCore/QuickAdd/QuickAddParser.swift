public import Foundation

/// What quick add understood in a line of text.
public struct QuickAddResult: Sendable, Equatable {
    /// The words that were not understood, in order.
    public var title: String
    public var priority: TaskPriority?
    public var tags: [String] = []
    /// The due instant (the start of the day for all-day tasks).
    public var dueAt: Date?
    public var allDay = false
    public var recurrence: RecurrenceRule?
    public var reminders: [ReminderTrigger] = []
    /// Whether the due day is today because today's weekday was said by its name alone ("friday" on a Friday): a time
    /// of day added to it later that has passed makes it next week's (see `movedDue`).
    public var todayByWeekdayName = false

    /// The result as task changes, ready for `TaskItem.applying`.
    public var changes: TaskChanges {
        TaskChanges(
            title: title,
            priority: priority,
            tags: tags.isEmpty ? nil : tags.sorted(),
            due: dueAt.map { .set(allDay ? .day($0) : .instant($0)) },
            allDay: dueAt == nil ? nil : allDay,
            reminders: reminders.isEmpty ? nil : reminders,
            recurrence: recurrence.map { .set($0) }
        )
    }
}

/// Reads task text the way Todoist users type it: "Pay rent every month on the 1st 9am p1 #home".
///
/// Dates and times are read in the user's time zone relative to `now`. Whatever is not understood stays in
/// the title: the parser never guesses.
public struct QuickAddParser: Sendable {
    public let now: Date
    public let timeZone: TimeZone
    let calendar: Calendar

    /// A parser for a user's zone at a moment.
    public init(now: Date, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
        calendar = Calendar.taskpilot(timeZone)
    }

    /// A calendar day without a time.
    struct Day: Equatable {
        var year: Int
        var month: Int
        var day: Int
    }

    /// A wall-clock time.
    struct Clock: Equatable {
        var hour: Int
        var minute: Int
    }

    /// What the matchers found so far.
    struct Findings {
        var day: Day?
        var clock: Clock?
        /// The time a part of the day says ("tonight", "tomorrow morning"): the time when no other is said.
        var partOfDay: Clock?
        var instant: Date?
        var rule: RecurrenceRule?
        var ruleClock: Clock?
        /// The end of a span of time said with the clock ("from 8am to 8pm").
        var clockEnd: Clock?
        /// Where the words of the clock end.
        var clockEndIndex: Int?
        /// Whether ``day`` is a weekday said by its name alone ("friday"): today's, unless its time has passed.
        var dayIsWeekday = false
        /// Reminders at a time of the due day or of a day before it ("the night before"): days before, time.
        var dayReminders: [(days: Int, clock: Clock)] = []
        /// Times said after the first one, with their words.
        var moreClocks: [(clock: Clock, range: Range<Int>)] = []
        var reminders: [ReminderTrigger] = []
        var wantsDueReminder = false
        var priority: TaskPriority?
        var tags: [String] = []
    }

    /// Whether dates written with slashes are read day first ("3/1" the 3rd of January), as the reader's language
    /// writes them: set for a request by whoever knows it (`HourCycle.dayFirst(acceptLanguage:)`); month first
    /// otherwise, as in the US.
    @TaskLocal public static var dayFirst = false

    /// Words that, first in the text, name the thing rather than schedule it.
    static let titleLeadWords: Set<String> = [
        "hourly", "daily", "weekly", "monthly", "yearly", "annually", "weekend", "midnight", "noon", "midday", "weekdays", "biweekly", "bi-weekly",
        "fortnightly", "quarterly",
    ]

    /// Parses one line of text.
    public func parse(_ text: String) -> QuickAddResult {
        var tokens = Tokens(text)
        // "remind me tomorrow at 5pm to call the plumber", "remind me next week about the invoice": as "remind me to
        // call the plumber tomorrow at 5pm".
        if tokens.matches(["remind", "me"], at: 0), tokens.word(2) != "to", tokens.word(2) != "about",
            let to = (3..<max(3, tokens.count - 1)).first(where: { tokens.word($0) == "to" || tokens.word($0) == "about" })
        {
            let when = parse(tokens.raw[2..<to].joined(separator: " "))
            if when.title.isEmpty, when.dueAt != nil || when.recurrence != nil {
                return parse((["remind", "me", "to"] + tokens.raw[(to + 1)...] + tokens.raw[2..<to]).joined(separator: " "))
            }
        }
        var found = Findings()
        if tokens.matches(["remind", "me", "to"], at: 0) {
            tokens.consume(0..<3)
            found.wantsDueReminder = true
        }
        var index = 0
        while index < tokens.count {
            if tokens.isConsumed(index) {
                index += 1
                continue
            }
            // A lone schedule word that starts the text is part of the title ("Daily standup", "Weekend trip").
            if index == 0, tokens.count > 1, Self.titleLeadWords.contains(tokens.word(0) ?? "") {
                index += 1
                continue
            }
            if let kept = weekdayByPlace(tokens, index) {
                // A rule says "every 3rd friday" and "the last friday of every month"; one day by its place says its
                // month ("the first friday of next month"); without one ("on the first monday") its words stay.
                if let used = matchRecurrence(&tokens, index, &found) ?? matchPositionedDay(&tokens, index, &found), used > 0 {
                    tokens.consume(index..<(index + used))
                    index += used
                } else {
                    index += kept
                }
                continue
            }
            let used =
                matchTag(&tokens, index, &found) ?? matchPriority(&tokens, index, &found) ?? matchReminder(&tokens, index, &found)
                ?? matchRecurrence(&tokens, index, &found) ?? matchSeriesEnd(&tokens, index, &found) ?? matchInstant(&tokens, index, &found)
                ?? matchDay(&tokens, index, &found)
                ?? matchClock(&tokens, index, &found)
            if let used, used > 0 {
                tokens.consume(index..<(index + used))
                index += used
            } else {
                index += 1
            }
        }
        matchTrailingImportance(&tokens, &found)
        matchMoreClocks(&tokens, &found)
        // "Biweekly retro on thursdays": the word names the thing and says how often the days come round.
        if ["biweekly", "bi-weekly", "fortnightly"].contains(tokens.word(0) ?? ""), var rule = found.rule, rule.frequency == .weekly,
            rule.interval == 1
        {
            rule.interval = 2
            found.rule = rule
        }
        // "every weekday at 8am remind me to check email": the request after the schedule.
        if !found.wantsDueReminder, let first = (0..<tokens.count).first(where: { !tokens.isConsumed($0) }), first > 0,
            tokens.matches(["remind", "me", "to"], at: first)
        {
            tokens.consume(first..<(first + 3))
            found.wantsDueReminder = true
        }
        var title = tokens.remainingTitle()
        if found.wantsDueReminder, let first = title.first {
            title = first.uppercased() + title.dropFirst()
        }
        return resolve(found, title: title)
    }

    // MARK: - Composition

    func resolve(_ said: Findings, title: String) -> QuickAddResult {
        let found = hoursOfSpan(said)
        var result = QuickAddResult(title: title, priority: found.priority, tags: found.tags)
        // An hourly series said with a day but no time starts at 9:00 that day ("every 2 hours tomorrow").
        let startOfHours = found.rule?.frequency == .hourly && found.day != nil ? Clock(hour: 9, minute: 0) : nil
        // "every morning at 7" is 7:00: the rule's part of the day reads the time as "this morning at 7" does.
        var clock =
            found.clock.map { said in Self.clock(said, within: found.partOfDay ?? found.ruleClock) } ?? found.partOfDay ?? found.ruleClock
            ?? startOfHours
        // "tonight" said at 22:30 is still tonight: the next quarter hour instead of 20:00, already past.
        if found.clock == nil, let part = found.partOfDay, part.hour >= 17, found.day == today, found.rule == nil,
            let partTime = date(today, part), partTime <= now
        {
            let minutes = calendar.component(.hour, from: now) * 60 + calendar.component(.minute, from: now)
            let next = (minutes / 15 + 1) * 15
            if next < 24 * 60 { clock = Clock(hour: next / 60, minute: next % 60) }
        }
        // Several times a day start at the first of them.
        if let first = found.rule?.byHour.first, let said = clock { clock = Clock(hour: first, minute: said.minute) }
        if let instant = found.instant {
            result.dueAt = instant
        } else if var day = found.day {
            // "every other thursday starting next week": the first of the rule's weekdays from that day on.
            if let rule = found.rule, rule.frequency == .weekly, !rule.byWeekday.isEmpty {
                for _ in 0..<7 where !rule.byWeekday.contains(day.weekday(calendar)) { day = day.adding(days: 1, calendar) }
            }
            result.dueAt = date(day, clock)
            // "friday at 9am" said on a Friday evening is next Friday's.
            if found.dayIsWeekday, day == today, let due = result.dueAt, clock != nil, due <= now {
                result.dueAt = date(day.adding(days: 7, calendar), clock)
            }
            result.todayByWeekdayName = found.dayIsWeekday && clock == nil && day == today
            result.allDay = clock == nil
        } else if let rule = found.rule {
            result.dueAt = firstOccurrence(of: rule, clock: clock)
            result.allDay = clock == nil && rule.frequency != .hourly
        } else if let clock {
            let today = date(self.today, clock)
            result.dueAt = today.flatMap { $0 > now ? $0 : date(self.today.adding(days: 1, calendar), clock) }
        }
        if let rule = found.rule {
            result.recurrence = rule.normalized(anchor: result.dueAt, timeZone: timeZone)
        }
        result.reminders = found.reminders
        if let due = result.dueAt {
            let dueDay = Day(due, calendar)
            result.reminders += found.dayReminders.compactMap { said in
                // A time of the due day after the due time ("remind me at 9am" of a task due at 8:00) is the day before's.
                guard let date = date(dueDay.adding(days: -said.days, calendar), said.clock) else { return nil }
                return .at(said.days == 0 && date > due && !result.allDay ? self.date(dueDay.adding(days: -1, calendar), said.clock) ?? date : date)
            }
        } else {
            result.reminders += found.dayReminders.compactMap { said in
                date(today, said.clock).map { $0 > now ? $0 : date(today.adding(days: 1, calendar), said.clock) ?? $0 }.map { .at($0) }
            }
        }
        if result.recurrence != nil, let due = result.dueAt {
            // "every day at 9am remind me at 8am": a reminder at a clock time comes round with each occurrence.
            result.reminders = result.reminders.map { trigger in
                guard case .at(let fire) = trigger else { return trigger }
                return ReminderTrigger.relative(firingAt: fire, dueAt: due, allDay: result.allDay, timeZone: timeZone) ?? trigger
            }
        }
        if found.wantsDueReminder && result.reminders.isEmpty && result.dueAt != nil {
            result.reminders = [.beforeDue(minutes: 0)]
        }
        if result.dueAt == nil {
            // A reminder relative to a due date means nothing without one.
            result.reminders.removeAll { if case .beforeDue = $0 { true } else { false } }
        }
        return result
    }

    /// A time said with a part of the day, on that part's half of the clock: "tomorrow morning at 7" is 7:00 (a bare 7
    /// reads as 19:00 elsewhere), "tonight at 10" 22:00.
    static func clock(_ said: Clock, within part: Clock?) -> Clock {
        guard let part else { return said }
        if part.hour < 12, (13...19).contains(said.hour) { return Clock(hour: said.hour - 12, minute: said.minute) }
        if part.hour >= 18, (1...11).contains(said.hour) { return Clock(hour: said.hour + 12, minute: said.minute) }
        return said
    }

    var today: Day { Day(now, calendar) }

    func date(_ day: Day, _ clock: Clock?) -> Date? {
        let noon = calendar.date(from: DateComponents(timeZone: timeZone, year: day.year, month: day.month, day: day.day, hour: 12))
        guard let noon else { return nil }
        guard let clock else { return calendar.startOfDay(for: noon) }
        return calendar.date(bySettingHour: clock.hour, minute: clock.minute, second: 0, of: noon, matchingPolicy: .nextTime)
    }

    /// The first due date of a new recurring task: today if the rule includes today (and the time is still ahead).
    func firstOccurrence(of rule: RecurrenceRule, clock: Clock?) -> Date? {
        if rule.frequency == .hourly {
            // "every 2 hours from 9am": at that time (today's while it is to come); else at the next full hour.
            if let clock { return date(today, clock).flatMap { $0 > now ? $0 : date(today.adding(days: 1, calendar), clock) } }
            return calendar.dateInterval(of: .hour, for: now)?.end
        }
        guard let startToday = date(today, clock ?? Clock(hour: 0, minute: 0)) else { return nil }
        if rule.frequency == .yearly, let month = rule.byMonth {
            // "every last sunday of march": the first such day in that month, this year or the next.
            for year in [today.year, today.year + 1] {
                for day in rule.days(year: year, month: month, calendar: calendar, otherwise: 1) {
                    let candidate = Day(year: year, month: month, day: day)
                    guard let start = date(candidate, clock ?? Clock(hour: 0, minute: 0)) else { continue }
                    if (year, month, day) > (today.year, today.month, today.day) || candidate == today && (clock == nil || start > now) {
                        return date(candidate, clock) ?? start
                    }
                }
            }
            return nil
        }
        var candidate: Date?
        let includesToday: Bool
        switch rule.frequency {
        case .daily, .hourly: includesToday = true
        case .weekly:
            includesToday = rule.byWeekday.isEmpty || rule.byWeekday.contains(Weekday(calendarWeekday: calendar.component(.weekday, from: now)))
        case .monthly, .yearly:
            includesToday = rule.days(year: today.year, month: today.month, calendar: calendar, otherwise: today.day).contains(today.day)
        }
        if includesToday && (clock == nil || startToday > now) {
            candidate = startToday
        } else {
            // The series starts at the first matching day; the interval counts from there.
            var first = rule
            first.interval = 1
            candidate = first.nextOccurrence(after: startToday, timeZone: timeZone)
        }
        // Several times a day: the first of them still to come.
        var first = rule
        first.interval = 1
        while !rule.byHour.isEmpty, let time = candidate, time <= now {
            candidate = first.nextOccurrence(after: time, timeZone: timeZone)
        }
        return candidate
    }
}

extension QuickAddResult {
    /// Where the series read from a task's due date starts, when its task is due on a day the rule does not fall on:
    /// the first of its days from `due` on ("every last friday" of a task due on a Thursday), or for a yearly rule said
    /// with its month ("every 4th thursday of november") its first day, whose month becomes the due date's. At the time
    /// of day of `due`; nil when there is nothing to move.
    public func seriesStart(from due: Date, timeZone: TimeZone) -> Date? {
        guard let rule = recurrence else { return nil }
        if let first = rule.firstOccurrence(onOrAfter: due, timeZone: timeZone) { return first }
        guard rule.frequency == .yearly, !rule.bySetPosition.isEmpty, let day = dueAt else { return nil }
        let calendar = Calendar.taskpilot(timeZone)
        return RecurrenceRule.wallClock(.init(of: due, calendar: calendar), onDayOf: day, calendar: calendar)
    }
}

extension QuickAddParser.Day {
    init(_ date: Date, _ calendar: Calendar) {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    func adding(days: Int = 0, months: Int = 0, _ calendar: Calendar) -> Self {
        var components = DateComponents(year: year, month: month, day: day, hour: 12)
        components.timeZone = calendar.timeZone
        let base = calendar.date(from: components)!
        let shifted = calendar.date(byAdding: DateComponents(month: months, day: days), to: base)!
        return Self(shifted, calendar)
    }

    /// The last day of this day's month.
    func monthEnd(_ calendar: Calendar) -> Self {
        Self(year: year, month: month, day: RecurrenceRule.daysInMonth(year: year, month: month, calendar: calendar))
    }

    func weekday(_ calendar: Calendar) -> Weekday {
        let date = calendar.date(from: DateComponents(timeZone: calendar.timeZone, year: year, month: month, day: day, hour: 12))!
        return Weekday(calendarWeekday: calendar.component(.weekday, from: date))
    }
}
