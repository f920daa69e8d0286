public import Foundation

/// The words of the input, with the ones already understood marked.
struct Tokens {
    /// Words as typed.
    let raw: [String]
    /// Words lowercased, without surrounding punctuation.
    let words: [String]
    private var consumed: [Bool]
    /// Words inside quotes ("add 'meeting notes for friday' p2"): part of the title, whatever they say.
    private let quoted: [Bool]

    /// Closing quote marks by opening one.
    static let quotePairs: [Character: Character] = ["\"": "\"", "“": "”", "'": "'", "‘": "’"]

    init(_ text: String) {
        raw = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        words = raw.map { word in
            var clean = word.lowercased()
            // "tomorrow!" is "tomorrow"; "every!" (counted from completion) and "!!" (a priority) keep their marks.
            let marks = clean == "every!" || clean.allSatisfy { $0 == "!" }
            while let last = clean.last, ",.;?)".contains(last) || last == "!" && !marks { clean.removeLast() }
            while let first = clean.first, "(".contains(first) { clean.removeFirst() }
            return clean
        }
        consumed = Array(repeating: false, count: raw.count)
        let raw = raw
        var quoted = Array(repeating: false, count: raw.count)
        var index = 0
        while index < raw.count {
            // A word that opens a quote, up to the first word (it or a later one) that closes it.
            if let open = raw[index].first, let close = Self.quotePairs[open],
                let end = (index..<raw.count).first(where: { position in
                    let word = raw[position].trimmingCharacters(in: CharacterSet(charactersIn: ",.;:!?"))
                    return word.count > (position == index ? 1 : 0) && word.last == close
                })
            {
                for position in index...end { quoted[position] = true }
                index = end + 1
            } else {
                index += 1
            }
        }
        self.quoted = quoted
    }

    var count: Int { raw.count }

    func word(_ index: Int) -> String? { index < words.count && index >= 0 && !consumed[index] && !quoted[index] ? words[index] : nil }

    func isConsumed(_ index: Int) -> Bool { consumed[index] }

    func matches(_ sequence: [String], at index: Int) -> Bool {
        sequence.enumerated().allSatisfy { word(index + $0.offset) == $0.element }
    }

    mutating func consume(_ range: Range<Int>) {
        for index in range where index < consumed.count { consumed[index] = true }
    }

    /// Gives words back to the title.
    mutating func release(_ range: Range<Int>) {
        for index in range where index < consumed.count { consumed[index] = false }
    }

    /// The words not understood, with dangling connectors ("on", "at", "by") trimmed from the end: those left
    /// before words that were read ("pay rent on" of "pay rent on friday"). An "on" or "in" that ends the text is the
    /// title's ("put the kettle on", "check in").
    func remainingTitle() -> String {
        let keptIndices = raw.indices.filter { !consumed[$0] }
        let ownLast = keptIndices.count > 1 && keptIndices.last == raw.indices.last && ["on", "in"].contains(raw[raw.count - 1].lowercased())
        var kept = keptIndices.map { raw[$0] }
        // A list's bullet pasted with the line ("- buy eggs", "• call mom", "[ ] pay rent") is no part of the title.
        if kept.count > 1, ["-", "–", "—", "*", "•", "·"].contains(kept[0]) { kept.removeFirst() }
        if kept.count > 2, kept[0] == "[", kept[1] == "]" { kept.removeFirst(2) }
        if kept.count > 1, kept[0] == "[]" || kept[0] == "[x]" { kept.removeFirst() }
        let connectors: Set<String> = ["on", "at", "by", "due", "for", "in", "from", "starting", "and", "-", "–", ",", "to", "with"]
        while !ownLast, let last = kept.last, connectors.contains(last.lowercased().trimmingCharacters(in: .punctuationCharacters)) || last == "-" {
            kept.removeLast()
        }
        var title = kept.joined(separator: " ")
        while let last = title.last, ",;:".contains(last) { title.removeLast() }
        title = title.trimmingCharacters(in: .whitespaces)
        // A title given in quotes is the text inside them.
        if title.count > 2, let open = title.first, let close = Self.quotePairs[open], title.last == close,
            !title.dropFirst().dropLast().contains(close)
        {
            title = String(title.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        return title
    }
}

extension QuickAddParser {
    /// Month names and their three-letter forms, by number (January is 1).
    public static let months: [String: Int] = [
        "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6,
        "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
        "november": 11, "dec": 12, "december": 12,
    ]
    public static let numberWords: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "couple": 2,
    ]
    public static let dayOrdinals: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    ]

    /// A positive count: digits or a small number word.
    static func count(_ word: String?) -> Int? {
        guard let word else { return nil }
        if let number = Int(word), number > 0, number < 10_000 { return number }
        return numberWords[word]
    }

    /// `1st`, `2nd`, `15th`, `31`, `first` → the day of the month.
    static func ordinal(_ word: String?) -> Int? {
        guard var word else { return nil }
        if let day = dayOrdinals[word] { return day }
        for suffix in ["st", "nd", "rd", "th"] where word.hasSuffix(suffix) {
            word.removeLast(2)
            break
        }
        guard let day = Int(word), (1...31).contains(day) else { return nil }
        return day
    }

    /// A weekday name; abbreviations only when `allowShort`, because "sat" and "sun" are also words.
    static func weekday(_ word: String?, allowShort: Bool) -> Weekday? {
        guard let word, word.count >= 3 else { return nil }
        let singular = word.hasSuffix("s") && word.count > 6 ? String(word.dropLast()) : word
        if let day = Weekday.allCases.first(where: { $0.name.lowercased() == singular }) { return day }
        guard allowShort else { return nil }
        let short: [String: Weekday] = [
            "mon": .monday, "tue": .tuesday, "tues": .tuesday, "wed": .wednesday, "thu": .thursday, "thur": .thursday, "thurs": .thursday,
            "fri": .friday, "sat": .saturday, "sun": .sunday,
        ]
        return short[singular]
    }

    /// Minutes in a unit word, for "2 hours before" and "in 30 minutes".
    public static func minutes(unit word: String?) -> Int? {
        switch word {
        case "minute", "minutes", "min", "mins", "m": 1
        case "hour", "hours", "hr", "hrs", "h": 60
        case "day", "days", "d": 1440
        case "week", "weeks", "wk", "wks": 10_080
        default: nil
        }
    }

    // MARK: - Tags and priority

    func matchTag(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        // "#42" is a number ("review PR #42"), not a tag.
        guard let word = tokens.word(index), word.hasPrefix("#"), word.count > 1, !word.dropFirst().allSatisfy(\.isNumber) else { return nil }
        guard case .success(let tags) = TaskChanges.normalizeTags([word]), let tag = tags.first else { return nil }
        if !found.tags.contains(tag) { found.tags.append(tag) }
        return 1
    }

    func matchPriority(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        guard let word = tokens.word(index) else { return nil }
        switch word {
        case "p1", "p2", "p3", "p4", "!!!", "!!":
            found.priority = word == "!!!" ? .urgent : word == "!!" ? .high : TaskPriority(parsing: word)
            return 1
        default: break
        }
        // "!1" is "p1" (urgent), as in Todoist, not the rank 1 (low) that the API's numbers mean.
        if ["!1", "!2", "!3", "!4"].contains(word), let priority = TaskPriority(parsing: "p" + word.dropFirst()) {
            found.priority = priority
            return 1
        }
        if word.hasPrefix("!"), word.count > 1, let priority = TaskPriority(parsing: word) {
            found.priority = priority
            return 1
        }
        if word == "priority", let priority = tokens.word(index + 1).flatMap(TaskPriority.init(parsing:)) {
            found.priority = priority
            return 2
        }
        // "urgent: call the bank", "important: renew the passport": a label before the title.
        if index == 0, ["urgent:", "asap:", "important:"].contains(word), tokens.count > 1 {
            found.priority = word == "important:" ? .high : .urgent
            return 1
        }
        if let priority = TaskPriority(parsing: word), priority != .none, ["high", "low", "medium", "urgent"].contains(word),
            ["priority", "priority:", "prio", "prio:"].contains(tokens.word(index + 1) ?? "")
        {
            found.priority = priority
            return 2
        }
        return nil
    }

    /// "Call mom friday, it's important", "submit the report urgent", "book flights asap": a word of importance that
    /// ends the text (after everything else was read) sets the priority instead of ending the title. "Urgent care
    /// visit" keeps its first word, and "make the intro more important" its last.
    func matchTrailingImportance(_ tokens: inout Tokens, _ found: inout Findings) {
        guard found.priority == nil else { return }
        let open = (0..<tokens.count).filter { !tokens.isConsumed($0) }
        guard open.count >= 2, let last = open.last, let word = tokens.word(last)?.trimmingCharacters(in: CharacterSet(charactersIn: "!")) else {
            return
        }
        var priority: TaskPriority
        switch word {
        case "urgent", "urgently", "asap", "a.s.a.p": priority = .urgent
        case "important": priority = .high
        default: return
        }
        let lead: Set<String> = ["it's", "it’s", "its", "it", "is", "this", "that's", "that’s", "and", "but", "so", "-", "–"]
        let intensifiers: Set<String> = ["very", "super", "really", "extremely", "highly", "quite", "most"]
        var first = last
        while let previous = open.last(where: { $0 < first }), previous == first - 1, let before = tokens.word(previous),
            lead.contains(before) || intensifiers.contains(before)
        {
            if intensifiers.contains(before) && priority == .high { priority = .urgent }
            first = previous
        }
        // A comparison ("more important") or an article ("the urgent") belongs to the title.
        let before = open.last { $0 < first }.flatMap { tokens.word($0) }
        guard let before, !["more", "less", "least", "not", "the", "an", "a", "something", "anything", "nothing"].contains(before) else {
            return
        }
        found.priority = priority
        tokens.consume(first..<(last + 1))
    }

    // MARK: - Reminders

