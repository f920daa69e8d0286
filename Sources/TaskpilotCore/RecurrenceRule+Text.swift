public import Foundation

extension RecurrenceRule {
    /// The rule as RFC 5545 RRULE text, e.g. `FREQ=MONTHLY;BYMONTHDAY=1`; complete, ``timeOfDay`` included, so that it
    /// reads back to the same rule (it is what the store keeps).
    public var rrule: String { rrule(month: nil) }

    /// The RRULE text with `BYMONTH=month` when given.
    private func rrule(month: Int?) -> String {
        var parts = ["FREQ=\(frequency.rruleName)"]
        if interval != 1 { parts.append("INTERVAL=\(interval)") }
        if let month { parts.append("BYMONTH=\(month)") }
        if !byWeekday.isEmpty { parts.append("BYDAY=" + byWeekday.map(\.code).joined(separator: ",")) }
        if !byMonthDay.isEmpty { parts.append("BYMONTHDAY=" + byMonthDay.map(String.init).joined(separator: ",")) }
        if !bySetPosition.isEmpty { parts.append("BYSETPOS=" + bySetPosition.map(String.init).joined(separator: ",")) }
        if !byHour.isEmpty {
            parts.append("BYHOUR=" + byHour.map(String.init).joined(separator: ","))
            if let timeOfDay { parts.append("BYMINUTE=\(timeOfDay.minute)") }
        } else if let timeOfDay {
            parts.append("BYHOUR=\(timeOfDay.hour);BYMINUTE=\(timeOfDay.minute)")
        }
        if let timeOfDay, timeOfDay.second != 0 { parts.append("BYSECOND=\(timeOfDay.second)") }
        if let until { parts.append("UNTIL=" + Self.rruleDateFormat.format(until)) }
        if let count { parts.append("COUNT=\(count)") }
        return parts.joined(separator: ";")
    }

    /// The rule as clients see it for a task due at `due`: without the time of day the rule remembers for a
    /// daylight-saving gap, and a yearly rule with the due date's month as `BYMONTH`: RFC 5545 reads
    /// `FREQ=YEARLY;BYMONTHDAY=3` as the 3rd of every month, and this rule means the 3rd of the due date's month.
    public func shownRRULE(due: Date?, timeZone: TimeZone) -> String {
        var shown = self
        shown.timeOfDay = nil
        let month = frequency == .yearly ? due.map { Calendar.taskpilot(timeZone).component(.month, from: $0) } : nil
        return shown.rrule(month: month)
    }

    private static let rruleDateFormat = Date.VerbatimFormatStyle(
        format:
            "\(year: .defaultDigits)\(month: .twoDigits)\(day: .twoDigits)T\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased))\(minute: .twoDigits)\(second: .twoDigits)Z",
        timeZone: TimeZone(identifier: "UTC")!,
        calendar: Calendar(identifier: .gregorian)
    )

