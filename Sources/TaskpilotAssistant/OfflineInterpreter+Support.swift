import Foundation
import TaskpilotCore

extension OfflineInterpreter {
    // MARK: - Finding the task a sentence means

    /// What a reference like "the report", "task 12" or "it" points to.
    enum Resolution {
        case task(TaskItem)
        case ambiguous([TaskItem])
        case missing(String)
    }

    /// Words that name the task in focus; "one" and "next" as left of "the next one" ("when is the next one?", "skip the
    /// next one": after a repeating task is completed, its occurrence still to do).
    static let pronouns: Set<String> = [
        "it", "that", "this", "this one", "that one", "the task", "that task", "this task", "the last one", "same", "one", "next", "next occurrence",
    ]
    static let stopwords: Set<String> = ["the", "a", "an", "my", "task", "to", "for", "of", "on", "one", "todo", "item", "about"]

    /// The tasks of "the report and the slides", each name fitting exactly one task; nil unless there are several
    /// names and every one does.
    func resolveEach(_ reference: String, prefer status: TaskStatus?, turn: Turn) async -> [TaskItem]? {
        let names = reference.replacingOccurrences(of: ", and ", with: ", ").split(separator: ",").flatMap {
            $0.components(separatedBy: " and ")
        }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard (2...10).contains(names.count) else { return nil }
        var tasks: [TaskItem] = []
        for name in names {
            guard case .task(let task) = await resolve(name, prefer: status, turn: turn), !tasks.contains(where: { $0.id == task.id }) else {
                return nil
            }
            tasks.append(task)
        }
        return tasks
    }

    /// Resolves a reference within the user's own tasks, preferring a status when several match. With `favoring`, only
    /// the tasks the change can apply to are candidates when there are any: "cancel the milk reminder" means a milk
    /// task that has one.
    func resolve(_ reference: String, prefer status: TaskStatus?, favoring: ((TaskItem) -> Bool)? = nil, turn: Turn) async -> Resolution {
        let context = turn.context
        // The answer to "which one do you mean?" stands for the reference of the question.
        if let chosen = turn.chosen { return await lookup(chosen, context: context) }
        if let row = Self.rowReference(reference, rows: turn.rows) {
            switch row {
            case .row where turn.rows.isEmpty:
                return .missing(
                    "I haven't shown you a list in this conversation, so I don't know which one is “\(Self.clip(reference))”. "
                        + "Say “list tasks” first, or name the task."
                )
            case .row(let index) where index > turn.rows.count:
                return .missing("The last list I showed has only \(Self.plural(turn.rows.count, "task")). Which one do you mean?")
            case .row(let index):
                return await lookup(turn.rows[index - 1], context: context)
            case .last:
                return await lookup(turn.rows[turn.rows.count - 1], context: context)
            }
        }
        let phrase = Self.referencePhrase(reference)
        if Self.pronouns.contains(phrase) || Self.pronouns.contains(reference.lowercased()) || phrase.isEmpty {
            guard let focus = turn.focus else { return .missing("Which task do you mean? Give its name or id (e.g. “task 12”).") }
            let found = await lookup(focus, context: context)
            // "it" after completing or skipping a repeating task, asked to change: the occurrence that is still to do
            // ("skip this week's review", then "change it to every wednesday").
            if status == .pending, case .task(let task) = found, task.status == .completed, task.recurrence != nil,
                let next = await pendingOccurrence(after: task, context: context)
            {
                return .task(next)
            }
            return found
        }
        let idText = phrase.replacingOccurrences(of: "task", with: "").replacingOccurrences(of: "number", with: "")
            .replacingOccurrences(of: "no.", with: "").replacingOccurrences(of: "#", with: "").trimmingCharacters(in: .whitespaces)
        if let id = Int64(idText), id > 0 { return await lookup(id, context: context) }
        var query = TaskQuery(filter: TaskFilter(), sort: [TaskSort(.updatedAt, descending: true)], limit: TaskQuery.maxLimit)
        query.filter.status = nil
        guard let tasks = try? await context.tasks.list(query, userID: context.user.id, now: context.now).items, !tasks.isEmpty else {
            return .missing("You don't have any tasks yet.")
        }
        let words = Self.significantWords(phrase)
        // A name without letters or digits ("complete 🎂") is looked for as it is written.
        let symbols = Self.words(phrase).isEmpty && !phrase.isEmpty
        guard !words.isEmpty || symbols else { return .missing("Which task do you mean? Give its name or id.") }
        var scored: [(task: TaskItem, score: Int)] = []
        for task in tasks {
            let title = task.title.lowercased()
            guard title == phrase || (symbols ? title.contains(phrase) : Self.title(title, contains: words)) else { continue }
            // Only a title said in full singles a task out: a word of several titles ("the dentist" of "Dentist
            // appointment" and "Dentist bill payment") is a question, whichever title is shorter. The title word for
            // word beats one with the same words and others between them ("water plants", not "Water the plants").
            var score = title == phrase ? 1010 : Set(Self.significantWords(title)) == Set(words) ? 1000 : 100
            if let status, task.status == status { score += 50 }
            scored.append((task, score))
        }
        // A task the change can apply to is meant before any it cannot, however well the other's name fits.
        if let favoring, scored.contains(where: { favoring($0.task) }) { scored.removeAll { !favoring($0.task) } }
        guard let best = scored.map(\.score).max() else {
            // "move monday to tuesday": a day is no task's name, but the day's tasks may be meant.
            if Weekday(parsing: phrase) != nil || ["today", "tomorrow"].contains(phrase) {
                return .missing(
                    "No task is called “\(Self.clip(reference))”. To change the tasks due then, say for example “move \(phrase)'s tasks to friday”."
                )
            }
            return .missing("I couldn't find a task matching “\(Self.clip(reference))”. Say “list tasks” to see them.")
        }
        let top = scored.filter { $0.score == best }.map(\.task)
        // Among equals, the task this conversation is about ("add water the plants", then "move the plants task to
        // 8am") is the one meant.
        if top.count > 1, let focus = turn.focus, let focused = top.first(where: { $0.id == focus }) { return .task(focused) }
        return top.count == 1 ? .task(top[0]) : .ambiguous(top)
    }