    /// "remind me 2 hours before", "remind me 30 minutes early", "remind me the day before", "remind me at 8am",
    /// "reminder 1 day before", "remind me 1 day and 1 hour before", "remind 15 min before".
    func matchReminder(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        var start = index
        // "ping me 2 hours before", "nudge me the day before", "alert me at 8am": as "remind me".
        if ["remind", "ping", "nudge", "alert"].contains(tokens.word(index) ?? ""), tokens.word(index + 1) == "me" {
            start += 2
        } else if ["reminder", "reminders", "alert", "alerts", "remind"].contains(tokens.word(index) ?? "") {
            // "remind 15 min before": only with what a reminder says right after it ("remind John" stays a title).
            start += 1
        } else {
            return nil
        }
        let cursor = start
        // "30 minutes before", "1 day and 1 hour before", "2h, 30m before".
        if let (minutes, used) = Self.durationsBefore(tokens, cursor) {
            var end = cursor + used
            var all = minutes
            // "… before and (again) 1 hour before", "… before, 1 hour before" (the comma is gone from the word).
            while true {
                var next = end
                if ["and", "&", "plus"].contains(tokens.word(next) ?? "") { next += 1 }
                if tokens.word(next) == "again" { next += 1 }
                guard let (more, moreUsed) = Self.durationsBefore(tokens, next) else { break }
                all += more
                end = next + moreUsed
            }
            for minutes in all where !found.reminders.contains(.beforeDue(minutes: minutes)) {
                found.reminders.append(.beforeDue(minutes: minutes))
            }
            return end - index
        }
        // "the day before", "the week before".
        if tokens.word(cursor) == "the", let unit = ["day": 1440, "week": 10_080][tokens.word(cursor + 1) ?? ""],
            ["before", "earlier"].contains(tokens.word(cursor + 2) ?? "")
        {
            found.reminders.append(.beforeDue(minutes: unit))
            return cursor + 3 - index
        }
        // "the night before" (20:00), "the evening before" (18:00), "the morning before" and "the morning of" (9:00):
        // a time of the due day or the day before, placed once the due date is known.
        if tokens.word(cursor) == "the", let part = tokens.word(cursor + 1), let clock = Self.partOfDay[part], part != "afternoon" {
            let said = tokens.word(cursor + 2)
            if said == "before" || said == "of" && part == "morning" {
                found.dayReminders.append((days: said == "before" ? 1 : 0, clock: part == "night" ? Clock(hour: 20, minute: 0) : clock))
                return cursor + 3 - index
            }
        }
        // "remind me at 9am": that time of the due day, placed once the due date is known (a series' first day is
        // known only then); without a due date, the next 9:00.
        if tokens.word(cursor) == "at", let (clock, used) = clock(tokens, cursor + 1, requireMarker: false) {
            found.dayReminders.append((days: 0, clock: clock))
            return cursor + 1 + used - index
        }
        return nil
    }

    /// Durations before the due time from `start`: "30 minutes before", "2h early", "1 day and 1 hour before", "1 day,
    /// 2 hours and 30 minutes prior": each one's minutes and the words read, or nil unless a word like "before" ends
    /// them.
    static func durationsBefore(_ tokens: Tokens, _ start: Int) -> ([Int], Int)? {
        var minutes: [Int] = []
        var cursor = start
        while true {
            if let amount = count(tokens.word(cursor)), let unit = self.minutes(unit: tokens.word(cursor + 1)) {
                minutes.append(amount * unit)
                cursor += 2
            } else if let (amount, unit) = compactDuration(tokens.word(cursor)) {
                minutes.append(amount * unit)
                cursor += 1
            } else {
                return nil
            }
            if ["before", "early", "earlier", "ahead", "prior"].contains(tokens.word(cursor) ?? "") { return (minutes, cursor + 1 - start) }
            // "1 day and 1 hour before", "1 day, 1 hour before" (the comma is gone from the word).
            if ["and", "&", "plus"].contains(tokens.word(cursor) ?? "") { cursor += 1 }
        }
    }

    /// `30m`, `2h`, `1d` → (30, 1), (2, 60), (1, 1440).
    static func compactDuration(_ word: String?) -> (Int, Int)? {
        guard let word, let last = word.last, let number = Int(word.dropLast()), number > 0 else { return nil }
        switch last {
        case "m": return (number, 1)
        case "h": return (number, 60)
        case "d": return (number, 1440)
        case "w": return (number, 10_080)
        default: return nil
        }
    }

    // MARK: - Recurrence

    func matchRecurrence(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        // "a weekly review on fridays": the days of a weekly rule said apart from it.
        if var weekly = found.rule, weekly.frequency == .weekly, weekly.byWeekday.isEmpty, let word = tokens.word(index),
            index == 0 || !["except", "excluding", "not"].contains(tokens.words[index - 1])
        {
            let start = word == "on" ? index + 1 : index
            guard let (days, used) = standingDays(tokens, start, alone: true) else { return nil }
            weekly.byWeekday = days
            found.rule = weekly
            return start + used - index
        }
        guard found.rule == nil, let word = tokens.word(index) else { return nil }
        var rule: RecurrenceRule
        var cursor = index + 1
        // "gym weekdays at 8", "yoga mon wed fri 7am", "swim on tuesdays": the days the task stands on each week.
        let standingStart = word == "on" ? index + 1 : index
        if let (days, used) = standingDays(tokens, standingStart, alone: standingStart > 0) {
            rule = RecurrenceRule(frequency: .weekly, byWeekday: days)
            cursor = standingStart + used
        } else {
            // "the weekly report", "my daily walk", "file the quarterly taxes": after "the" or a possessive the word
            // describes the thing, and stays in the title ("a daily standup" is one that repeats).
            let adverbs: Set<String> = [
                "hourly", "daily", "weekly", "biweekly", "bi-weekly", "fortnightly", "monthly", "quarterly", "yearly", "annually",
            ]
            if adverbs.contains(word), index > 0,
                ["the", "my", "our", "your", "his", "her", "their", "this", "next", "last"].contains(tokens.words[index - 1])
                    || !["a", "an"].contains(tokens.words[index - 1]) && Self.describesNext(tokens, index)
            {
                return nil
            }
            let monthEnd = endOfEveryMonth(tokens, index)
            let partOfDay = ["every", "every!", "each"].contains(word) ? Self.partOfDay[tokens.word(index + 1) ?? ""] : nil
            switch word {
            case _ where monthEnd != nil:
                // "review the budget at the end of every month"
                rule = RecurrenceRule(frequency: .monthly, byMonthDay: [-1])
                cursor = index + (monthEnd ?? 0)
            case "daily": rule = RecurrenceRule(frequency: .daily)
            case "hourly": rule = RecurrenceRule(frequency: .hourly)
            case "weekly", "biweekly", "bi-weekly", "fortnightly":
                rule = RecurrenceRule(frequency: .weekly, interval: word == "weekly" ? 1 : 2)
                if tokens.word(cursor) == "on", let (days, used) = weekdayList(tokens, cursor + 1) {
                    rule.byWeekday = days
                    cursor += 1 + used
                }
            case "monthly":
                rule = RecurrenceRule(frequency: .monthly)
                // "monthly on the first friday"
                if let (positioned, used) = onPositionedWeekdays(tokens, cursor) {
                    (rule.byWeekday, rule.bySetPosition) = (positioned.days, positioned.positions)
                    cursor += used
                }
            case "quarterly": rule = RecurrenceRule(frequency: .monthly, interval: 3)
            case "yearly", "annually": rule = RecurrenceRule(frequency: .yearly)
            case _ where partOfDay != nil:
                // "every evening": every day, at that time of day unless a time is said.
                rule = RecurrenceRule(frequency: .daily, fromCompletion: word == "every!")
                found.ruleClock = partOfDay
                cursor = index + 2
            case "every", "every!", "each":
                guard let (parsed, used) = ruleAfterEvery(tokens, index + 1) else { return nil }
                rule = parsed
                rule.fromCompletion = word == "every!"
                cursor = index + 1 + used
            case "on", "the", "last",
                _ where Int(word) == nil && Self.ordinal(word) != nil:
                // "on the 1st of every month", "the 15th of each month", "1st of every month"
                var position = index
                if word == "on" { position += 1 }
                if tokens.word(position) == "the" { position += 1 }
                // "on the first friday of every month", "the last weekday of each month"
                if let positioned = positionedWeekdays(tokens, position), positioned.everyMonth {
                    rule = RecurrenceRule(frequency: .monthly, byWeekday: positioned.days, bySetPosition: positioned.positions)
                    cursor = position + positioned.used
                    break
                }
                // "on the 1st and 15th of each month", "the 1st, 10th and 20th of every month".
                var days: [Int] = []
                var after = position
                while let day = Self.ordinal(tokens.word(after)) {
                    days.append(day)
                    after += 1
                    guard ["and", "&", ","].contains(tokens.word(after) ?? ""), Self.ordinal(tokens.word(after + 1)) != nil else { break }
                    after += 1
                }
                guard position > index || word != "on" && word != "the", !days.isEmpty, Set(days).count == days.count,
                    tokens.word(after) == "of",
                    ["every", "each"].contains(tokens.word(after + 1) ?? ""), tokens.word(after + 2) == "month"
                else { return nil }
                rule = RecurrenceRule(frequency: .monthly, byMonthDay: days.sorted { ($0 < 0 ? 32 : $0) < ($1 < 0 ? 32 : $1) })
                cursor = after + 3
            default:
                return nil
            }
        }
        cursor += seriesEnd(tokens, cursor, &rule)
        guard rule.validate().isEmpty else { return nil }
        found.rule = rule
        return cursor - index
    }