    /// Reads RRULE text (with or without the `RRULE:` prefix); fails with field errors under `field`. An `UNTIL` given
    /// as a date (`20261231`) means the end of that day in `timeZone`, the user's zone; one with a time is UTC.
    public init(rrule text: String, field: String = "recurrence.rrule", timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(TaskpilotError) {
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.uppercased().hasPrefix("RRULE:") { body.removeFirst(6) }
        // An iCalendar block (DTSTART, EXDATE, RDATE lines) is more than one rule.
        if body.contains(where: \.isNewline) {
            throw .invalid(field, "must be one RRULE line such as FREQ=WEEKLY;BYDAY=MO; DTSTART, EXDATE and other lines are not taken")
        }
        var frequency: RecurrenceFrequency?
        var rule = RecurrenceRule(frequency: .daily)
        var time: [String: Int] = [:]
        var ordinalDays: [Int] = []
        for part in body.split(separator: ";") where !part.isEmpty {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw .invalid(field, "'\(part)' is not NAME=VALUE") }
            let (name, value) = (pair[0].uppercased(), pair[1])
            switch name {
            case "FREQ":
                guard let parsed = RecurrenceFrequency(rawValue: value.lowercased()) else {
                    throw .invalid(field, "FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
                }
                frequency = parsed
            case "INTERVAL":
                guard let number = Int(value) else { throw .invalid(field, "INTERVAL must be a number") }
                rule.interval = number
            case "BYDAY":
                var ordinals: [Int?] = []
                rule.byWeekday = try value.split(separator: ",").map { code throws(TaskpilotError) in
                    // "1FR", "-1FR", "+2TU": the first Friday, the last Friday, the second Tuesday of the month.
                    let digits = code.prefix { $0.isNumber || $0 == "-" || $0 == "+" }
                    guard let day = Weekday(parsing: String(code.dropFirst(digits.count))), digits.isEmpty || Int(digits) != nil else {
                        throw .invalid(field, "BYDAY has an unknown day '\(code)'")
                    }
                    ordinals.append(digits.isEmpty ? nil : Int(digits))
                    return day
                }
                ordinalDays = try Self.positions(ordinals: ordinals, days: &rule.byWeekday, field: field)
            case "BYSETPOS":
                rule.bySetPosition = try value.split(separator: ",").map { position throws(TaskpilotError) in
                    guard let number = Int(position) else { throw .invalid(field, "BYSETPOS must be numbers") }
                    return number
                }
            case "BYMONTHDAY":
                rule.byMonthDay = try value.split(separator: ",").map { day throws(TaskpilotError) in
                    guard let number = Int(day) else { throw .invalid(field, "BYMONTHDAY must be numbers") }
                    return number
                }
            case "UNTIL":
                guard let date = Self.parseRRuleDate(value, timeZone: timeZone) else {
                    throw .invalid(field, "UNTIL must look like 20261231T235959Z or 20261231")
                }
                rule.until = date
            case "COUNT":
                guard let number = Int(value) else { throw .invalid(field, "COUNT must be a number") }
                rule.count = number
            case "BYHOUR" where value.contains(","):
                // Several times a day ("BYHOUR=8,20"), at the minute of the due date.
                rule.byHour = try value.split(separator: ",").map { hour throws(TaskpilotError) in
                    guard let number = Int(hour), (0...23).contains(number) else { throw .invalid(field, "BYHOUR must be hours between 0 and 23") }
                    return number
                }
            case "BYHOUR", "BYMINUTE", "BYSECOND":
                // One time of day (written by `rrule` for a time inside a daylight-saving gap); one value each.
                let limit = name == "BYHOUR" ? 23 : 59
                guard let number = Int(value), (0...limit).contains(number) else {
                    throw .invalid(field, "\(name) must be \(name == "BYHOUR" ? "hours" : "one number") between 0 and \(limit)")
                }
                time[name] = number
            case "BYMONTH":
                guard let number = Int(value) else { throw .invalid(field, "BYMONTH must be one month number, the due date's") }
                rule.byMonth = number
            case "WKST":
                continue
            default:
                throw .invalid(field, "\(name) is not supported; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYSETPOS, BYMONTH, UNTIL or COUNT")
            }
        }
        guard let frequency else { throw .invalid(field, "FREQ is required, e.g. FREQ=WEEKLY;BYDAY=MO") }
        rule.frequency = frequency
        if !ordinalDays.isEmpty {
            guard rule.bySetPosition.isEmpty else { throw .invalid(field, "give the positions once: in BYDAY (BYDAY=1FR) or in BYSETPOS") }
            rule.bySetPosition = ordinalDays
        }
        if !time.isEmpty {
            rule.timeOfDay = TimeOfDay(hour: rule.byHour.first ?? time["BYHOUR"] ?? 0, minute: time["BYMINUTE"] ?? 0, second: time["BYSECOND"] ?? 0)
        }
        self = rule
    }

    /// The positions that BYDAY's ordinals say ("1MO,3MO": the first and third Monday), with `days` left with that
    /// weekday once; empty when BYDAY has no ordinals. Ordinals of several weekdays ("1MO,1FR": the first Monday and
    /// the first Friday, each counted on its own) are refused: this rule counts positions among all its weekdays.
    static func positions(ordinals: [Int?], days: inout [Weekday], field: String) throws(TaskpilotError) -> [Int] {
        guard ordinals.contains(where: { $0 != nil }) else { return [] }
        let numbers = ordinals.compactMap { $0 }
        let distinctDays = Array(Set(days))
        guard numbers.count == ordinals.count, distinctDays.count == 1 else {
            throw .invalid(
                field,
                "BYDAY can give positions of one weekday only (BYDAY=1MO,3MO); for several, give them with one set of positions (BYDAY=MO,FR;BYSETPOS=-1: the last Monday or Friday)"
            )
        }
        days = distinctDays
        return Array(Set(numbers)).sorted()
    }

    private static func parseRRuleDate(_ text: String, timeZone: TimeZone) -> Date? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 8 || digits.count == 14 else { return nil }
        let numbers = Array(digits)
        func number(_ range: Range<Int>) -> Int? { Int(String(numbers[range])) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8) else { return nil }
        let gregorian = Calendar(identifier: .gregorian)
        guard digits.count == 14 else {
            guard DateComponents(year: year, month: month, day: day).isValidDate(in: gregorian) else { return nil }
            return endOfDay(year: year, month: month, day: day, timeZone: timeZone)
        }
        let components = DateComponents(
            timeZone: TimeZone(identifier: "UTC"),
            year: year,
            month: month,
            day: day,
            hour: number(8..<10),
            minute: number(10..<12),
            second: number(12..<14)
        )
        guard components.isValidDate(in: gregorian) else { return nil }
        return Calendar.taskpilot(TimeZone(identifier: "UTC")!).date(from: components)
    }