    /// A reference without its article and the words that only say it is a task: "the report task" → "report".
    static func referencePhrase(_ reference: String) -> String {
        var phrase = reference.lowercased().trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        for article in ["the ", "my ", "our "] where phrase.hasPrefix(article) { phrase.removeFirst(article.count) }
        for suffix in [" task", " todo", " one"] where phrase.hasSuffix(suffix) && phrase.count > suffix.count { phrase.removeLast(suffix.count) }
        return phrase
    }

    /// The words of a text, lowercased, without the punctuation and spaces between them.
    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// The words of a phrase that can name a task (no articles, no "task").
    static func significantWords(_ phrase: String) -> [String] { words(phrase).filter { !stopwords.contains($0) } }

    /// Whether every word is a word of the title or, from three letters on, the start of one.
    static func title(_ title: String, contains words: [String]) -> Bool {
        let titleWords = Self.words(title)
        return words.allSatisfy { word in titleWords.contains { $0 == word || ($0.hasPrefix(word) && word.count >= 3) } }
    }

    /// A row of the last list shown: "the second one", "the last one", "#2", "number 2", "row 2".
    enum RowReference: Equatable {
        /// Counted from 1.
        case row(Int)
        case last
    }

    /// "first" to "tenth" (quick add's words for days of the month) and "1st" to "10th".
    static let ordinalWords: [String: Int] = QuickAddParser.dayOrdinals.merging(
        ["1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10]
    ) { kept, _ in kept }

    /// The row a reference names, if it names one. "number 12" is a row only when the last list has that many; "#12"
    /// is always task 12 (the lists show ids, and a row read from it changed the wrong task). "the last one" without a
    /// list is the task last acted on.
    static func rowReference(_ reference: String, rows: [Int64]) -> RowReference? {
        var phrase = reference.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        while let last = phrase.last, ".!?,".contains(last) { phrase.removeLast() }
        for article in ["the ", "row "] where phrase.hasPrefix(article) {
            if article == "row ", let number = Int(phrase.dropFirst(article.count)), number > 0 { return .row(number) }
            phrase.removeFirst(article.count)
        }
        // "#12" is task 12, as the lists show ids; "number 2" is a row of the last list when it has that many.
        for marker in ["number ", "no. ", "nr. ", "nr "] where phrase.hasPrefix(marker) {
            guard let number = Int(phrase.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)), number > 0 else { return nil }
            return number <= rows.count ? .row(number) : nil
        }
        for suffix in [" one", " task", " item", " row", " on the list", " in the list"] where phrase.hasSuffix(suffix) {
            phrase.removeLast(suffix.count)
        }
        if phrase == "last" { return rows.isEmpty ? nil : .last }
        return ordinalWords[phrase].map { .row($0) }
    }