    /// The endings of a rule: "until Dec 31" or "until the end of December", then "for 5 times", "5 times" or "for 5
    /// days" (of a rule that comes once a day; weeks, months and years likewise); the number of words they take.
    func seriesEnd(_ tokens: Tokens, _ start: Int, _ rule: inout RecurrenceRule) -> Int {
        var cursor = start
        cursor += exceptDays(tokens, cursor, &rule)
        if rule.until == nil, tokens.word(cursor) == "until",
            let (day, used) = endOfNamedMonth(tokens, cursor + 1) ?? explicitDay(tokens, cursor + 1) ?? relativeDay(tokens, cursor + 1)
        {
            rule.until = RecurrenceRule.endOfDay(year: day.year, month: day.month, day: day.day, timeZone: timeZone)
            cursor += 1 + used
        } else if rule.until == nil, rule.frequency == .hourly, tokens.word(cursor) == "until",
            let (end, used) = clock(tokens, cursor + 1, requireMarker: false)
        {
            // "every hour until 6pm": today's 6pm while it is to come, else tomorrow's.
            rule.until = date(today, end).flatMap { $0 > now ? $0 : date(today.adding(days: 1, calendar), end) }
            cursor += 1 + used
        }
        var countStart = cursor
        if tokens.word(countStart) == "for" { countStart += 1 }
        if rule.count == nil, let times = Self.count(tokens.word(countStart)), tokens.word(countStart + 1) == "times" {
            rule.count = times
            cursor = countStart + 2
        } else if rule.count == nil, rule.until == nil, countStart > cursor, let number = Self.count(tokens.word(countStart)),
            let periods = Self.periodCount(number, unit: tokens.word(countStart + 1), of: rule)
        {
            rule.count = periods
            cursor = countStart + 2
        }
        return cursor - start
    }

    /// "end of every month", "at the end of each month", "on the last day of every month": the number of words.
    func endOfEveryMonth(_ tokens: Tokens, _ start: Int) -> Int? {
        var cursor = start
        if ["at", "on"].contains(tokens.word(cursor) ?? "") { cursor += 1 }
        if tokens.word(cursor) == "the" { cursor += 1 }
        if tokens.word(cursor) == "end" {
            cursor += 1
        } else if tokens.matches(["last", "day"], at: cursor) {
            cursor += 2
        } else {
            return nil
        }
        guard tokens.word(cursor) == "of", ["every", "each"].contains(tokens.word(cursor + 1) ?? ""), tokens.word(cursor + 2) == "month" else {
            return nil
        }
        return cursor + 3 - start
    }

    /// "except fridays", "but not on weekends", "excluding sat and sun": days taken out of a rule that comes every day
    /// or on weekdays it lists; the number of words.
    func exceptDays(_ tokens: Tokens, _ start: Int, _ rule: inout RecurrenceRule) -> Int {
        var cursor = start
        if ["except", "excluding"].contains(tokens.word(cursor) ?? "") {
            cursor += 1
        } else if tokens.matches(["but", "not"], at: cursor) {
            cursor += 2
        } else {
            return 0
        }
        if ["on", "for"].contains(tokens.word(cursor) ?? "") { cursor += 1 }
        let days: [Weekday]
        switch tokens.word(cursor) {
        case "weekends", "weekend":
            (days, cursor) = ([.saturday, .sunday], cursor + 1)
        case "weekdays":
            (days, cursor) = (Weekday.workdays, cursor + 1)
        default:
            guard let (listed, used) = weekdayList(tokens, cursor) else { return 0 }
            (days, cursor) = (listed, cursor + used)
        }
        let base: [Weekday]
        switch rule.frequency {
        case .daily where rule.interval == 1: base = Weekday.allCases
        case .weekly where !rule.byWeekday.isEmpty: base = rule.byWeekday
        default: return 0
        }
        let remaining = base.filter { !days.contains($0) }
        guard !remaining.isEmpty, remaining.count < base.count else { return 0 }
        rule.frequency = .weekly
        rule.byWeekday = remaining
        return cursor - start
    }

    /// How many times a rule comes in `number` of a unit ("5 days" of a daily rule, "6 weeks" of one every other
    /// week: 3), when it comes once a period and the unit is its own; nil otherwise.
    static func periodCount(_ number: Int, unit: String?, of rule: RecurrenceRule) -> Int? {
        let singular = unit.map { $0.hasSuffix("s") ? String($0.dropLast()) : $0 }
        let matches =
            switch rule.frequency {
            case .daily: singular == "day"
            case .weekly: singular == "week" && rule.byWeekday.count <= 1
            case .monthly: singular == "month" && rule.byMonthDay.count <= 1
            case .yearly: singular == "year"
            case .hourly: ["hour", "day", "week"].contains(singular ?? "")
            }
        // An hourly rule for days or weeks: its hours ("every 6 hours for 3 days" is 12 times).
        let hours = rule.frequency == .hourly ? number * (Self.minutes(unit: unit) ?? 60) / 60 : number
        guard matches, hours > 0, hours % rule.interval == 0 else { return nil }
        return hours / rule.interval
    }

    /// "end of December", "the end of march": the last day of that month, this year or, once it is past, next year.
    func endOfNamedMonth(_ tokens: Tokens, _ start: Int) -> (Day, Int)? {
        let offset = tokens.word(start) == "the" ? 1 : 0
        guard tokens.matches(["end", "of"], at: start + offset), let name = tokens.word(start + offset + 2), let month = Self.months[name]
        else { return nil }
        let year = month < today.month ? today.year + 1 : today.year
        return (Day(year: year, month: month, day: 1).monthEnd(calendar), offset + 3)
    }

    /// A rule's endings after other words: "every weekday at 9am until Jan 15", "every day at 8am for 5 times".
    func matchSeriesEnd(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        guard var rule = found.rule else { return nil }
        let used = seriesEnd(tokens, index, &rule)
        guard used > 0, rule.validate().isEmpty else { return nil }
        found.rule = rule
        return used
    }

    /// The rule after "every": "day", "3 days", "other week", "weekday", "monday and friday", "month on the 1st", "15th".
    func ruleAfterEvery(_ tokens: Tokens, _ start: Int) -> (RecurrenceRule, Int)? {
        var cursor = start
        var interval = 1
        if tokens.word(cursor) == "other" {
            interval = 2
            cursor += 1
        } else if let number = Self.count(tokens.word(cursor)), tokens.word(cursor) != "a", tokens.word(cursor) != "an",
            Self.minutes(unit: tokens.word(cursor + 1)) != nil || ["month", "months", "year", "years"].contains(tokens.word(cursor + 1) ?? "")
                || Self.weekday(tokens.word(cursor + 1), allowShort: false) != nil
        {
            // "every 3 days", "every 2 months", "every 2 tuesdays" (every other Tuesday)
            interval = number
            cursor += 1
        } else if let word = tokens.word(cursor), Int(word) == nil, let number = Self.ordinal(word), number > 1,
            ["day", "week", "month", "year"].contains(tokens.word(cursor + 1) ?? ""), tokens.word(cursor + 2) != "of"
        {
            // "every 3rd day", "every second week": every 3 days, every 2 weeks ("every 2nd day of the month" is a day).
            interval = number
            cursor += 1
        }
        guard let unit = tokens.word(cursor) else { return nil }
        // "every 3rd friday", "every last weekday of the month", "every first and third monday": of the month, as
        // Todoist reads them ("every other friday" is every second week); "every last sunday of march" once a year.
        if let positioned = positionedWeekdays(tokens, cursor) {
            // "every 4th thursday of november": once a year, in that month.
            var rule = RecurrenceRule(
                frequency: positioned.month == nil ? .monthly : .yearly,
                interval: interval,
                byWeekday: positioned.days,
                bySetPosition: positioned.positions
            )
            rule.byMonth = positioned.month
            return (rule, cursor + positioned.used - start)
        }
        switch unit {
        case "hour", "hours", "hr", "hrs":
            return (RecurrenceRule(frequency: .hourly, interval: interval), cursor + 1 - start)
        case "day", "days":
            return (RecurrenceRule(frequency: .daily, interval: interval), cursor + 1 - start)
        case "morning", "evening", "night", "afternoon":
            return nil
        case "weekday", "weekdays", "workday", "workdays", "business":
            let used = unit == "business" && tokens.word(cursor + 1) == "day" ? 2 : 1
            return (RecurrenceRule(frequency: .weekly, interval: interval, byWeekday: Weekday.workdays), cursor + used - start)
        case "weekend", "weekends":
            return (RecurrenceRule(frequency: .weekly, interval: interval, byWeekday: [.saturday, .sunday]), cursor + 1 - start)
        case "week", "weeks":
            var rule = RecurrenceRule(frequency: .weekly, interval: interval)
            var next = cursor + 1
            if tokens.word(next) == "on", let (days, used) = weekdayList(tokens, next + 1) {
                rule.byWeekday = days
                next += 1 + used
            }
            return (rule, next - start)
        case "month", "months":
            var rule = RecurrenceRule(frequency: .monthly, interval: interval)
            var next = cursor + 1
            if let (positioned, used) = onPositionedWeekdays(tokens, next) {
                (rule.byWeekday, rule.bySetPosition) = (positioned.days, positioned.positions)
                next += used
            } else if let (days, used) = monthDays(tokens, next) {
                rule.byMonthDay = days
                next += used
            }
            return (rule, next - start)
        case "year", "years":
            // "every year on march 3", "every year on the 3rd of march".
            var rule = RecurrenceRule(frequency: .yearly, interval: interval)
            let on = tokens.word(cursor + 1) == "on" ? cursor + 2 : cursor + 1
            guard let (month, day, used) = monthAndDay(tokens, on) else { return (rule, cursor + 1 - start) }
            (rule.byMonth, rule.byMonthDay) = (month, [day])
            return (rule, on + used - start)
        case "fortnight", "fortnights":
            return (RecurrenceRule(frequency: .weekly, interval: 2 * interval), cursor + 1 - start)
        case "quarter", "quarters":
            return (RecurrenceRule(frequency: .monthly, interval: 3 * interval), cursor + 1 - start)
        case "last":
            // "every last day of the month"
            guard tokens.word(cursor + 1) == "day" else { return nil }
            var next = cursor + 2
            if tokens.matches(["of", "the", "month"], at: next) { next += 3 } else if tokens.matches(["of", "month"], at: next) { next += 2 }
            return (RecurrenceRule(frequency: .monthly, interval: interval, byMonthDay: [-1]), next - start)
        default:
            if let (days, used) = weekdayList(tokens, cursor) {
                return (RecurrenceRule(frequency: .weekly, interval: interval, byWeekday: days), cursor + used - start)
            }
            // "every march 3", "every 3rd of march": once a year.
            if let (month, day, used) = monthAndDay(tokens, cursor) {
                var rule = RecurrenceRule(frequency: .yearly, interval: interval, byMonthDay: [day])
                rule.byMonth = month
                return (rule, cursor + used - start)
            }
            // "every 15th", "every 2nd day of the month"; "every 6th friday" is no place a friday has (its words stay).
            let dayOf = tokens.matches(["day", "of"], at: cursor + 1)
            if Self.weekday(tokens.word(cursor + 1), allowShort: true) != nil { return nil }
            if let day = Self.ordinal(unit), unit != String(day) || tokens.word(cursor + 1) == "of" || dayOf {
                var next = cursor + (dayOf ? 2 : 1)
                if tokens.matches(["of", "the", "month"], at: next) { next += 3 } else if tokens.matches(["of", "month"], at: next) { next += 2 }
                return (RecurrenceRule(frequency: .monthly, interval: interval, byMonthDay: [day]), next - start)
            }
            return nil
        }
    }