    /// The rule as a request to the API gives it: RRULE text, or with `from_completion` beside it when the rule counts
    /// from completion (which RRULE text cannot say).
    public var requestJSON: JSONValue {
        fromCompletion ? .object(["rrule": .string(rrule), "from_completion": true]) : .string(rrule)
    }

    /// The last second of a local calendar day (23:59:59, whatever the day's length).
    static func endOfDay(year: Int, month: Int, day: Int, timeZone: TimeZone) -> Date? {
        let calendar = Calendar.taskpilot(timeZone)
        guard let start = calendar.date(from: DateComponents(year: year, month: month, day: day)).map(calendar.startOfDay(for:)),
            let next = calendar.date(byAdding: .day, value: 1, to: start)
        else { return nil }
        return next.addingTimeInterval(-1)
    }

    /// The rule with its `until` moved to the same calendar day in `to` when it is the end of a day in `from` (an
    /// until given as a date, read in the owner's old zone), for a change of the owner's time zone; nil when there is
    /// nothing to move.
    public func keepingUntilDay(from: TimeZone, to: TimeZone) -> RecurrenceRule? {
        guard let until, from != to else { return nil }
        let parts = Calendar.taskpilot(from).dateComponents([.year, .month, .day, .hour, .minute, .second], from: until)
        guard parts.hour == 23, parts.minute == 59, parts.second == 59, let year = parts.year, let month = parts.month, let day = parts.day,
            let moved = Self.endOfDay(year: year, month: month, day: day, timeZone: to), moved != until
        else { return nil }
        var rule = self
        rule.until = moved
        return rule
    }

    /// The last second of the local calendar day that starts at `start`.
    static func endOfDay(startingAt start: Date, timeZone: TimeZone) -> Date {
        let parts = Calendar.taskpilot(timeZone).dateComponents([.year, .month, .day], from: start)
        guard let year = parts.year, let month = parts.month, let day = parts.day,
            let end = endOfDay(year: year, month: month, day: day, timeZone: timeZone)
        else { return start.addingTimeInterval(86_399) }
        return end
    }

