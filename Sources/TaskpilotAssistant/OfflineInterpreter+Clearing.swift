import Foundation
import TaskpilotCore

extension OfflineInterpreter {
    /// "remove the reminders from the report", "stop reminding me about rent", "stop repeating water plants", "clear
    /// its recurrence": a task loses its reminders or its repetition (and keeps its due date).
    func clearing(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let removal = #"(?:remove|clear|delete|drop|cancel|turn\s+off|stop|disable|mute)\s+(?:all\s+)?(?:the\s+|its\s+|my\s+)?"#
        let reminders = [
            "^" + removal + #"reminders?\s+(?:of|from|on|for)\s+(.+)$"#,
            #"^(?:don't|don’t|do\s+not|stop)\s+remind(?:ing)?\s+me\s+(?:about|of)\s+(.+)$"#,
        ]
        let repetition = [
            "^" + removal + #"(?:recurrence|repetition|repeat|repeating|schedule)\s+(?:of|from|on|for)\s+(.+)$"#,
            #"^(?:stop|don't|don’t|do\s+not)\s+repeat(?:ing)?\s+(.+)$"#,
            #"^make\s+(.+?)\s+(?:not\s+repeat|a\s+one-off|one-off|one\s+off|non-recurring)$"#,
        ]
        let field: String
        let reference: String
        // "cancel the milk reminder", "turn off the rent reminders"; "cancel the reminder" is the task in focus's.
        let named = "^" + removal + #"(.+?)\s+reminders?$"#
        if let said = Self.capture(lower, text, reminders)
            ?? (Self.matches(lower, "^" + removal + #"reminders?$"#) ? "it" : Self.capture(lower, text, [named]))
        {
            (field, reference) = ("reminders", said)
        } else if let said = Self.capture(lower, text, repetition)
            ?? (Self.matches(lower, "^" + removal + #"(?:recurrence|repetition)$"#) ? "it" : nil)
        {
            (field, reference) = ("recurrence", said)
        } else {
            return nil
        }
        let applies: (TaskItem) -> Bool = field == "reminders" ? { !$0.reminders.isEmpty } : { $0.recurrence != nil }
        return await act(on: reference, prefer: nil, favoring: applies, turn: &turn) { task, turn in
            let title = Self.escape(task.title)
            if field == "reminders", task.reminders.isEmpty { return turn.reply("**\(title)** has no reminders.", focus: [task.id]) }
            if field == "recurrence", task.recurrence == nil { return turn.reply("**\(title)** does not repeat.", focus: [task.id]) }
            let value: JSONValue = field == "reminders" ? .array([]) : .null
            switch await turn.run("update_task", ["task_id": .number(Double(task.id)), field: value]) {
            case .success:
                if field == "reminders" {
                    return turn.reply(
                        "Removed \(task.reminders.count == 1 ? "the reminder" : "the \(task.reminders.count) reminders") of **\(title)**.",
                        focus: [task.id]
                    )
                }
                let due =
                    task.dueAt.map {
                        "; it stays due " + Self.formatDue($0, allDay: task.allDay, zone: turn.context.user.timeZone, now: turn.context.now)
                    } ?? ""
                return turn.reply("**\(title)** no longer repeats\(due).", focus: [task.id])
            case .failure(let error): return turn.reply(error.message)
            }
        }
    }

    /// "what tags do I have?", "list my tags", "tags": the user's tags with how many tasks carry each.
    func tagList(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let questions = [
            #"^(?:what|which)\s+(?:tags|labels)\s+(?:do\s+i\s+(?:have|use)|are\s+there|am\s+i\s+using|exist|have\s+i\s+used)\b"#,
            #"^what\s+are\s+(?:all\s+)?(?:my|the)\s+(?:tags|labels)$"#,
        ]
        guard Self.asksFor(#"(?:all\s+)?(?:tags|labels)"#, lower, or: questions) else { return nil }
        switch await turn.run("list_tags", [:]) {
        case .success(let result):
            let tags = (result.arrayValue ?? []).compactMap { item -> String? in
                guard let name = item["name"]?.stringValue else { return nil }
                return "#\(Self.escape(name)) (\(Self.plural(Int(item["count"]?.int64Value ?? 0), "task")))"
            }
            guard !tags.isEmpty else {
                return turn.reply("You have no tags yet. Tag a task with “tag the report with work”, or add one with #work.")
            }
            return turn.reply("Your \(tags.count == 1 ? "tag" : "tags"): " + tags.joined(separator: ", ") + ".")
        case .failure(let error):
            return turn.reply("I couldn't list your tags: \(error.message)")
        }
    }

    /// Whether a sentence asks to see the user's things of a kind: "list my tags", "show me all of the tags", "my
    /// tags", "tags" (`noun` is a pattern of the kind's names), or any of the `questions` patterns.
    static func asksFor(_ noun: String, _ lower: String, or questions: [String]) -> Bool {
        let requests = [
            #"^(?:list|show|display|give\s+me|get)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+)?"# + noun + "$", "^(?:my\\s+)?" + noun + "$",
        ]
        return (requests + questions).contains { matches(lower, $0) }
    }

    /// "what reminders do I have?", "show my reminders", "upcoming reminders": the reminders still to come, soonest
    /// first, with their tasks.
    func reminderList(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let questions = [
            #"^(?:what|which|any)\s+(?:upcoming\s+)?reminders\s*(?:do\s+i\s+have|are\s+(?:there|set|coming\s+up)|have\s+i\s+set|did\s+i\s+set)?\b"#,
            #"^(?:do|have)\s+i\s+(?:have|set)\s+any\s+reminders\b"#, #"^when\s+(?:will|do)\s+you\s+remind\s+me\b"#,
        ]
        guard Self.asksFor(#"(?:upcoming\s+|next\s+)?reminders"#, lower, or: questions) else { return nil }
        let context = turn.context
        let query = TaskQuery(filter: TaskFilter(status: .pending), sort: [TaskSort(.dueAt)], limit: TaskQuery.maxLimit)
        guard let tasks = try? await context.tasks.list(query, userID: context.user.id, now: context.now).items else {
            return turn.reply("I couldn't look up your reminders just now; try again in a moment.")
        }
        let upcoming = tasks.flatMap { task in
            task.reminders.compactMap { reminder in reminder.fireAt.flatMap { $0 > context.now && reminder.firedAt == nil ? (task, $0) : nil } }
        }.sorted { $0.1 < $1.1 }
        guard !upcoming.isEmpty else {
            return turn.reply("You have no reminders coming up. Add one with “remind me about the report 30 minutes before”.")
        }
        let zone = context.user.timeZone
        let shown = upcoming.prefix(20)
        var lines = ["| ID | Task | Reminder | Due |", "|---:|---|---|---|"]
        for (task, fire) in shown {
            let due = task.dueAt.map { Self.formatDue($0, allDay: task.allDay, zone: zone, now: context.now) } ?? "—"
            lines.append(
                "| \(task.id) | \(Self.escape(task.title)) | \(Self.formatDue(fire, allDay: false, zone: zone, now: context.now)) | \(due) |"
            )
        }
        let count = upcoming.count
        let heading =
            count > shown.count
            ? "Your next \(shown.count) of \(count) reminders:"
            : count == 1 ? "Your one reminder to come:" : "Your \(count) reminders to come, soonest first:"
        let ids = shown.map(\.0.id)
        return turn.reply(heading + "\n\n" + lines.joined(separator: "\n"), focus: Set(ids).count == 1 ? [ids[0]] : nil, rows: ids)
    }

    /// The list_tasks order a sentence asks for ("sorted by priority", "by due date", "newest first"), and its words.
    static func sortArgument(_ lower: String) -> (sort: String, words: String)? {
        let padded = " " + lower + " "
        if padded.contains(" newest first ") || padded.contains(" most recent first ") { return ("created_at:desc", "newest first") }
        if padded.contains(" oldest first ") { return ("created_at:asc", "oldest first") }
        if padded.contains(" oldest ") { return ("created_at:asc", "oldest first") }
        if padded.contains(" newest ") || padded.contains(" latest ") || padded.contains(" most recent ") {
            return ("created_at:desc", "newest first")
        }
        guard
            let range = lower.range(
                of:
                    #"\b(?:(?:sorted|sort|ordered|order|arranged)\s+by|by)\s+(?:the\s+|their\s+)?(?=priority|importance|due|deadline|date|title|name|alphabet|creation|created|updated|last\s+changed)"#,
                options: .regularExpression
            )
        else { return nil }
        let rest = lower[range.upperBound...]
        if rest.hasPrefix("priority") || rest.hasPrefix("importance") { return ("priority:desc,due_at:asc", "by priority") }
        if rest.hasPrefix("due") || rest.hasPrefix("deadline") || rest.hasPrefix("date") { return ("due_at:asc", "by due date") }
        if rest.hasPrefix("title") || rest.hasPrefix("name") || rest.hasPrefix("alphabet") { return ("title:asc", "by title") }
        if rest.hasPrefix("creat") { return ("created_at:desc", "newest first") }
        return ("updated_at:desc", "last changed first")
    }
}