    /// "march 3", "mar 3rd", "3 march", "the 3rd of march": a day of a month that has it (February the 29th); the
    /// month, the day and the words used.
    func monthAndDay(_ tokens: Tokens, _ start: Int) -> (month: Int, day: Int, used: Int)? {
        let first = tokens.word(start) == "the" ? start + 1 : start
        var found: (month: Int, day: Int, end: Int)?
        if let month = Self.months[tokens.word(first) ?? ""], let day = Self.ordinal(tokens.word(first + 1)) {
            found = (month, day, first + 2)
        } else if let day = Self.ordinal(tokens.word(first)) {
            let name = tokens.word(first + 1) == "of" ? first + 2 : first + 1
            if let month = Self.months[tokens.word(name) ?? ""] { found = (month, day, name + 1) }
        }
        // 2000 was a leap year: every day a month can have.
        guard let found, found.day <= RecurrenceRule.daysInMonth(year: 2000, month: found.month, calendar: calendar) else { return nil }
        return (found.month, found.day, found.end - start)
    }

    /// Days a task stands on every week without "every": "weekdays", "weekends", "mondays" (`alone`, i.e. not the
    /// first word, where they name the thing: "Weekdays plan"), and a list of two or more days anywhere ("mon wed fri").
    func standingDays(_ tokens: Tokens, _ start: Int, alone: Bool) -> ([Weekday], Int)? {
        guard let word = tokens.word(start) else { return nil }
        if let (days, used) = weekdayList(tokens, start), days.count >= 2 { return (days, used) }
        guard alone else { return nil }
        switch word {
        case "weekdays": return (Weekday.workdays, 1)
        case "weekends": return ([.saturday, .sunday], 1)
        default:
            guard word.hasSuffix("s"), let day = Self.weekday(word, allowShort: false), day.name.lowercased() != word else { return nil }
            return ([day], 1)
        }
    }

    /// "monday", "mon, wed and fri", "tuesday & thursday", "mon/wed/fri", "mon-fri".
    func weekdayList(_ tokens: Tokens, _ start: Int) -> ([Weekday], Int)? {
        var days: [Weekday] = []
        var cursor = start
        while let found = Self.weekday(tokens.word(cursor), allowShort: true).map({ [$0] }) ?? Self.weekdayGroup(tokens.word(cursor)) {
            days += found
            cursor += 1
            if ["and", "&", ","].contains(tokens.word(cursor) ?? ""), Self.weekday(tokens.word(cursor + 1), allowShort: true) != nil {
                cursor += 1
            }
        }
        return days.isEmpty ? nil : (days, cursor - start)
    }

    /// Weekdays written as one word: "mon/wed/fri", "tue/thu", or a span "mon-fri" (both ends included).
    static func weekdayGroup(_ word: String?) -> [Weekday]? {
        guard let word else { return nil }
        // The letters of a timetable: "mwf" (Monday, Wednesday, Friday), "tth" or "tuth" (Tuesday and Thursday).
        switch word {
        case "mwf", "m/w/f": return [.monday, .wednesday, .friday]
        case "tth", "tuth", "t/th", "tu/th": return [.tuesday, .thursday]
        default: break
        }
        if word.contains("/") {
            let days = word.split(separator: "/").compactMap { weekday(String($0), allowShort: true) }
            return days.count >= 2 && days.count == word.split(separator: "/").count ? days : nil
        }
        let ends = word.split(whereSeparator: { $0 == "-" || $0 == "–" })
        guard ends.count == 2, let first = weekday(String(ends[0]), allowShort: true), let last = weekday(String(ends[1]), allowShort: true),
            first != last
        else { return nil }
        let length = (last.rawValue - first.rawValue + 7) % 7
        return (0...length).compactMap { Weekday(rawValue: (first.rawValue - 1 + $0) % 7 + 1) }
    }

    /// Weekdays at their positions in a month: "first friday", "3rd tuesday", "last weekday", "1st and 3rd monday",
    /// "second tuesday and thursday", then maybe "of the month", "of every month", "each month" (`everyMonth` when it
    /// says every or each), or "of november", "in may" (`month`).
    func positionedWeekdays(
        _ tokens: Tokens,
        _ start: Int
    ) -> (positions: [Int], days: [Weekday], used: Int, everyMonth: Bool, month: Int?)? {
        // "first", "3rd", "last"; a bare number is a count ("every 2 tuesdays"), not a place.
        func position(_ word: String?) -> Int? {
            if word == "last" { return -1 }
            guard let word, Int(word) == nil else { return nil }
            return Self.ordinal(word).flatMap { (1...5).contains($0) ? $0 : nil }
        }
        var cursor = start
        var positions: [Int] = []
        while let number = position(tokens.word(cursor)) {
            positions.append(number)
            cursor += 1
            if ["and", "&", ","].contains(tokens.word(cursor) ?? ""), position(tokens.word(cursor + 1)) != nil { cursor += 1 }
        }
        guard !positions.isEmpty else { return nil }
        let days: [Weekday]
        if ["weekday", "workday"].contains(tokens.word(cursor) ?? "") {
            days = Weekday.workdays
            cursor += 1
        } else if tokens.matches(["business", "day"], at: cursor) || tokens.matches(["working", "day"], at: cursor) {
            days = Weekday.workdays
            cursor += 2
        } else if tokens.matches(["weekend", "day"], at: cursor) {
            days = [.saturday, .sunday]
            cursor += 2
        } else if let (list, used) = weekdayList(tokens, cursor) {
            days = list
            cursor += used
        } else {
            return nil
        }
        var everyMonth = false
        for words in [
            ["of", "every", "month"], ["of", "each", "month"], ["every", "month"], ["each", "month"], ["of", "the", "month"], ["of", "month"],
        ]
        where tokens.matches(words, at: cursor) {
            everyMonth = words.contains("every") || words.contains("each")
            cursor += words.count
            break
        }
        var month: Int?
        if ["of", "in"].contains(tokens.word(cursor) ?? ""), let named = tokens.word(cursor + 1).flatMap({ Self.months[$0] }) {
            month = named
            cursor += 2
        }
        return (positions, days, cursor - start, everyMonth, month)
    }

    /// "on the first friday", "on the last weekday of the month" (after "every month" or "monthly").
    func onPositionedWeekdays(_ tokens: Tokens, _ start: Int) -> ((positions: [Int], days: [Weekday]), Int)? {
        guard tokens.word(start) == "on" else { return nil }
        let from = tokens.word(start + 1) == "the" ? start + 2 : start + 1
        guard let positioned = positionedWeekdays(tokens, from), positioned.month == nil else { return nil }
        return ((positioned.positions, positioned.days), from + positioned.used - start)
    }

    /// "on the 1st", "on the 1st and 15th", "on the last day".
    func monthDays(_ tokens: Tokens, _ start: Int) -> ([Int], Int)? {
        var cursor = start
        guard tokens.word(cursor) == "on" else { return nil }
        cursor += 1
        if tokens.word(cursor) == "the" { cursor += 1 }
        if tokens.word(cursor) == "last", tokens.word(cursor + 1) == "day" { return ([-1], cursor + 2 - start) }
        var days: [Int] = []
        while let day = Self.ordinal(tokens.word(cursor)) {
            days.append(day)
            cursor += 1
            if ["and", "&", ","].contains(tokens.word(cursor) ?? ""), Self.ordinal(tokens.word(cursor + 1)) != nil { cursor += 1 }
        }
        return days.isEmpty ? nil : (days, cursor - start)
    }

    // MARK: - Dates

    /// "in 3 days", "in 2 weeks", "in an hour", "in 30 minutes".
    func matchInstant(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        guard found.instant == nil, found.day == nil, tokens.word(index) == "in" else { return nil }
        var amount = Self.count(tokens.word(index + 1))
        var unitIndex = index + 2
        if tokens.word(index + 1) == "a", tokens.word(index + 2) == "couple", tokens.word(index + 3) == "of" {
            amount = 2
            unitIndex = index + 4
        }
        if tokens.word(index + 1) == "half", ["an", "a"].contains(tokens.word(index + 2) ?? ""),
            ["hour", "hr"].contains(tokens.word(index + 3) ?? "")
        {
            // "in half an hour"
            found.instant = now.addingTimeInterval(30 * 60)
            return 4
        }
        guard let amount, let unitWord = tokens.word(unitIndex) else { return nil }
        switch unitWord {
        case "day", "days":
            found.day = today.adding(days: amount, calendar)
        case "fortnight", "fortnights":
            found.day = today.adding(days: 14 * amount, calendar)
        case "week", "weeks":
            var day = today.adding(days: 7 * amount, calendar)
            // "in 2 weeks on thursday": the Thursday of that week (weeks start on Monday).
            let named = tokens.word(unitIndex + 1) == "on" ? unitIndex + 2 : unitIndex + 1
            if let weekday = Self.weekday(tokens.word(named), allowShort: named == unitIndex + 2) {
                day = day.adding(days: weekday.rawValue - day.weekday(calendar).rawValue, calendar)
                found.day = day
                return named + 1 - index
            }
            found.day = day
        case "month", "months":
            found.day = today.adding(months: amount, calendar)
        case "year", "years":
            found.day = today.adding(months: 12 * amount, calendar)
        default:
            guard let unit = Self.minutes(unit: unitWord), unit < 1440 else { return nil }
            found.instant = now.addingTimeInterval(Double(amount * unit * 60))
        }
        return unitIndex + 1 - index
    }