    /// The rule as a sentence, e.g. "every month on the 1st" or "every 2 weeks on Monday and Friday".
    /// A yearly rule names the month of `due`, its task's due date, when given ("every year on March 3").
    public func text(timeZone: TimeZone = TimeZone(identifier: "UTC")!, due: Date? = nil) -> String {
        var sentence: String
        let unit = frequency.unit
        if frequency == .weekly && interval == 1 && byWeekday == Weekday.workdays {
            sentence = "every weekday"
        } else {
            sentence = interval == 1 ? "every \(unit)" : "every \(interval) \(unit)s"
            if frequency == .daily && interval == 1 { sentence = "every day" }
            if frequency == .weekly && !byWeekday.isEmpty {
                sentence += " on " + Self.list(byWeekday.map(\.name))
            }
            if !bySetPosition.isEmpty && !byWeekday.isEmpty && (frequency == .monthly || frequency == .yearly) {
                sentence += " on the " + positionedDays
                if frequency == .yearly, let due {
                    let calendar = Calendar.taskpilot(timeZone)
                    sentence += " of " + calendar.monthSymbols[calendar.component(.month, from: due) - 1]
                }
            } else if frequency == .yearly, let due {
                let calendar = Calendar.taskpilot(timeZone)
                let month = calendar.monthSymbols[calendar.component(.month, from: due) - 1]
                let day = byMonthDay.first ?? calendar.component(.day, from: due)
                sentence += day == -1 ? " on the last day of \(month)" : " on \(month) \(day)"
            } else if (frequency == .monthly || frequency == .yearly) && !byMonthDay.isEmpty {
                sentence += " on the " + Self.list(byMonthDay.map(Self.ordinalDay))
            }
        }
        if !byHour.isEmpty {
            let minute = timeOfDay?.minute ?? due.map { Calendar.taskpilot(timeZone).component(.minute, from: $0) } ?? 0
            sentence = Self.withHours(sentence, rule: self, minute: minute)
        }
        if fromCompletion { sentence += " after completion" }
        if let count { sentence += count == 1 ? ", once" : ", \(count) times" }
        if let until {
            let style = Date.FormatStyle(date: .abbreviated, time: .omitted, locale: Locale(identifier: "en_US"), timeZone: timeZone)
            sentence += " until " + until.formatted(style)
        }
        return sentence
    }

    /// The sentence of a rule with ``byHour``: "every day at 8:00 and 20:00", "every weekday at 9:30 and 17:30", or for
    /// three or more hours evenly apart every day, "every 2 hours from 8:00 to 20:00".
    private static func withHours(_ sentence: String, rule: RecurrenceRule, minute: Int) -> String {
        let times = rule.byHour.map { String(format: "%d:%02d", $0, minute) }
        let gaps = Set(zip(rule.byHour.dropFirst(), rule.byHour).map { $0 - $1 })
        if rule.frequency == .daily, rule.interval == 1, rule.byHour.count >= 3, gaps.count == 1, let gap = gaps.first {
            return (gap == 1 ? "every hour" : "every \(gap) hours") + " from \(times[0]) to \(times[times.count - 1])"
        }
        return sentence + " at " + list(times)
    }

    /// "first Friday", "first and third Monday", "last weekday", "second Tuesday or Thursday": the days of
    /// ``bySetPosition``.
    private var positionedDays: String {
        let days: String
        switch byWeekday.count {
        case _ where byWeekday == Weekday.workdays: days = "weekday"
        case _ where byWeekday == [.saturday, .sunday]: days = "weekend day"
        case 1: days = byWeekday[0].name
        default: days = byWeekday.dropLast().map(\.name).joined(separator: ", ") + " or " + byWeekday[byWeekday.count - 1].name
        }
        return Self.list(bySetPosition.map(Self.ordinalPosition)) + " " + days
    }

    /// "first", "second", …, "last", "second-to-last"; "6th", "3rd-to-last" further on.
    static func ordinalPosition(_ position: Int) -> String {
        let words = ["first", "second", "third", "fourth", "fifth"]
        if position == -1 { return "last" }
        let number = abs(position)
        let word = (1...words.count).contains(number) ? words[number - 1] : ordinalDay(number)
        return position >= 0 ? word : word + "-to-last"
    }

    static func ordinalDay(_ day: Int) -> String {
        if day == -1 { return "last day" }
        let suffix: String
        switch (day % 10, day % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(day)\(suffix)"
    }

    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: ""
        case 1: items[0]
        default: items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
        }
    }
}
