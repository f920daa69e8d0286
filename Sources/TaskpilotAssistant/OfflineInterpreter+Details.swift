import Foundation
import TaskpilotCore

extension OfflineInterpreter {
    /// Questions about one task by name: "when is the dentist?" (or "what time is …"), "is the report done?", "what's
    /// the report about?", "show the report". A "show" that names no task of the user's is left to `list` ("show the
    /// overdue ones").
    func aboutTask(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let listWords =
            #"\b(?:tasks|todos|to-dos|everything|all|anything|something|overdue|due|tagged|completed|finished|pending|open|today|tomorrow|tonight|week|month|priority|urgent|important|list|next)\b"#
        let bare = lower.replacingOccurrences(of: "?", with: "")
        let whenQuestions = [
            // "when is the rent due now?", "whens my next team standup".
            #"^(?:when|what\s+time|what\s+day|which\s+day)(?:'s|’s|s|\s+is)\s+(?:the\s+|my\s+)?(?:next\s+)?(.+?)(?:\s+next)?(?:\s+due)?(?:\s+(?:now|again|then))?\??$"#,
            #"^(?:what's|whats|what\s+is)\s+(?:the\s+|my\s+)next\s+(.+?)\??$"#,
        ]
        if let said = Self.capture(
            bare,
            text,
            [#"^when\s+did\s+i\s+(?:last\s+)?(?:complete|finish|do|mark\s+off)\s+(?:the\s+|my\s+)?(.+?)(?:\s+last)?$"#]
        ),
            !Self.matches(said, listWords)
        {
            // "when did I last complete the team sync?": the latest completion of a task by that name (a repeating task
            // leaves one completed task per occurrence).
            var resolution = await resolve(said, prefer: .completed, turn: turn)
            if case .ambiguous(let tasks) = resolution,
                let latest = tasks.filter({ $0.completedAt != nil }).max(by: { $0.completedAt! < $1.completedAt! })
            {
                resolution = .task(latest)
            }
            return await act(on: said, resolved: resolution, turn: &turn) { task, turn in
                let title = Self.escape(task.title)
                guard task.status == .completed, let done = task.completedAt else {
                    return turn.reply("**\(title)** is not completed yet.", focus: [task.id])
                }
                let when = Self.formatDue(done, allDay: false, zone: turn.context.user.timeZone, now: turn.context.now)
                return turn.reply("You completed **\(title)** \(when).", focus: [task.id])
            }
        }
        // "what time is it?" asks the clock, not a task.
        if let said = Self.capture(bare, text, whenQuestions), !Self.matches(said, listWords), !bare.hasPrefix("what time is it") {
            return await act(on: said, prefer: .pending, turn: &turn) { task, turn in
                let zone = turn.context.user.timeZone
                let title = Self.escape(task.title)
                guard let due = task.dueAt else { return turn.reply("**\(title)** has no due date.", focus: [task.id]) }
                let when = Self.formatDue(due, allDay: task.allDay, zone: zone, now: turn.context.now)
                let repeats = task.recurrence.map { ", and repeats " + $0.text(timeZone: zone, due: due) } ?? ""
                let done = task.status == .completed ? " (completed)" : ""
                return turn.reply("**\(title)** is due \(when)\(repeats)\(done).", focus: [task.id])
            }
        }
        if let said = Self.capture(
            bare,
            text,
            [
                #"^(?:is|are|was|have\s+i\s+(?:done|finished|completed)|did\s+i\s+\w+)\s+(?:the\s+|my\s+)?(.+?)(?:\s+(?:done|finished|complete|completed|ticked\s+off|yet))?\??$"#
            ]
        ),
            Self.matches(bare, #"^(?:have|did)\s+i\s+|\s(?:done|finished|complete|completed|ticked\s+off)\??$"#), !Self.matches(said, listWords)
        {
            return await act(on: said, prefer: nil, turn: &turn) { task, turn in
                let title = Self.escape(task.title)
                guard task.status == .completed else {
                    let due =
                        task.dueAt.map { ", due " + Self.formatDue($0, allDay: task.allDay, zone: turn.context.user.timeZone, now: turn.context.now) }
                        ?? ""
                    return turn.reply("No, **\(title)** is still to do\(due).", focus: [task.id])
                }
                let when =
                    task.completedAt.map { " " + Self.formatDue($0, allDay: false, zone: turn.context.user.timeZone, now: turn.context.now) } ?? ""
                return turn.reply("Yes, **\(title)** was completed\(when).", focus: [task.id])
            }
        }
        // "how often does the recycling repeat?", "does the gym repeat?", "is the standup recurring?"
        let repeatQuestion = [
            #"^how\s+often\s+(?:does|do|will)\s+(?:the\s+|my\s+)?(.+?)\s+(?:repeat|recur|come\s+(?:up|round|around)|happen)$"#,
            #"^how\s+often\s+is\s+(?:the\s+|my\s+)?(.+?)(?:\s+due)?$"#,
            #"^(?:does|do)\s+(?:the\s+|my\s+)?(.+?)\s+(?:repeat|recur)$"#,
            #"^is\s+(?:the\s+|my\s+)?(.+?)\s+(?:recurring|repeating|a\s+recurring\s+task|a\s+repeating\s+task)$"#,
        ]
        if let said = Self.capture(bare, text, repeatQuestion), !Self.matches(said, listWords) {
            return await act(on: said, prefer: .pending, turn: &turn) { task, turn in
                let zone = turn.context.user.timeZone
                let title = Self.escape(task.title)
                let due = task.dueAt.map { Self.formatDue($0, allDay: task.allDay, zone: zone, now: turn.context.now) }
                guard let rule = task.recurrence else {
                    return turn.reply("**\(title)** doesn't repeat\(due.map { "; it is due " + $0 } ?? "").", focus: [task.id])
                }
                let next = due.map { "; the next one is due " + $0 } ?? ""
                return turn.reply("**\(title)** repeats \(rule.text(timeZone: zone, due: task.dueAt))\(next).", focus: [task.id])
            }
        }
        let priorityQuestion = [
            #"^(?:what's|whats|what\s+is)\s+(?:the\s+)?priority\s+(?:of|on|for)\s+(?:the\s+|my\s+)?(.+)$"#,
            #"^(?:how\s+important\s+is|what\s+priority\s+(?:is|does))\s+(?:the\s+|my\s+)?(.+?)(?:\s+have)?$"#,
        ]
        if let said = Self.capture(bare, text, priorityQuestion), !Self.matches(said, listWords) {
            return await act(on: said, prefer: nil, turn: &turn) { task, turn in
                let title = Self.escape(task.title)
                guard task.priority != .none else {
                    return turn.reply("**\(title)** has no priority set. Say “make it high priority” to set one.", focus: [task.id])
                }
                return turn.reply("**\(title)** is **\(task.priority.rawValue)** priority.", focus: [task.id])
            }
        }
        let asking = [
            #"^(?:what's|whats|what\s+is)\s+(?:the\s+|my\s+)?(.+?)\s+about\??$"#,
            // "what are the tags on the report?": the task in full answers it.
            #"^(?:what's|whats|what\s+is|what\s+are)\s+(?:the\s+)?(?:tags|reminders|description|notes?|status|details)\s+(?:of|on|for)\s+(?:the\s+|my\s+)?(.+)$"#,
            #"^(?:tell\s+me\s+(?:more\s+)?about|details\s+(?:of|for|on|about))\s+(?:the\s+|my\s+)?(.+)$"#,
        ]
        if let said = Self.capture(bare, text, asking), !Self.matches(said, listWords) {
            return await act(on: said, prefer: nil, turn: &turn) { task, turn in
                turn.reply(Self.details(task, zone: turn.context.user.timeZone, now: turn.context.now), focus: [task.id])
            }
        }
        // "show the report": only a task that is there; anything else may be a list.
        if let said = Self.capture(bare, text, [#"^(?:show|display|view|open)\s+(?:me\s+)?(?:the\s+|my\s+)(.+)$"#]), !Self.matches(said, listWords) {
            let resolution = await resolve(said, prefer: nil, turn: turn)
            if case .missing = resolution { return nil }
            return await act(on: said, resolved: resolution, turn: &turn) { task, turn in
                turn.reply(Self.details(task, zone: turn.context.user.timeZone, now: turn.context.now), focus: [task.id])
            }
        }
        return nil
    }

    /// "skip this week's team sync", "skip the standup today": a repeating task's occurrence is done with, without doing
    /// it (completed, so the next one comes); a task that does not repeat has nothing to skip.
    func skipping(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let pattern =
            #"^skip\s+(?:this\s+week(?:'s|’s)\s+|today(?:'s|’s)\s+|tomorrow(?:'s|’s)\s+|this\s+|the\s+next\s+|next\s+|the\s+)?(.+?)(?:\s+(?:today|tomorrow|this\s+week|this\s+time|for\s+now))?$"#
        guard let said = Self.capture(lower, text, [pattern]) else { return nil }
        let repeating: (TaskItem) -> Bool = { $0.recurrence != nil && $0.status == .pending }
        return await act(on: said, prefer: .pending, favoring: repeating, turn: &turn) { task, turn in
            let title = Self.escape(task.title)
            guard task.recurrence != nil, task.status == .pending else {
                return turn.reply(
                    "**\(title)** does not repeat, so there is nothing to skip. Say “move it to friday” or “delete it”.",
                    focus: [task.id]
                )
            }
            switch await turn.run("complete_task", ["task_id": .number(Double(task.id))]) {
            case .success:
                let following = Self.nextOccurrence(of: task, turn: turn).map { "the next one is due " + $0 } ?? "that was the last one of the series"
                // "it" stays the series: a change said next goes to the occurrence still to do (see `resolve`).
                return turn.reply("Skipped this **\(title)** (marked done); \(following).", focus: [task.id])
            case .failure(let error): return turn.reply(error.message)
            }
        }
    }

    /// When the occurrence after `task` (a repeating task completed now) is due, as the reply says it; nil when the
    /// task does not repeat or its series ends with it. The recurring worker makes that occurrence a moment later; the
    /// rule says now when it will be due.
    static func nextOccurrence(of task: TaskItem, turn: Turn) -> String? {
        let zone = turn.context.user.timeZone
        let now = turn.context.now
        guard let due = task.dueAt,
            let next = task.recurrence?.nextDue(previousDue: due, completedAt: now, occurrence: task.occurrence, timeZone: zone)
        else { return nil }
        return formatDue(next, allDay: task.allDay, zone: zone, now: now)
    }

    /// "add a note to the report: include Q3", "change the description of the report to …", "describe the report as …".
    func describing(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let replacing = [
            #"^(?:change|set|update|replace)\s+(?:the\s+)?(?:description|notes?|details)\s+(?:of|for|on)\s+(.+?)\s+(?:to|with)\s*:?\s+(.+)$"#,
            #"^describe\s+(.+?)\s+as\s+(.+)$"#,
            #"^give\s+(.+?)\s+(?:a|the)\s+description\s*(?::|\s-|\s–|\s—|\sof|\ssaying|\sthat\s+says)\s*(.+)$"#,
        ]
        let appending = [
            #"^(?:add|append|attach|put)\s+(?:a\s+|the\s+|this\s+)?(?:note|comment|description|details?)\s+(?:to|on|for)\s+(.+?)\s*(?::|\s-|\s–|\s—|\ssaying|\sthat\s+says)\s*(.+)$"#,
            #"^note\s+(?:on|for|to)\s+(.+?)\s*:\s*(.+)$"#,
            #"^give\s+(.+?)\s+(?:a|the)\s+(?:note|comment)\s*(?::|\s-|\s–|\s—|\ssaying|\sthat\s+says)\s*(.+)$"#,
        ]
        let append: Bool
        let reference: String
        let said: String
        // Said of no task ("add a note: bring the card", "change the description to …"): the task in focus.
        let ofFocus = [
            #"^(?:change|set|update|replace)\s+(?:the\s+|its\s+)?(?:description|notes?|details)\s+(?:to|with)\s*:?\s+(.+)$"#,
            #"^(?:add|append|attach|put)\s+(?:a\s+|the\s+|this\s+)?(?:note|comment|description|details?)\s*(?::|\s-|\s–|\s—|\ssaying|\sthat\s+says)\s*(.+)$"#,
        ]
        if let (first, second) = Self.captures(lower, text, replacing) {
            (append, reference, said) = (false, first, second)
        } else if let (first, second) = Self.captures(lower, text, appending) {
            (append, reference, said) = (true, first, second)
        } else if let first = Self.capture(lower, text, [ofFocus[0]]) {
            (append, reference, said) = (false, "it", first)
        } else if let first = Self.capture(lower, text, [ofFocus[1]]) {
            (append, reference, said) = (true, "it", first)
        } else {
            return nil
        }
        let quotes = CharacterSet(charactersIn: "\"'“”‘’ ")
        var note = said.trimmingCharacters(in: quotes)
        // The note as typed to its end: the courtesy words and punctuation taken off the message are part of it (a
        // quoted note is the text in its quotes).
        // Found across the line breaks and runs of spaces the message lost when it was read ("line1\nline2").
        let spaced = note.split(whereSeparator: \.isWhitespace).map { NSRegularExpression.escapedPattern(for: String($0)) }
            .joined(separator: #"\s+"#)
        if !note.isEmpty, said.first.map({ !"\"'“‘".contains($0) }) ?? false,
            let start = turn.typed.range(of: note, options: .backwards)?.lowerBound
                ?? turn.typed.range(of: spaced, options: [.backwards, .regularExpression, .caseInsensitive])?.lowerBound
        {
            note = String(turn.typed[start...]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !note.isEmpty else { return turn.reply("What should the note say? For example: “add a note to the report: include Q3”.") }
        return await act(on: reference, prefer: nil, turn: &turn) { task, turn in
            let current = task.description.trimmingCharacters(in: .whitespacesAndNewlines)
            let description = append && !current.isEmpty ? current + "\n" + note : note
            switch await turn.run("update_task", ["task_id": .number(Double(task.id)), "description": .string(description)]) {
            case .success:
                let done = append ? "Added the note to" : "Updated the description of"
                return turn.reply("\(done) **\(Self.escape(task.title))**.", focus: [task.id])
            case .failure(let error): return turn.reply(error.message)
            }
        }
    }

    /// "make the dentist repeat every 6 months", "the standup repeats every weekday", "repeat it every monday", "change
    /// the trash to every monday": a task gets a repetition (and, without a due date, the rule's first day as one).
    func repeating(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        // "make it every two weeks instead", "make it weekly again": the same change, said as a correction.
        var (text, lower) = (text, lower)
        for ending in [" instead please", " instead", " again"] where lower.hasSuffix(ending) && lower.count > ending.count {
            (text, lower) = (String(text.dropLast(ending.count)), String(lower.dropLast(ending.count)))
            break
        }
        let rule = #"((?:every!?|each)\s+.+|daily|weekly|monthly|yearly|annually|every\s+day|every\s+week)"#
        let patterns = [
            #"^(?:make|set)\s+(.+?)\s+(?:to\s+)?(?:a\s+recurring\s+task|recurring|repeating|repeat|recur)\s+"# + rule + "$",
            #"^(.+?)\s+(?:repeats|recurs|should\s+repeat|should\s+recur|needs\s+to\s+repeat)\s+"# + rule + "$",
            #"^repeat\s+(.+?)\s+"# + rule + "$",
            // "change the trash to every monday", "switch the standup to weekly".
            #"^(?:change|switch|move|set)\s+(.+?)\s+to\s+(?:repeat\s+|recur\s+)?"# + rule + "$",
        ]
        // "change it to every wednesday", "make it weekly", "change the repetition to every 2 weeks": the task in focus.
        let ofFocus = [
            #"^(?:change|switch|make|set|have)\s+(?:it|that|this)\s+(?:to\s+)?(?:repeat\s+|recur\s+)?"# + rule + "$",
            #"^(?:change|set|update|switch)\s+(?:the\s+|its\s+)?(?:recurrence|repetition|repeat|schedule)\s+to\s+"# + rule + "$",
        ]
        guard let (reference, said) = Self.capture(lower, text, ofFocus).map({ ("it", $0) }) ?? Self.captures(lower, text, patterns) else {
            return nil
        }
        let zone = turn.context.user.timeZone
        let parsed = QuickAddParser(now: turn.context.now, timeZone: zone).parse(said)
        guard parsed.recurrence != nil, parsed.title.isEmpty else {
            return turn.reply(
                "I couldn't read “\(Self.clip(said))” as a repetition. Try “every monday”, “every 2 weeks” or “every month on the 1st”."
            )
        }
        return await act(on: reference, prefer: .pending, turn: &turn) { task, turn in
            // The rule is read from the task's due date: "every 6 months" of a task due on the 4th is on the 4th.
            let fromDue = task.dueAt.map { QuickAddParser(now: $0, timeZone: zone).parse(said) }
            let anchored = fromDue?.recurrence ?? parsed.recurrence
            var arguments: [String: JSONValue] = ["task_id": .number(Double(task.id)), "recurrence": anchored?.requestJSON ?? .string(said)]
            // A time said with the rule ("every saturday at 5pm") is the task's time from now on.
            let calendar = Calendar.taskpilot(zone)
            let clock = parsed.allDay ? nil : parsed.dueAt.map { calendar.dateComponents([.hour, .minute], from: $0) }
            if task.dueAt == nil, let first = parsed.dueAt {
                arguments["due"] = .string(parsed.allDay ? Self.localDate(first, zone) : Timestamp.format(first))
            } else if let due = task.dueAt {
                // "change it to every wednesday" (or "every 3rd friday", "every 4th thursday of november") of a task due
                // on a Tuesday: due on the first of its days from then on, at the same time (or the time said).
                let start = fromDue?.seriesStart(from: due, timeZone: zone) ?? due
                var moved = start
                if let clock, let hour = clock.hour, let minute = clock.minute {
                    moved = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: start) ?? start
                    // A time already past on that day: the rule's first day at that time from now on.
                    if moved <= turn.context.now, let first = parsed.dueAt { moved = first }
                }
                if moved != due {
                    arguments["due"] = .string(task.allDay && clock == nil ? Self.localDate(moved, zone) : Timestamp.format(moved))
                }
            }
            switch await turn.run("update_task", arguments) {
            case .success:
                let updated = try? await turn.context.tasks.get(id: task.id, userID: turn.context.user.id, now: turn.context.now)
                let words = updated?.recurrence.map { $0.text(timeZone: zone, due: updated?.dueAt) } ?? said
                let due =
                    updated?.dueAt.map { "; next due " + Self.formatDue($0, allDay: updated?.allDay ?? false, zone: zone, now: turn.context.now) }
                    ?? ""
                return turn.reply("**\(Self.escape(task.title))** now repeats \(words)\(due).", focus: [task.id])
            case .failure(let error): return turn.reply(error.message)
            }
        }
    }

    /// Lists said to have no due date or no tags ("tasks without a due date", "untagged tasks"), to repeat or not
    /// ("recurring tasks", "one-off tasks"): the list_tasks arguments with their values, and their words.
    static func shapeFilters(_ lower: String) -> [(argument: String, value: Bool, words: String)] {
        let padded = " " + lower.replacingOccurrences(of: "?", with: "") + " "
        let undated = [
            " without a due date ", " without due date ", " without due dates ", " with no due date ", " no due date ", " undated ",
            " unscheduled ", " without a date ", " with no date ", " no deadline ", " without a deadline ",
        ]
        let untagged = [" without tags ", " without a tag ", " with no tags ", " with no tag ", " no tags ", " untagged ", " without any tags "]
        let oneOff = [
            " one-off ", " one off ", " non-recurring ", " non-repeating ", " nonrecurring ", " that don't repeat ", " that do not repeat ",
            " that don't recur ", " that aren't recurring ", " that are not recurring ", " not recurring ", " not repeating ",
            " tasks don't repeat ", " tasks do not repeat ", " tasks don't recur ",
        ]
        let repeating = [
            " recurring ", " repeating ", " that repeat ", " which repeat ", " that recur ", " recurrent ", " repeat tasks ", " tasks repeat ",
            " tasks recur ", " what repeats ", " what recurs ", " what's repeating ", " anything repeating ", " ones repeat ",
        ]
        var filters: [(argument: String, value: Bool, words: String)] = []
        if undated.contains(where: padded.contains) { filters.append(("has_due", false, "without a due date")) }
        if untagged.contains(where: padded.contains) { filters.append(("tagged", false, "without tags")) }
        if oneOff.contains(where: padded.contains) {
            filters.append(("repeating", false, "one-off"))
        } else if repeating.contains(where: padded.contains) {
            filters.append(("repeating", true, "repeating"))
        }
        return filters
    }
}

extension OfflineInterpreter {
    /// A reminder told by the due day of the task in focus (or "it"): "remind me the day before" (a day before its due
    /// time), "the week before", "the night before" (20:00 the day before), "the evening before" (18:00), "the morning
    /// of" or "on the day" (9:00 on its day), "at 8am on the day", "the day before at 6pm".
    func dueDayReminder(_ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let time = #"at\s+[0-9][0-9:.]*\s*(?:[ap]\.?m\.?)?|noon|midday"#
        let pattern =
            #"^(?:remind\s+me|(?:set|add|create)\s+(?:a\s+|the\s+)?reminder)(?:\s+(?:about|of|for)\s+it)?(?:\s+("#
            + time + #"))?\s+(?:the\s+(day|night|evening|morning|week)\s+(before|of)|on\s+the\s+(day))(?:\s+("#
            + time + #"))?[.!]?$"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
            let match = regex.firstMatch(in: lower, range: NSRange(lower.startIndex..., in: lower))
        else { return nil }
        func group(_ index: Int) -> String? { Range(match.range(at: index), in: lower).map { String(lower[$0]) } }
        let said = group(1) ?? group(5)
        let part = group(2) ?? group(4) ?? "day"
        let before = group(3) == "before"
        guard before || part != "night" && part != "evening" && part != "week" else { return nil }
        // The day before and the week before, without a time, count back from the due time.
        let offset: Int? = said == nil && before && (part == "day" || part == "week") ? (part == "day" ? 1440 : 10_080) : nil
        let shift = before ? (part == "week" ? -7 : -1) : 0
        let clock = said ?? ["night": "8pm", "evening": "6pm"][part] ?? "9am"
        let zone = turn.context.user.timeZone
        let parser = QuickAddParser(now: turn.context.now, timeZone: zone)
        return await act(on: "it", prefer: .pending, turn: &turn) { task, turn in
            guard let due = task.dueAt else {
                return turn.reply(
                    "**\(Self.escape(task.title))** has no due date, so there is no day to count from. Give it one first "
                        + "(“move it to friday”), or ask for a time (“remind me about it tomorrow at 9am”).",
                    focus: [task.id]
                )
            }
            let calendar = Calendar.taskpilot(zone)
            let fire: Date
            if let offset {
                fire = ReminderTrigger.beforeDue(minutes: offset).fireDate(dueAt: due, allDay: task.allDay, timeZone: zone) ?? due
            } else if let day = calendar.date(byAdding: .day, value: shift, to: due),
                let (time, _) = parser.movedDue(from: day, allDay: false, to: parser.parse(clock), onlyTime: true)
            {
                fire = time
            } else {
                return turn.reply("I couldn't read “\(clock)” as a time of day. Nothing was changed.", focus: [task.id])
            }
            guard fire > turn.context.now else {
                return turn.reply(
                    "That would be \(Self.formatDue(fire, allDay: false, zone: zone, now: turn.context.now)), which has passed. "
                        + "Nothing was changed. Ask for another time (“remind me about it at 3pm”).",
                    focus: [task.id]
                )
            }
            // A repeating task's reminder counts from each occurrence's due time, so that it comes round with the series.
            let counted = offset ?? Self.seriesOffset(fire, of: task, zone: zone)
            let trigger: JSONValue = counted.map { .number(Double($0)) } ?? .string(Timestamp.format(fire))
            switch await turn.run("set_reminder", ["task_id": .number(Double(task.id)), counted == nil ? "at" : "offset_minutes": trigger]) {
            case .success:
                let label = Self.formatDue(fire, allDay: false, zone: zone, now: turn.context.now)
                return turn.reply("I'll remind you about **\(Self.escape(task.title))** \(label).", focus: [task.id])
            case .failure(let error): return turn.reply(error.message)
            }
        }
    }
}

extension OfflineInterpreter {
    /// The minutes before its due time at which a reminder of a repeating task fires at `fire`; nil for a task that
    /// does not repeat (its reminder stays at that instant) or a time after the due time.
    static func seriesOffset(_ fire: Date, of task: TaskItem, zone: TimeZone) -> Int? {
        guard task.recurrence != nil, let due = task.dueAt,
            case .beforeDue(let minutes)? = ReminderTrigger.relative(firingAt: fire, dueAt: due, allDay: task.allDay, timeZone: zone)
        else { return nil }
        return minutes
    }

    /// "duplicate it", "copy the report", "make a copy of the dentist for next friday": a new pending task with the
    /// title, description, priority, tags, rule and relative reminders of one, due when it is or when said.
    func duplicating(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        guard
            var reference = Self.capture(
                lower,
                text,
                [#"^(?:duplicate|copy|clone|(?:make|create|add)\s+(?:a\s+)?(?:copy|duplicate)\s+of)\s+(.+)$"#]
            )
        else { return nil }
        let zone = turn.context.user.timeZone
        // "… for next friday": a date for the copy; "copy the plan for the offsite" names the task.
        var when: QuickAddResult?
        if let (named, words) = Self.captures(reference.lowercased(), reference, [#"^(.+?)\s+(?:for|to|on)\s+(.+)$"#]) {
            let parsed = QuickAddParser(now: turn.context.now, timeZone: zone).parse(words)
            if parsed.title.isEmpty, parsed.dueAt != nil { (reference, when) = (named, parsed) }
        }
        // "copy keys tomorrow" names no task of the user's: a task to add, for `add`.
        let resolution = await resolve(reference, prefer: nil, turn: turn)
        if case .missing = resolution, Self.rowReference(reference, rows: turn.rows) == nil, reference.lowercased() != "it" { return nil }
        return await act(on: reference, resolved: resolution, turn: &turn) { task, turn in
            var arguments: [String: JSONValue] = ["title": .string(task.title), "priority": .string(task.priority.rawValue)]
            if !task.description.isEmpty { arguments["description"] = .string(task.description) }
            if !task.tags.isEmpty { arguments["tags"] = .array(task.tags.map { .string($0) }) }
            // A day said for the copy keeps the original's time of day ("copy it for next friday" of a task at 18:00).
            let moved = when.flatMap {
                QuickAddParser(now: turn.context.now, timeZone: zone).movedDue(from: task.dueAt, allDay: task.allDay, to: $0, onlyTime: false)
            }
            if let due = moved?.date ?? task.dueAt {
                let allDay = moved?.allDay ?? task.allDay
                arguments["due"] = .string(allDay ? Self.localDate(due, zone) : Timestamp.format(due))
                if let rule = task.recurrence { arguments["recurrence"] = Self.recurrenceArgument(rule) }
                let relative = task.reminders.compactMap { reminder -> JSONValue? in
                    guard case .beforeDue = reminder.trigger else { return nil }
                    return TaskTools.reminderInput(reminder.trigger)
                }
                if !relative.isEmpty { arguments["reminders"] = .array(relative) }
            }
            switch await turn.run("add_task", arguments) {
            case .success(let result):
                guard let id = result["task_id"]?.int64Value else { return turn.reply("The copy was not created.") }
                let copy = try? await turn.context.tasks.get(id: id, userID: turn.context.user.id, now: turn.context.now)
                let details = copy.map { Self.describe($0, zone: zone, now: turn.context.now) } ?? ""
                return turn.reply(
                    "Copied **\(Self.escape(task.title))** as task \(id)\(details.isEmpty ? "." : " — " + details + ".")",
                    focus: [id]
                )
            case .failure(let error): return turn.reply("I couldn't copy **\(Self.escape(task.title))**: \(error.message)")
            }
        }
    }
}