    func matchDay(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        guard found.day == nil, found.instant == nil else { return nil }
        if let (day, used) = namedMonth(tokens, index) {
            found.day = day
            return used
        }
        // "first thing tomorrow" is a time of day (see matchClock), then a day.
        if tokens.matches(["first", "thing"], at: index) { return nil }
        var start = index
        if ["on", "by", "due", "before", "starting", "from", "sometime", "anytime"].contains(tokens.word(index) ?? "") {
            start += 1
        } else if tokens.matches(["some", "time"], at: index) || tokens.matches(["any", "time"], at: index) {
            start += 2
        }
        if tokens.word(start) == "the", tokens.word(start + 1) == "end" || tokens.matches(["day", "after", "tomorrow"], at: start + 1) {
            start += 1
        }
        // "later today", "later tonight".
        if tokens.word(start) == "later", ["today", "tonight"].contains(tokens.word(start + 1) ?? "") { start += 1 }
        // "over the weekend", "at the weekend", "on the weekend": the coming one ("plan the weekend trip" is a title).
        let weekendFrom = ["over", "at", "during"].contains(tokens.word(index) ?? "") ? index + 1 : start
        if weekendFrom > index, tokens.matches(["the", "weekend"], at: weekendFrom) {
            found.day = nextWeekday(.saturday, includeToday: true)
            return weekendFrom + 2 - index
        }
        if let (day, used) = relativeDay(tokens, start) ?? positionedDay(tokens, start) ?? explicitDay(tokens, start) {
            found.day = day
            found.dayIsWeekday = used == 1 && Self.weekday(tokens.word(start), allowShort: true) != nil
            if tokens.word(start) == "tonight" && found.partOfDay == nil { found.partOfDay = Clock(hour: 20, minute: 0) }
            // "friday eod", "tomorrow by end of day": the day said, all of it.
            var end = start + used
            if ["by", "at"].contains(tokens.word(end) ?? ""), endOfDayLength(tokens, end + 1) > 0 { end += 1 }
            return end + endOfDayLength(tokens, end) - index
        }
        return nil
    }

    /// The words of "eod", "cob", "end of day", "end of the day" or "close of business" at `start` (0 if none), said
    /// after a day ("thursday cob"; "cob" alone is a word: "corn on the cob", "a cob loaf").
    func endOfDayLength(_ tokens: Tokens, _ start: Int) -> Int {
        if ["eod", "cob", "eob"].contains(tokens.word(start) ?? "") { return 1 }
        if tokens.matches(["end", "of", "day"], at: start) || tokens.matches(["close", "of", "business"], at: start) { return 3 }
        return tokens.matches(["end", "of", "the", "day"], at: start) ? 4 : 0
    }

    /// One day by its place in a month, after "on", "by", "due" or "before" if any: see ``positionedDay(_:_:)``.
    func matchPositionedDay(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        guard found.day == nil, found.instant == nil else { return nil }
        let start = ["on", "by", "due", "before"].contains(tokens.word(index) ?? "") ? index + 1 : index
        guard let (day, used) = positionedDay(tokens, start) else { return nil }
        found.day = day
        return start + used - index
    }

    /// "the first friday of next month", "the last weekday of the month", "the 2nd tuesday of january 2027", "the
    /// fourth thursday in november": one weekday by its place in a month that is said. "of the month" is the next such
    /// day (this month's, or next month's once it has passed), "of this month" this month's even if it has passed, a
    /// named month its next one (or the year's written after it). Without a month ("on the first monday") it is no
    /// day: which month is meant would be a guess.
    func positionedDay(_ tokens: Tokens, _ start: Int) -> (Day, Int)? {
        let from = tokens.word(start) == "the" ? start + 1 : start
        guard let positioned = positionedWeekdays(tokens, from), positioned.positions.count == 1, !positioned.everyMonth else { return nil }
        var cursor = from + positioned.used
        let rule = RecurrenceRule(frequency: .monthly, byWeekday: positioned.days, bySetPosition: positioned.positions)
        func day(year: Int, month: Int) -> Day? {
            rule.days(year: year, month: month, calendar: calendar, otherwise: 1).first.map { Day(year: year, month: month, day: $0) }
        }
        func isAhead(_ day: Day) -> Bool { (day.year, day.month, day.day) >= (today.year, today.month, today.day) }
        let thisMonth = (year: today.year, month: today.month)
        let nextMonth = Day(year: today.year, month: today.month, day: 1).adding(months: 1, calendar)
        if let month = positioned.month {
            let (writtenYear, usedYear) = explicitYear(tokens.word(cursor))
            cursor += usedYear
            let found =
                writtenYear.flatMap { day(year: $0, month: month) }
                ?? [today.year, today.year + 1].lazy.compactMap { day(year: $0, month: month) }.first(where: isAhead)
            return found.map { ($0, cursor - start) }
        }
        if tokens.words[cursor - 1] == "month" {
            // "of the month", "of month" (read with the weekdays): the next one.
            let found =
                day(year: thisMonth.year, month: thisMonth.month).flatMap { isAhead($0) ? $0 : nil }
                ?? day(year: nextMonth.year, month: nextMonth.month)
            return found.map { ($0, cursor - start) }
        }
        if tokens.word(cursor) == "of" { cursor += 1 }
        if tokens.matches(["next", "month"], at: cursor) {
            return day(year: nextMonth.year, month: nextMonth.month).map { ($0, cursor + 2 - start) }
        }
        if tokens.matches(["this", "month"], at: cursor) {
            return day(year: thisMonth.year, month: thisMonth.month).map { ($0, cursor + 2 - start) }
        }
        return nil
    }

    /// A month without a day, after a word that says how the task relates to it: "before March" is the last day of
    /// February, "by March" the 1st of March, "in March" and "during March" its last day (done some time in it). The
    /// month is the next one of that name (this one counts for "in" and "during", and for "end of"). A bare month
    /// name stays in the title: "May" is also a word.
    func namedMonth(_ tokens: Tokens, _ index: Int) -> (Day, Int)? {
        guard let lead = tokens.word(index), ["before", "by", "in", "during"].contains(lead) else { return nil }
        var cursor = index + 1
        if tokens.word(cursor) == "the", tokens.word(cursor + 1) == "end" { cursor += 1 }
        if tokens.word(cursor) == "end", let (day, used) = endOfNamedMonth(tokens, cursor) { return (day, cursor + used - index) }
        if ["early", "mid", "late"].contains(tokens.word(cursor) ?? "") { return nil }
        guard let name = tokens.word(cursor), let month = Self.months[name], Self.ordinal(tokens.word(cursor + 1)) == nil else { return nil }
        let (writtenYear, usedYear) = explicitYear(tokens.word(cursor + 1))
        let within = lead == "in" || lead == "during"
        let year = writtenYear ?? (month > today.month || within && month == today.month ? today.year : today.year + 1)
        let used = cursor + 1 + usedYear - index
        let first = Day(year: year, month: month, day: 1)
        switch lead {
        case "by": return (first, used)
        case "in", "during":
            return (first.monthEnd(calendar), used)
        default: return (first.adding(days: -1, calendar), used)
        }
    }

