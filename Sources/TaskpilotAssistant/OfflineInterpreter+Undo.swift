import Foundation
import TaskpilotCore

/// "undo": the conversation remembers how to take back its last change to tasks.
///
/// Each change made through a tool records its inverse in the reply's state (`undo`: the calls that restore what was,
/// last change first): adding deletes the task again, completing reopens it, a change of fields writes their former
/// values back, deleting adds the task anew (with a new id). A bulk action has no inverse: `undo` then says so. A task
/// changed since the change (elsewhere) is left as it is.
extension OfflineInterpreter {
    /// Tools that change tasks.
    static let changingTools: Set<String> = [
        "add_task", "complete_task", "reopen_task", "update_task", "delete_task", "set_reminder", "bulk_tasks",
    ]

    /// The call that undoes a successful `name(arguments)` whose task was `before`, with words for what it does.
    static func inverse(of name: String, arguments: [String: JSONValue], result: JSONValue, before: TaskItem?, zone: TimeZone) -> JSONValue? {
        func step(_ tool: String, _ arguments: [String: JSONValue], _ summary: String, completeAfter: Bool = false) -> JSONValue {
            .object(["tool": .string(tool), "arguments": .object(arguments), "summary": .string(summary), "complete_after": .bool(completeAfter)])
        }
        switch name {
        case "add_task":
            guard let id = result["task_id"]?.int64Value else { return nil }
            return step("delete_task", ["task_id": .number(Double(id))], "removed **\(escape(result["title"]?.stringValue ?? ""))** again")
        case "complete_task":
            guard let before, before.status != .completed else { return nil }
            return step("reopen_task", ["task_id": .number(Double(before.id))], "reopened **\(escape(before.title))**")
        case "reopen_task":
            guard let before, before.status == .completed else { return nil }
            return step("complete_task", ["task_id": .number(Double(before.id))], "completed **\(escape(before.title))** again")
        case "update_task", "set_reminder":
            guard let before else { return nil }
            let changed = name == "set_reminder" ? ["reminders"] : arguments.keys.filter { $0 != "task_id" && $0 != "confirm" }.sorted()
            let saved = fields(of: before, zone: zone)
            var restore: [String: JSONValue] = ["task_id": .number(Double(before.id))]
            for field in changed {
                guard let value = saved[field == "due_at" ? "due" : field] else { return nil }
                restore[field] = value
            }
            let names = ["due": "due date", "due_at": "due date", "recurrence": "repetition"]
            let said = changed.map { names[$0] ?? $0 }
            let list = listed(said)
            return step("update_task", restore, "put back the \(list) of **\(escape(before.title))**")
        case "delete_task":
            guard let before else { return nil }
            var restore = fields(of: before, zone: zone)
            if restore["recurrence"] == .null { restore["recurrence"] = nil }
            if restore["due"] == .null { restore["due"] = nil }
            return step("add_task", restore, "brought **\(escape(before.title))** back", completeAfter: before.status == .completed)
        default:
            return nil
        }
    }

    /// A task's fields as add_task and update_task take them.
    static func fields(of task: TaskItem, zone: TimeZone) -> [String: JSONValue] {
        let due: JSONValue = task.dueAt.map { .string(task.allDay ? localDate($0, zone) : Timestamp.format($0)) } ?? .null
        let reminders = task.reminders.map { TaskTools.reminderInput($0.trigger) }
        return [
            "title": .string(task.title), "description": .string(task.description), "due": due, "priority": .string(task.priority.rawValue),
            "tags": .array(task.tags.map { .string($0) }), "recurrence": task.recurrence?.requestJSON ?? .null, "reminders": .array(reminders),
        ]
    }

    /// "undo", "undo that", "take that back", "oops, undo": runs the inverse of the conversation's last change.
    func undo(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let patterns = [
            #"^(?:oops|whoops)?[,!.]?\s*(?:please\s+)?(?:undo|revert|reverse|take\s+back)(?:\s+(?:that|it|this|the\s+last\s+(?:change|action|one|step)|my\s+last\s+(?:change|action)|what\s+you\s+(?:just\s+)?did))?(?:\s+please)?$"#,
            #"^(?:cancel|revert)\s+(?:that|the\s+last\s+(?:change|action))$"#, #"^(?:scratch|strike)\s+that[.!]?$"#,
        ]
        guard patterns.contains(where: { Self.matches(lower, $0) }) else { return nil }
        turn.undoTaken = true
        guard let record = turn.previous?["undo"] else {
            return turn.reply(
                "There is nothing to undo: I can take back the last change of this conversation, once, and there is none to take back now."
            )
        }
        if let blocked = record["blocked"]?.stringValue {
            let what = blocked == "bulk_tasks" ? "a bulk action" : "that change"
            return turn.reply("I can't undo \(what); I can undo changes to single tasks (adding, completing, editing, deleting).")
        }
        var done: [String] = []
        var kept: [String] = []
        for step in record.arrayValue ?? [] {
            guard let tool = step["tool"]?.stringValue, let arguments = step["arguments"]?.objectValue else { continue }
            // A task changed since (in the web app, another conversation, the API) keeps that change: undoing would
            // write the old values over it.
            if let expected = step["expect"], let id = arguments["task_id"]?.int64Value {
                guard let current = try? await turn.context.tasks.get(id: id, userID: turn.context.user.id, now: turn.context.now) else {
                    continue
                }
                if Self.undoState(of: current, zone: turn.context.user.timeZone) != expected {
                    kept.append("**\(Self.escape(current.title))**")
                    continue
                }
            }
            switch await turn.run(tool, arguments) {
            case .success(let result):
                done.append(step["summary"]?.stringValue ?? tool)
                if step["complete_after"] == .bool(true), let id = result["task_id"]?.int64Value {
                    _ = await turn.run("complete_task", ["task_id": .number(Double(id))])
                }
            case .failure(let error):
                let head = done.isEmpty ? "" : "I " + Self.undoneList(done) + ", but "
                return turn.reply(head + "I couldn't undo the rest: \(error.message)")
            }
        }
        let changedSince =
            kept.isEmpty
            ? "" : "\(Self.listed(kept)) changed since, so I left \(kept.count == 1 ? "it" : "them") as \(kept.count == 1 ? "it is" : "they are")."
        guard !done.isEmpty else {
            return turn.reply(kept.isEmpty ? "There is nothing to undo in this conversation yet." : "I undid nothing: " + changedSince)
        }
        let ids = turn.calls.compactMap { $0.arguments["task_id"]?.int64Value ?? $0.result["task_id"]?.int64Value }
        return turn.reply("Undone: I " + Self.undoneList(done) + "." + (kept.isEmpty ? "" : " " + changedSince), focus: ids.count == 1 ? ids : nil)
    }

    /// What of a task an undo checks is as the change left it: its fields as the tools take them, and its status.
    static func undoState(of task: TaskItem, zone: TimeZone) -> JSONValue {
        var state = fields(of: task, zone: zone)
        state["status"] = .string(task.status.rawValue)
        return .object(state)
    }

    /// What an undo did, in words: every change up to eight, else the first five and how many more (an undo of a
    /// change to 125 tasks named each of them, thousands of characters).
    static func undoneList(_ done: [String]) -> String {
        guard done.count > 8 else { return done.joined(separator: ", ") }
        return done.prefix(5).joined(separator: ", ") + " and \(done.count - 5) more (\(done.count) changes in all)"
    }
}