    /// The pending occurrence of the series of a completed task, if there is one.
    func pendingOccurrence(after task: TaskItem, context: ToolContext) async -> TaskItem? {
        let series = task.seriesID ?? task.id
        var query = TaskQuery(filter: TaskFilter(status: .pending), sort: [TaskSort(.updatedAt, descending: true)], limit: TaskQuery.maxLimit)
        // Occurrences share their title (unless one was renamed): its words narrow the search.
        if !Self.words(task.title).isEmpty { query.filter.text = task.title }
        // The recurring worker makes it just after the completion: one completed a moment ago is given a second.
        let recent = task.completedAt.map { context.now.timeIntervalSince($0) < 10 } ?? false
        for attempt in 0..<(recent ? 10 : 1) {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(100)) }
            let items = (try? await context.tasks.list(query, userID: context.user.id, now: context.now).items) ?? []
            if let next = items.first(where: { ($0.seriesID ?? $0.id) == series && $0.occurrence > task.occurrence }) { return next }
        }
        return nil
    }

    private func lookup(_ id: Int64, context: ToolContext) async -> Resolution {
        do {
            return .task(try await context.tasks.get(id: id, userID: context.user.id, now: context.now))
        } catch {
            return .missing("I couldn't find task \(id). Say “list tasks” to see your tasks and their ids.")
        }
    }

    /// Resolves the reference and runs `body` on the task, or explains what is missing.
    func act(
        on reference: String,
        prefer status: TaskStatus?,
        favoring: ((TaskItem) -> Bool)? = nil,
        turn: inout Turn,
        _ body: (TaskItem, inout Turn) async -> AssistantReply
    ) async -> AssistantReply {
        await act(on: reference, resolved: await resolve(reference, prefer: status, favoring: favoring, turn: turn), turn: &turn, body)
    }

    /// Runs `body` on the task a reference was resolved to, or explains what is missing or ambiguous.
    func act(
        on reference: String,
        resolved resolution: Resolution,
        turn: inout Turn,
        _ body: (TaskItem, inout Turn) async -> AssistantReply
    ) async -> AssistantReply {
        switch resolution {
        case .task(let task):
            return await body(task, &turn)
        case .ambiguous(let tasks):
            let shown = Array(tasks.prefix(8))
            let table = Self.table(shown.map(TaskTools.listItem), zone: turn.context.user.timeZone, now: turn.context.now)
            // The answer ("task 37", "37", "the second one", a word of one title) finishes this very message.
            let ids = shown.map(\.id)
            let question: JSONValue = .object(["message": .string(turn.message), "ids": .array(ids.map { .number(Double($0)) })])
            return turn.reply(
                "Several tasks match “\(Self.clip(reference))”. Which one do you mean? Answer with its id, e.g. “task \(tasks[0].id)”.\n\n\(table)",
                focus: nil,
                rows: ids,
                question: question
            )
        case .missing(let message):
            return turn.reply(message)
        }
    }

    // MARK: - Reading sentences

    /// The text without courtesy words and trailing punctuation.
    static func normalize(_ message: String) -> String {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        text = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        var changed = true
        while changed {
            changed = false
            // Openers of a follow-up ("actually make it 10am", "oh and tag it work", "sorry, I meant friday") say nothing
            // about what to do; "no" and "wait" are kept (an answer, a task to wait for).
            for prefix in [
                "please ", "pls ", "can you ", "could you ", "would you ", "will you ", "hey assistant, ", "ok ", "okay ", "now ", "also ", "and ",
                "plus ",
                "actually ", "actually, ", "oh ", "oh, ", "oops ", "oops, ", "sorry, ", "wait, ", "hmm ", "hmm, ", "um ", "um, ", "so ", "then ",
                // "Thanks! What's on my plate this week?": the thanks opens a question (alone, it is answered as thanks).
                "thanks! ", "thanks, ", "thanks. ", "thank you! ", "thank you, ", "thank you. ",
            ]
            where text.lowercased().hasPrefix(prefix) && text.count > prefix.count {
                text.removeFirst(prefix.count)
                changed = true
            }
            for suffix in [" please", " for me", " thanks", " thank you"] where text.lowercased().hasSuffix(suffix) && text.count > suffix.count {
                text.removeLast(suffix.count)
                changed = true
            }
            while let last = text.last, ".!?".contains(last), text.count > 1 {
                text.removeLast()
                changed = true
            }
        }
        // "ping me 2 hours before", "nudge me at 9am": as "remind me".
        for synonym in ["ping me ", "nudge me ", "alert me "] where text.lowercased().hasPrefix(synonym) {
            text = "remind me " + text.dropFirst(synonym.count)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The first capture group of the first matching pattern, taken from the original text (keeps capitals).
    static func capture(_ lower: String, _ original: String, _ patterns: [String]) -> String? {
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
                let match = regex.firstMatch(in: original, range: NSRange(original.startIndex..., in: original)), match.numberOfRanges > 1,
                let range = Range(match.range(at: 1), in: original)
            else { continue }
            let value = String(original[range]).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// The first two capture groups of the first matching pattern.
    static func captures(_ lower: String, _ original: String, _ patterns: [String]) -> (String, String)? {
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
                let match = regex.firstMatch(in: original, range: NSRange(original.startIndex..., in: original)), match.numberOfRanges > 2,
                let first = Range(match.range(at: 1), in: original), let second = Range(match.range(at: 2), in: original)
            else { continue }
            let values = (String(original[first]).trimmingCharacters(in: .whitespaces), String(original[second]).trimmingCharacters(in: .whitespaces))
            if !values.0.isEmpty && !values.1.isEmpty { return values }
        }
        return nil
    }

    /// A phrase split into what comes before its longest ending that says only when ("the expense report friday at
    /// 9am" → "the expense report", "friday at 9am"); nil when no ending does.
    static func splitTrailingWhen(_ phrase: String, parser: QuickAddParser) -> (String, String)? {
        let words = phrase.split(separator: " ")
        for start in words.indices.dropFirst() {
            let when = words[start...].joined(separator: " ")
            let parsed = parser.parse(when)
            if parsed.title.isEmpty, parsed.dueAt != nil, parsed.recurrence == nil {
                return (words[..<start].joined(separator: " "), when)
            }
        }
        return nil
    }

    /// Whether the whole text matches a pattern (any case).
    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// Minutes in "2 days", "an hour", "30 min", "1 week"; nil for anything else.
    static func duration(_ text: String) -> Int? {
        let numbers = QuickAddParser.numberWords
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let digits = String(lower.prefix { $0.isNumber })
        let rest = lower.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let parts = rest.split(separator: " ").map(String.init)
        let (count, unitWord): (Int?, String?) = digits.isEmpty ? (numbers[parts.first ?? ""], parts.dropFirst().first) : (Int(digits), parts.first)
        guard let count, count > 0, count < 10_000, let unit = QuickAddParser.minutes(unit: unitWord) else { return nil }
        return count * unit
    }

    // MARK: - Writing replies

    /// A Markdown table of list_tasks items.
    static func table(_ items: [JSONValue], zone: TimeZone, now: Date) -> String {
        var lines = ["| ID | Task | Due | Priority | Tags |", "|---:|---|---|---|---|"]
        for item in items {
            let id = item["id"]?.int64Value.map(String.init) ?? "?"
            var title = escape(item["title"]?.stringValue ?? "")
            if item["completed"] == .bool(true) { title = "~~\(title)~~" }
            var due = "—"
            if let text = item["due_at"]?.stringValue, let date = Timestamp.parse(text, timeZone: zone)?.date {
                let calendar = Calendar.taskpilot(zone)
                let allDay = calendar.component(.hour, from: date) == 0 && calendar.component(.minute, from: date) == 0
                due = formatDue(date, allDay: allDay, zone: zone, now: now)
                if item["completed"] != .bool(true), date < now && !allDay || allDay && date.addingTimeInterval(86_400) <= now {
                    due += " ⚠️ overdue"
                }
            }
            let priority = item["priority"]?.stringValue.flatMap { $0 == "none" ? nil : $0 } ?? "—"
            let tags = (item["tags"]?.arrayValue ?? []).compactMap(\.stringValue).map { "#" + $0 }.joined(separator: " ")
            lines.append("| \(id) | \(title) | \(due) | \(priority) | \(tags.isEmpty ? "—" : tags) |")
        }
        return lines.joined(separator: "\n")
    }

    /// "today 17:00", "tomorrow", "Tue 1 Dec 09:00", "1 Dec 2027".
    static func formatDue(_ date: Date, allDay: Bool, zone: TimeZone, now: Date) -> String {
        Timestamp.describe(date, allDay: allDay, timeZone: zone, now: now)
    }

    /// "due tomorrow 17:00, repeats every week on Monday, priority high, #home".
    static func describe(_ task: TaskItem, zone: TimeZone, now: Date) -> String {
        var parts: [String] = []
        if let due = task.dueAt { parts.append("due " + formatDue(due, allDay: task.allDay, zone: zone, now: now)) }
        if let rule = task.recurrence { parts.append("repeats " + rule.text(timeZone: zone, due: task.dueAt)) }
        if task.priority != .none { parts.append("priority \(task.priority.rawValue)") }
        if !task.tags.isEmpty { parts.append(task.tags.map { "#" + $0 }.joined(separator: " ")) }
        if !task.reminders.isEmpty {
            parts.append("\(plural(task.reminders.count, "reminder"))")
        }
        return parts.joined(separator: ", ")
    }

    /// "**Pay rent** (task 12) — pending, due tomorrow 09:00, priority high, #home." and the description below.
    static func details(_ task: TaskItem, zone: TimeZone, now: Date) -> String {
        let described = describe(task, zone: zone, now: now)
        let status = task.status == .completed ? "completed" : "pending"
        var text = "**\(escape(task.title))** (task \(task.id)) — \(status)\(described.isEmpty ? "" : ", " + described)."
        let notes = task.description.trimmingCharacters(in: .whitespacesAndNewlines)
        if !notes.isEmpty { text += "\n\n" + notes }
        return text
    }

    static func localDate(_ date: Date, _ zone: TimeZone) -> String { Timestamp.formatDay(date, timeZone: zone) }

    // MARK: - Reading dates

    /// The start of the day a phrase names ("friday", "dec 24", "next tuesday"), read by the quick-add parser;
    /// nil when it names none or a repetition.
    static func namedDay(in text: String, zone: TimeZone, now: Date) -> Date? {
        let parsed = QuickAddParser(now: now, timeZone: zone).parse(text)
        guard let due = parsed.dueAt, parsed.recurrence == nil else { return nil }
        return Calendar.taskpilot(zone).startOfDay(for: due)
    }

    /// Markdown-safe text for a table cell or bold span.
    static func escape(_ text: String) -> String {
        // What gives text a meaning inside a line (the backslash itself, code, emphasis, table cells, strike-through, and
        // the brackets of links and images): a title is shown as typed, never as a link or an image.
        var escaped = ""
        for character in text {
            if "\\`*_|~[]".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    static func clip(_ text: String) -> String { text.count > 80 ? String(text.prefix(77)) + "…" : text }

    /// The Monday that starts `now`'s week (weeks start on Monday), `weeks` weeks later, at midnight in the zone: this
    /// week is `0..<1`, next week `1..<2`, last week `-1..<0`.
    static func weekStart(_ weeks: Int, zone: TimeZone, now: Date) -> Date {
        let calendar = Calendar.taskpilot(zone)
        let weekday = Weekday(calendarWeekday: calendar.component(.weekday, from: now)).rawValue
        return calendar.date(byAdding: .day, value: 7 * weeks + 1 - weekday, to: calendar.startOfDay(for: now))!
    }

    /// Names of lists that are every task, not a list of their own: "add it to my to-do list" tags nothing.
    static let genericListNames: Set<String> = [
        "to-do", "todo", "to-dos", "todos", "task", "tasks", "to-do-list", "whole", "full", "entire",
    ]

    /// "a", "a and b", "a, b and c".
    static func listed(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.joined() }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }

    static func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    static func verbPast(_ action: String) -> String {
        switch action {
        case "delete": "deleted"
        case "complete": "completed"
        default: "reopened"
        }
    }
}

extension OfflineInterpreter {
    /// A tool's error as a person reads it in the chat: without the argument-speak meant for agents ("Invalid
    /// arguments: reminders relative to the due date need a due date (due_at)" is "I couldn't do that: reminders
    /// relative to the due date need a due date. Nothing was changed.").
    static func plain(_ message: String) -> String {
        var text = message
        for prefix in ["Invalid arguments: ", "Invalid argument "] where text.hasPrefix(prefix) {
            text.removeFirst(prefix.count)
            if prefix == "Invalid argument ", let colon = text.range(of: ": ") { text = String(text[colon.upperBound...]) }
            text = "I couldn't do that: " + text.replacingOccurrences(of: " (due_at)", with: "")
            if !text.hasSuffix(".") { text += "." }
            return text + " Nothing was changed."
        }
        return text
    }
}

extension OfflineInterpreter {
    /// At most this many tasks are shown for one "yes" of a bulk change ("delete all my tasks").
    static let bulkConfirmationLimit = 2_000
    /// At most this many tasks are moved or changed for one "yes" (each is a change of its own).
    static let bulkChangeLimit = 500
}

extension Array {
    /// The array cut into consecutive pieces of `size` elements (the last may be shorter).
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