    /// today, tonight, tomorrow, day after tomorrow, next week, next month, monday, next friday, this weekend, end of month.
    func relativeDay(_ tokens: Tokens, _ start: Int) -> (Day, Int)? {
        guard let word = tokens.word(start) else { return nil }
        switch word {
        case "today", "tod", "tonight": return (today, 1)
        case "tomorrow", "tmr", "tmrw", "tomorow", "tommorow": return (today.adding(days: 1, calendar), 1)
        case "yesterday": return (today.adding(days: -1, calendar), 1)
        case "last" where !["of", "in"].contains(tokens.word(start + 2) ?? ""):
            // "last monday": the one before today (a week ago on a Monday); "the last friday of the month" is a place.
            guard let day = Self.weekday(tokens.word(start + 1), allowShort: true) else { return nil }
            let back = (today.weekday(calendar).rawValue - day.rawValue + 6) % 7 + 1
            return (today.adding(days: -back, calendar), 2)
        case "day" where tokens.matches(["day", "after", "tomorrow"], at: start): return (today.adding(days: 2, calendar), 3)
        case "end" where tokens.word(start + 1) == "of":
            // "end of month", "end of the week", "end of this month", "end of next week", "end of the year", "end of
            // the day" ("end of january": below).
            let which = ["the", "this", "next"].contains(tokens.word(start + 2) ?? "") ? tokens.word(start + 2) : nil
            let used = which == nil ? 3 : 4
            switch (which, tokens.word(start + (which == nil ? 2 : 3))) {
            case (nil, "week"), ("the", "week"), ("this", "week"): return (nextWeekday(.friday, includeToday: true), used)
            case ("next", "week"): return (nextWeekday(.monday, includeToday: false).adding(days: 4, calendar), used)
            case (nil, "month"), ("the", "month"), ("this", "month"): return (today.monthEnd(calendar), used)
            case ("next", "month"): return (today.adding(months: 1, calendar).monthEnd(calendar), used)
            case (nil, "year"), ("the", "year"), ("this", "year"): return (Day(year: today.year, month: 12, day: 31), used)
            case (nil, "day"), ("the", "day"):
                // "end of day friday": that day.
                if let (day, more) = relativeDay(tokens, start + used) { return (day, used + more) }
                return (today, used)
            default: return endOfNamedMonth(tokens, start)
            }
        case "eod":
            // "eod friday", "by eod tomorrow": the end of that day.
            if let (day, used) = relativeDay(tokens, start + 1) { return (day, 1 + used) }
            return (today, 1)
        case "eom": return (today.monthEnd(calendar), 1)
        case "eow": return (nextWeekday(.friday, includeToday: true), 1)
        case "next", "this", "coming":
            let next = tokens.word(start + 1)
            if word == "next" && (next == "week" || next == "wk") { return (nextWeekday(.monday, includeToday: false), 2) }
            if word == "next" && next == "month" {
                let shifted = today.adding(months: 1, calendar)
                return (Day(year: shifted.year, month: shifted.month, day: 1), 2)
            }
            if word == "next" && next == "year" {
                return (Day(year: today.year + 1, month: 1, day: 1), 2)
            }
            if next == "weekend" {
                // "next weekend" is the weekend of next week, as "next friday" is its Friday (on a Friday evening it is
                // not tomorrow, which "this weekend" already says).
                guard word == "next" else { return (nextWeekday(.saturday, includeToday: true), 2) }
                return (nextWeekday(.monday, includeToday: false).adding(days: 5, calendar), 2)
            }
            if let day = Self.weekday(next, allowShort: true) {
                // "next friday" is the Friday of next week (weeks start on Monday); "this friday" the coming one.
                guard word == "next" else { return (nextWeekday(day, includeToday: true), 2) }
                return (nextWeekday(.monday, includeToday: false).adding(days: day.rawValue - 1, calendar), 2)
            }
            return nil
        case "weekend" where start == 0 || Self.dateLeads.contains(tokens.words[start - 1]) || shortDayStands(tokens, start):
            // "by weekend", "clean the garage weekend"; in "plan the weekend trip" it names the trip.
            return (nextWeekday(.saturday, includeToday: true), 1)
        case "christmas", "xmas", "new", "nye":
            // "by christmas", "before xmas" (the 24th), "on christmas eve", "for new year's eve", "by new year". (A
            // `where` after several patterns would guard only the last.)
            guard start > 0, ["on", "by", "before", "until", "till", "for", "at", "over"].contains(tokens.words[start - 1]) else { return nil }
            var (month, day, used) = (12, 25, 1)
            switch word {
            case "new":
                guard ["year", "year's", "years"].contains(tokens.word(start + 1) ?? "") else { return nil }
                (month, day, used) = tokens.word(start + 2) == "eve" ? (12, 31, 3) : (1, 1, tokens.word(start + 2) == "day" ? 3 : 2)
            case "nye": (month, day) = (12, 31)
            default: if tokens.word(start + 1) == "eve" { (day, used) = (24, 2) }
            }
            guard let holiday = resolve(month: month, day: day, year: nil) else { return nil }
            return (tokens.words[start - 1] == "before" ? holiday.adding(days: -1, calendar) : holiday, used)
        case "a", "an", "one", "two", "three", "four", "2", "3", "4":
            guard tokens.word(start + 2) == "from" else { return nil }
            // "a week from today", "2 days from tomorrow", "a week from friday".
            let count = Self.count(word) ?? 1
            let days: Int
            switch tokens.word(start + 1) {
            case "day", "days": days = count
            case "week", "weeks": days = 7 * count
            case "fortnight", "fortnights": days = 14 * count
            default: return nil
            }
            if tokens.word(start + 3) == "now" { return (today.adding(days: days, calendar), 4) }
            guard let (base, used) = relativeDay(tokens, start + 3) else { return nil }
            return (base.adding(days: days, calendar), 3 + used)
        default:
            // "monday week": a week after the coming Monday (British).
            if let day = Self.weekday(word, allowShort: true), tokens.word(start + 1) == "week" {
                return (nextWeekday(day, includeToday: true).adding(days: 7, calendar), 2)
            }
            // First in the text, only with a time after it ("wed 8-9am", "tue 3pm dentist"): "sat" and "sun" are words too.
            let allowShort =
                start > 0
                ? ["on", "by", "due", "before"].contains(tokens.word(start - 1) ?? "") || shortDayStands(tokens, start)
                : timeFollows(tokens, start)
            if let day = Self.weekday(word, allowShort: allowShort), !word.hasSuffix("s") || word.count <= 6 {
                return (nextWeekday(day, includeToday: true), 1)
            }
            return nil
        }
    }

    /// Whether an abbreviated weekday after other words is a day without "on": followed by a time or a span ("dentist tue
    /// 3pm", "call Bob fri at 10", "delivery wed 8-9am", "call bob tue afternoon"), or last but for tags and priority
    /// ("gym mon", "report thu #work p1") unless it is also a word ("enjoy the sun", "study for the sat").
    func shortDayStands(_ tokens: Tokens, _ index: Int) -> Bool {
        let next = index + 1
        // "dentist tue 3pm", "tesco delivery wed 8-9am", "call fri from 2 to 3pm", "call Bob fri at 10".
        if timeFollows(tokens, index) { return true }
        if tokens.word(next) == "at" || tokens.word(next) == "@" { return false }
        // "call bob tue afternoon", "gym wed morning".
        if let part = tokens.word(next), Self.partOfDay[part] != nil, !["sat", "sun"].contains(tokens.word(index) ?? "") { return true }
        // "wash car sat", "fix bike sun" are days; "enjoy the sun", "study for the sat" are not.
        if ["sat", "sun"].contains(tokens.word(index) ?? ""),
            index == 0
                || ["the", "a", "an", "in", "for", "to", "of", "my", "your", "our", "at", "this", "that", "under", "i", "we", "he", "she", "they"]
                    .contains(tokens.word(index - 1) ?? "")
        {
            return false
        }
        return (next..<tokens.count).allSatisfy { position in
            guard let word = tokens.word(position) else { return true }
            return word.hasPrefix("#") || word.hasPrefix("!") || ["p1", "p2", "p3", "p4"].contains(word)
        }
    }

    /// Whether a time of day or a span follows the word at `index` ("3pm", "at 10", "8-9am", "from 2 to 3pm").
    func timeFollows(_ tokens: Tokens, _ index: Int) -> Bool {
        let next = index + 1
        if tokens.word(next) == "at" || tokens.word(next) == "@" {
            return clock(tokens, next + 1, requireMarker: false) != nil || clockRange(tokens, next) != nil
        }
        return clock(tokens, next, requireMarker: true) != nil || clockRange(tokens, next) != nil
    }

    /// The next date on a weekday; today counts only if `includeToday`.
    func nextWeekday(_ weekday: Weekday, includeToday: Bool) -> Day {
        let current = today.weekday(calendar)
        var delta = (weekday.rawValue - current.rawValue + 7) % 7
        if delta == 0 && !includeToday { delta = 7 }
        return today.adding(days: delta, calendar)
    }

    /// "Dec 1", "December 1st 2027", "1 Dec", "1st of December", "2026-12-01", "12/1", "12/1/2027", "the 15th", "on the 15th".
    func explicitDay(_ tokens: Tokens, _ start: Int) -> (Day, Int)? {
        guard let word = tokens.word(start) else { return nil }
        if case .day(let date)? = Timestamp.parse(word, timeZone: timeZone) { return (Day(date, calendar), 1) }
        if let day = numericDay(word), numericDateFits(tokens, start) { return (day, 1) }
        if let day = dottedDay(tokens, start) { return (day, 1) }
        // Month first.
        if let month = Self.months[word], let day = Self.ordinal(tokens.word(start + 1)) {
            let (year, usedYear) = explicitYear(tokens.word(start + 2))
            return resolve(month: month, day: day, year: year).map { ($0, 2 + usedYear) }
        }
        // Day first.
        if let day = Self.ordinal(word) {
            var cursor = start + 1
            if tokens.word(cursor) == "of" { cursor += 1 }
            if let month = Self.months[tokens.word(cursor) ?? ""] {
                let (year, usedYear) = explicitYear(tokens.word(cursor + 1))
                return resolve(month: month, day: day, year: year).map { ($0, cursor + 1 + usedYear - start) }
            }
            // "the 3rd of next month", "the 20th of this month".
            if cursor > start + 1, ["next", "this"].contains(tokens.word(cursor) ?? ""), tokens.word(cursor + 1) == "month" {
                let month = tokens.word(cursor) == "next" ? today.adding(months: 1, calendar) : today
                guard day <= RecurrenceRule.daysInMonth(year: month.year, month: month.month, calendar: calendar) else { return nil }
                return (Day(year: month.year, month: month.month, day: day), cursor + 2 - start)
            }
        }
        // "the 3rd of January": as "3rd of January".
        if word == "the", tokens.word(start + 2) == "of", let (day, used) = explicitDay(tokens, start + 1) { return (day, used + 1) }
        // "the 15th": the next 15th, today on the 15th (as "dec 15" is).
        if word == "the", let day = Self.ordinal(tokens.word(start + 1)), tokens.word(start + 1).map({ Int($0) == nil }) == true,
            tokens.word(start + 2) != "of", Self.weekday(tokens.word(start + 2), allowShort: true) == nil
        {
            var candidate = today
            for _ in 0..<3 {
                let length = RecurrenceRule.daysInMonth(year: candidate.year, month: candidate.month, calendar: calendar)
                if day <= length, candidate.month != today.month || day >= today.day {
                    return (Day(year: candidate.year, month: candidate.month, day: day), 2)
                }
                candidate = Day(year: candidate.year, month: candidate.month, day: 1).adding(months: 1, calendar)
            }
        }
        return nil
    }

    /// "12/25", "12/25/2026", "12/25/26": month first, as written in the US, or day first when the reader's language
    /// writes the day first (`dayFirst`: "3/1" is the 3rd of January in en-GB), unless the first reading cannot be a
    /// date ("25/12", "31/01/2027" are day first, "12/25" month first, whatever the language). Without a year, the
    /// next such date.
    func numericDay(_ word: String) -> Day? {
        guard var (month, day, year, _) = Self.dateNumbers(word, separator: "/") else { return nil }
        if Self.dayFirst { (month, day) = (day, month) }
        // "31/01/2027" can only be day first, "12/25" only month first: a number past 12 is no month.
        if month > 12, (1...12).contains(day) { (month, day) = (day, month) }
        guard (1...12).contains(month) else { return nil }
        return resolve(month: month, day: day, year: year)
    }

    /// "15.12.", "15.12.2026", "on 3.1.27": day first, as dates are written with dots. Without a year of four digits it
    /// is a date only when it ends with its dot or follows "on", "by", "due", …: "2.5" is also a number, "1.2.24" a
    /// version. Without a year, the next such date.
    func dottedDay(_ tokens: Tokens, _ index: Int) -> Day? {
        guard let word = tokens.word(index), let (day, month, year, longYear) = Self.dateNumbers(word, separator: "."),
            (1...12).contains(month)
        else { return nil }
        if !longYear {
            let closed = tokens.raw[index].trimmingCharacters(in: CharacterSet(charactersIn: ",;)")).hasSuffix(".")
            guard closed || index > 0 && Self.dateLeads.contains(tokens.words[index - 1]) else { return nil }
        }
        return resolve(month: month, day: day, year: year)
    }

    /// The numbers of a date written with `separator`: two of one or two digits, then maybe a year of two or four
    /// digits (2000 added to two; `longYear` when written with four), the second at least 1.
    static func dateNumbers(_ word: String, separator: Character) -> (first: Int, second: Int, year: Int?, longYear: Bool)? {
        let parts = word.split(separator: separator, omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            parts[0].count <= 2, parts[1].count <= 2, let first = Int(parts[0]), let second = Int(parts[1]), first >= 1, second >= 1
        else { return nil }
        guard parts.count == 3 else { return (first, second, nil, false) }
        guard parts[2].count == 2 || parts[2].count == 4, let written = Int(parts[2]) else { return nil }
        return (first, second, written < 100 ? 2000 + written : written, parts[2].count == 4)
    }

    /// Whether the word after a schedule word ("weekly", "quarterly") is a thing it describes: "finish quarterly
    /// report by friday", "send weekly update to the team tomorrow" are done once, while "water the plants weekly",
    /// "pay rent monthly on the 1st" and "call mom weekly tomorrow" repeat ("a weekly review" is one that repeats:
    /// the caller asks this only after other words). A plain word that says nothing of when.
    static func describesNext(_ tokens: Tokens, _ index: Int) -> Bool {
        guard let next = tokens.word(index + 1), !tokens.isConsumed(index + 1), next.allSatisfy(\.isLetter) else { return false }
        let when: Set<String> = [
            "at", "in", "every", "each", "and", "or", "for", "except", "excluding", "but", "not", "tomorrow", "today", "tonight", "this",
            "next", "the", "around", "about", "between", "during", "throughout", "noon", "midnight", "midday", "weekdays", "weekends",
            "forever", "indefinitely",
        ]
        return !when.contains(next) && !dateLeads.contains(next) && months[next] == nil && Weekday(parsing: next) == nil
            && numberWords[next] == nil && partOfDay[next] == nil && dayOrdinals[next] == nil
    }

    /// Words after which a number written as a date is one.
    static let dateLeads: Set<String> = ["on", "due", "by", "until", "till", "before", "from", "starting", "after"]

    /// Whether a numeric date at `index` is meant as one: after "on", "due", "by", "until", … (or a command's first
    /// word), before a time, or at the end. Elsewhere "1/2" is a fraction ("read 1/2 of the book", "1/2 cup flour").
    func numericDateFits(_ tokens: Tokens, _ index: Int) -> Bool {
        let before = index > 0 ? tokens.words[index - 1] : nil
        if let before, Self.dateLeads.contains(before) { return true }
        guard index + 1 < tokens.count else { return true }
        let after = tokens.words[index + 1]
        return ["at", "@", "morning", "afternoon", "evening", "night", "tonight", "noon"].contains(after)
            || clock(tokens, index + 1, requireMarker: true) != nil
    }

    /// "every 2nd tuesday", "every last friday of the month", "on the first monday": a weekday by its place in the
    /// month (the number of words). Unless they make a rule, they stay in the title instead of becoming a rule and a due
    /// date that disagree ("monthly on the 2nd", due next Tuesday).
    func weekdayByPlace(_ tokens: Tokens, _ index: Int) -> Int? {
        guard ["every", "each", "on", "the"].contains(tokens.word(index) ?? "") else { return nil }
        var cursor = index + 1
        if tokens.word(cursor) == "the" { cursor += 1 }
        guard let place = tokens.word(cursor), place == "last" || Int(place) == nil && Self.ordinal(place) != nil,
            Self.weekday(tokens.word(cursor + 1), allowShort: true) != nil
        else { return nil }
        cursor += 2
        if tokens.word(cursor) == "of" {
            cursor += 1
            while let word = tokens.word(cursor), ["the", "every", "each", "month"].contains(word) { cursor += 1 }
        }
        return cursor - index
    }

    func explicitYear(_ word: String?) -> (Int?, Int) {
        guard let word, word.count == 4, let year = Int(word), (1970...2200).contains(year) else { return (nil, 0) }
        return (year, 1)
    }

    /// A month and day without a year means the next such date (this year, or next year if it has passed).
    func resolve(month: Int, day: Int, year: Int?) -> Day? {
        let year = year ?? (month > today.month || (month == today.month && day >= today.day) ? today.year : today.year + 1)
        guard day <= RecurrenceRule.daysInMonth(year: year, month: month, calendar: calendar) else { return nil }
        return Day(year: year, month: month, day: day)
    }

    // MARK: - Times

    static let partOfDay: [String: Clock] = [
        "morning": Clock(hour: 9, minute: 0), "afternoon": Clock(hour: 14, minute: 0), "evening": Clock(hour: 18, minute: 0),
        "night": Clock(hour: 21, minute: 0),
    ]

    func matchClock(_ tokens: inout Tokens, _ index: Int, _ found: inout Findings) -> Int? {
        var start = index
        let hasAt = tokens.word(index) == "at" || tokens.word(index) == "@"
        if hasAt { start += 1 }
        if tokens.matches(["in", "the", "morning"], at: index) || tokens.matches(["in", "the", "evening"], at: index)
            || tokens.matches(["in", "the", "afternoon"], at: index)
        {
            let part = tokens.word(index + 2)!
            setPartOfDay(
                part == "morning" ? Clock(hour: 9, minute: 0) : part == "afternoon" ? Clock(hour: 14, minute: 0) : Clock(hour: 18, minute: 0),
                &found
            )
            return 3
        }
        if let part = tokens.word(index + 1), tokens.word(index) == "this", let clock = Self.partOfDay[part] {
            found.day = found.day ?? today
            setPartOfDay(clock, &found)
            return 2
        }
        // "friday evening"; "every week on sunday evening" (the part of day right after the repetition); "tuesday eve"
        // (after a day, "eve" is its evening; "christmas eve" is a day of its own, read before).
        if found.day != nil || (found.rule != nil && index > 0 && tokens.isConsumed(index - 1)), let part = tokens.word(index),
            let clock = Self.partOfDay[part == "eve" ? "evening" : part]
        {
            setPartOfDay(clock, &found)
            return 1
        }
        if tokens.matches(["at", "night"], at: index) {
            setPartOfDay(Clock(hour: 21, minute: 0), &found)
            return 2
        }
        // "first thing tomorrow", "first thing in the morning": the start of a working day.
        if tokens.matches(["first", "thing"], at: index) {
            setPartOfDay(Clock(hour: 9, minute: 0), &found)
            return tokens.matches(["in", "the", "morning"], at: index + 2) ? 5 : 2
        }
        if let (clock, end, used) = clockRange(tokens, index) {
            if found.clock == nil { (found.clockEnd, found.clockEndIndex) = (end, index + used) }
            setClock(clock, &found)
            return used
        }
        guard let (clock, used) = clock(tokens, start, requireMarker: !hasAt) else { return nil }
        if found.clock == nil {
            found.clockEndIndex = start + used
        } else {
            found.moreClocks.append((clock, index..<(start + used)))
        }
        setClock(clock, &found)
        return start + used - index
    }

    /// "every day at 8am and 8pm", "at 8am, 2pm and 8pm every day", "every weekday at 9:30 and 17:30": more times,
    /// at the same minute, of a rule that comes once on each of its days; they become its hours (``RecurrenceRule/byHour``).
    /// Any other time said is not the due time: its words go back to the title ("call mom at 5pm and 6pm").
    func matchMoreClocks(_ tokens: inout Tokens, _ found: inout Findings) {
        guard !found.moreClocks.isEmpty else { return }
        let hours = [found.clock?.hour ?? -1] + found.moreClocks.map(\.clock.hour)
        guard var rule = found.rule, rule.frequency == .daily || rule.frequency == .weekly, rule.byHour.isEmpty, found.clockEnd == nil,
            let first = found.clock, let start = found.clockEndIndex, found.moreClocks.allSatisfy({ $0.clock.minute == first.minute }),
            Set(hours).count == hours.count
        else {
            for more in found.moreClocks { tokens.release(more.range) }
            return
        }
        // "and" between the times goes with them.
        var cursor = start
        for more in found.moreClocks {
            if more.range.lowerBound > cursor, (cursor..<more.range.lowerBound).allSatisfy({ ["and", "&"].contains(tokens.word($0) ?? "") }) {
                tokens.consume(cursor..<more.range.lowerBound)
            }
            cursor = more.range.upperBound
        }
        rule.byHour = hours.sorted()
        found.rule = rule
    }

    /// "every 2 hours from 8am to 8pm", "hourly between 9am and 5pm": an hourly rule said with a span of the day
    /// comes every day at the hours of that span, from its start (a span that ends before it starts is not one).
    func hoursOfSpan(_ found: Findings) -> Findings {
        guard let rule = found.rule, rule.frequency == .hourly, let start = found.clock, let end = found.clockEnd,
            end.hour * 60 + end.minute > start.hour * 60 + start.minute
        else { return found }
        let hours = Array(stride(from: start.hour, through: end.hour, by: rule.interval)).filter {
            $0 * 60 + start.minute <= end.hour * 60 + end.minute
        }
        var spanned = found
        spanned.rule = RecurrenceRule(
            frequency: .daily,
            byHour: hours.count > 1 ? hours : [],
            until: rule.until,
            count: rule.count,
            fromCompletion: rule.fromCompletion
        )
        return spanned
    }

    /// A span of time, due when it starts: "2-3pm", "9:30–10:30", "at 2 - 3pm", "from 2 to 3pm", "between 2pm and 4pm".
    /// A start without am/pm takes the end's ("2-3pm" is 14:00; "11-1pm" is 11:00, the end is past noon). Returns
    /// the start, the end and the words used.
    func clockRange(_ tokens: Tokens, _ index: Int) -> (Clock, Clock, Int)? {
        let marker = tokens.word(index)
        let between = marker == "between"
        let start = ["at", "@", "from", "between"].contains(marker ?? "") ? index + 1 : index
        guard let first = tokens.word(start) else { return nil }
        var startText: String
        var endText: String
        var used: Int
        if !between, first.first?.isNumber == true, let dash = first.rangeOfCharacter(from: CharacterSet(charactersIn: "-–")) {
            // "2-3pm" as one word.
            (startText, endText, used) = (String(first[..<dash.lowerBound]), String(first[dash.upperBound...]), 1)
        } else if let separator = tokens.word(start + 1), (between ? ["and"] : ["-", "–", "to", "until", "till"]).contains(separator),
            let end = tokens.word(start + 2)
        {
            (startText, endText, used) = (first, end, 3)
            if let next = tokens.word(start + 3), ["am", "pm"].contains(next) {
                endText += next
                used += 1
            }
        } else {
            return nil
        }
        func meridiem(_ text: String) -> String? { text.hasSuffix("am") ? "am" : text.hasSuffix("pm") ? "pm" : nil }
        // Both ends must read as times of day, the end with am/pm or a colon: "2-3 people" is no range.
        guard startText.first?.isNumber == true, meridiem(endText) != nil || endText.contains(":"),
            let (end, _) = clock(Tokens(endText), 0, requireMarker: true)
        else { return nil }
        if meridiem(startText) == nil, !startText.contains(":"), let endMeridiem = meridiem(endText), let hour = Int(startText),
            (1...12).contains(hour)
        {
            // The start takes the end's half of the day unless that would put it after the end ("11-1pm").
            startText += hour % 12 <= end.hour % 12 ? endMeridiem : (endMeridiem == "pm" ? "am" : "pm")
        }
        guard let (clock, _) = clock(Tokens(startText), 0, requireMarker: true) else { return nil }
        return (clock, end, start - index + used)
    }

    private func setClock(_ clock: Clock, _ found: inout Findings) {
        if found.clock == nil { found.clock = clock }
    }

    /// A part of the day ("this evening", "in the morning", "tonight"): the time unless one is said with it ("tonight at
    /// 10pm", "tomorrow morning at 7").
    private func setPartOfDay(_ clock: Clock, _ found: inout Findings) {
        if found.partOfDay == nil { found.partOfDay = clock }
    }

    /// "5pm", "5 pm", "5:30pm", "17:30", "noon", "midnight"; bare hours ("at 5") only after "at".
    func clock(_ tokens: Tokens, _ start: Int, requireMarker: Bool) -> (Clock, Int)? {
        guard var word = tokens.word(start) else { return nil }
        switch word {
        case "noon", "midday": return (Clock(hour: 12, minute: 0), 1)
        case "midnight": return (Clock(hour: 23, minute: 59), 1)
        case "morning" where !requireMarker: return (Clock(hour: 9, minute: 0), 1)
        case "evening" where !requireMarker: return (Clock(hour: 18, minute: 0), 1)
        default: break
        }
        if let (hour, minute, said) = spokenClock(tokens, start, requireMarker: requireMarker) {
            var used = said
            if let next = tokens.word(start + used), ["am", "pm", "a.m", "p.m", "a.m.", "p.m."].contains(next) {
                used += 1
                return (Clock(hour: hour % 12 + (next.hasPrefix("p") ? 12 : 0), minute: minute), used)
            }
            // As a bare number: "half 5" is 17:30, "quarter past 9" 9:15; the hour said decides, so "quarter to 8"
            // (7:45) is in the morning like "8", and "quarter to 7" in the evening like "7".
            let said = minute > 30 ? hour % 12 + 1 : hour
            return (Clock(hour: (1...7).contains(said) ? hour % 12 + 12 : hour % 24, minute: minute), used)
        }
        // "19h30", "17h", "at 9h": the 24-hour clock as French and others write it ("5h" alone is a duration).
        if let h = word.firstIndex(of: "h"), h != word.startIndex, let hour = Int(word[..<h]), (0...23).contains(hour), word[..<h].count <= 2 {
            let rest = word[word.index(after: h)...]
            if rest.isEmpty, hour >= 12 || !requireMarker { return (Clock(hour: hour, minute: 0), 1) }
            if rest.count == 2, let minute = Int(rest), (0...59).contains(minute) { return (Clock(hour: hour, minute: minute), 1) }
        }
        var used = 1
        var meridiem: String?
        for suffix in ["am", "pm", "a.m", "p.m", "a.m.", "p.m."] where word.hasSuffix(suffix) && word.count > suffix.count {
            meridiem = String(suffix.prefix(1))
            word.removeLast(suffix.count)
            break
        }
        if meridiem == nil, let next = tokens.word(start + 1), ["am", "pm", "a.m", "p.m", "a.m.", "p.m."].contains(next) {
            meridiem = String(next.prefix(1))
            used = 2
        }
        // "7.30pm" and "at 7.30" as "7:30"; "12.50" alone is a number.
        let separator: Character = !word.contains(":") && (meridiem != nil || !requireMarker) ? "." : ":"
        let parts = word.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count <= 2, let hour = Int(parts[0]), parts[0].count <= 2 else { return nil }
        var minute = 0
        if parts.count == 2 {
            guard parts[1].count == 2, let value = Int(parts[1]), (0...59).contains(value) else { return nil }
            minute = value
        }
        if let meridiem {
            guard (1...12).contains(hour) else { return nil }
            let base = hour % 12
            return (Clock(hour: meridiem == "p" ? base + 12 : base, minute: minute), used)
        }
        // "at 5" and "7:30" mean the afternoon or evening when that is the likelier hour, as a bare number does;
        // "07:30" and "17:30" are on the 24-hour clock.
        let likelier = parts[0].count == 1 && (1...7).contains(hour) ? hour + 12 : hour
        if parts.count == 2 {
            guard (0...23).contains(hour) else { return nil }
            return (Clock(hour: likelier, minute: minute), used)
        }
        // A bare number is a time only after "at".
        guard !requireMarker, (0...23).contains(hour) else { return nil }
        return (Clock(hour: likelier, minute: 0), used)
    }

    /// The number words of a time said in words: `numberWords` but those that name no hour or minute ("a", "couple").
    static let clockNumberWords = numberWords.filter { !["a", "an", "couple"].contains($0.key) }.merging(["twenty-five": 25]) { kept, _ in kept }

    /// The time as said in words, on the 12-hour clock: "half past 5", "half 5" (British for 5:30), "quarter past 3",
    /// "quarter to 8", "20 to 8", "five past six", "3 o'clock". Returns the hour (1–12), the minute and the words used.
    func spokenClock(_ tokens: Tokens, _ start: Int, requireMarker: Bool) -> (hour: Int, minute: Int, used: Int)? {
        func number(_ index: Int) -> Int? {
            guard let word = tokens.word(index) else { return nil }
            return Int(word) ?? Self.clockNumberWords[word]
        }
        func hour(_ index: Int) -> Int? { number(index).flatMap { (1...12).contains($0) ? $0 : nil } }
        guard let first = tokens.word(start) else { return nil }
        if let h = hour(start), let next = tokens.word(start + 1), ["o'clock", "oclock", "o’clock"].contains(next) { return (h, 0, 2) }
        let minutes: Int?
        var used = 1
        switch first {
        case "half": minutes = 30
        case "quarter": minutes = 15
        case "twenty" where tokens.word(start + 1) == "five":
            (minutes, used) = (25, 2)
        default: minutes = number(start).flatMap { [5, 10, 20, 25].contains($0) ? $0 : nil }
        }
        guard let minutes else { return nil }
        switch tokens.word(start + used) {
        case "past", "after":
            guard let h = hour(start + used + 1) else { return nil }
            return (h, minutes, used + 2)
        case "to", "till", "til":
            // "quarter to 8", "twenty to 8", "20 to 8"; "10 to 12" and "5 to 6" are spans of time, not 11:50 and 5:55.
            guard first != "half", Int(first) == nil || minutes >= 20, let h = hour(start + used + 1) else { return nil }
            return (h == 1 ? 12 : h - 1, 60 - minutes, used + 2)
        default:
            // "half 5": British for half past five, after "at" or where a time can stand (last, or before a day):
            // in "cut the cake in half 2 times" it is no time.
            guard first == "half", let h = hour(start + 1) else { return nil }
            if requireMarker, let next = tokens.word(start + 2), relativeDay(tokens, start + 2) == nil,
                Self.weekday(next, allowShort: true) == nil, !["am", "pm", "on", "this", "next"].contains(next), !next.hasPrefix("#")
            {
                return nil
            }
            return (h, 30, 2)
        }
    }
}
