import Foundation
import TaskpilotCore

/// "complete 56 and 57", "mark tasks 58, 59 and 60 as done", "delete #3 #4", "reopen 7 & 8": several tasks named by
/// id, each changed by its own tool call (so "undo" takes them all back and a missing id is named, not guessed at).
extension OfflineInterpreter {
    /// The most tasks one message names by id.
    static let maxListedIDs = 20

    func idList(_ text: String, _ lower: String, _ turn: inout Turn) async -> AssistantReply? {
        let number = #"#?\d{1,15}"#
        let list = "(" + number + #"(?:\s*(?:,\s*and|,|and|&|\s)\s*"# + number + ")+)"
        let head = #"(?:tasks?\s+|numbers?\s+|ids?\s+|rows?\s+)?"#
        let patterns: [(String, String)] = [
            ("complete", #"^(?:complete|finish|close|check\s+off|tick\s+off|done\s+with)\s+"# + head + list + "$"),
            ("complete", #"^(?:mark|set)\s+"# + head + list + #"\s+(?:as\s+)?(?:done|complete|completed|finished)$"#),
            ("reopen", #"^(?:reopen|re-open|uncomplete)\s+"# + head + list + "$"),
            ("reopen", #"^(?:mark|set)\s+"# + head + list + #"\s+(?:as\s+)?(?:not\s+done|incomplete|pending|open|undone)$"#),
            ("delete", #"^(?:delete|remove|drop|trash|erase)\s+"# + head + list + "$"),
        ]
        guard
            let (action, said) = patterns.lazy.compactMap({ action, pattern in
                Self.capture(lower, text, [pattern]).map { (action, $0) }
            }).first
        else { return nil }
        var ids: [Int64] = []
        for match in said.matches(of: /\d+/) {
            guard let id = Int64(match.output), !ids.contains(id) else { continue }
            ids.append(id)
        }
        guard ids.count <= Self.maxListedIDs else {
            return turn.reply("That is more than \(Self.maxListedIDs) tasks at once; say “\(action) all tasks tagged …” or name fewer.")
        }
        // Deleting many at once ("delete all of them" after a list of 7) asks first, as "delete completed tasks" does.
        if action == "delete", ids.count > TaskTools.confirmationThreshold {
            var tasks: [TaskItem] = []
            for id in ids {
                if let task = try? await turn.context.tasks.get(id: id, userID: turn.context.user.id, now: turn.context.now) { tasks.append(task) }
            }
            if tasks.count > TaskTools.confirmationThreshold {
                let table = Self.table(tasks.prefix(10).map(TaskTools.listItem), zone: turn.context.user.timeZone, now: turn.context.now)
                let more = tasks.count > 10 ? "\n\n…and \(tasks.count - 10) more." : ""
                let pending: JSONValue = .object([
                    "action": "delete", "ids": .array(tasks.map { .number(Double($0.id)) }), "filter": .object(["status": "all"]),
                ])
                return turn.reply(
                    "This will permanently delete **\(tasks.count)** tasks:\n\n\(table)\(more)\n\nReply **yes** to delete them or **no** to keep them.",
                    pending: pending
                )
            }
        }
        let tool = Self.singleTool(action)
        var done: [String] = []
        var failed: [String] = []
        var changed: [Int64] = []
        for id in ids {
            guard let task = try? await turn.context.tasks.get(id: id, userID: turn.context.user.id, now: turn.context.now) else {
                failed.append("task \(id) was not found")
                continue
            }
            let title = task.title
            // Completing a completed task or reopening a pending one changes nothing: say so instead of claiming it.
            if action == "complete" && task.status == .completed || action == "reopen" && task.status != .completed {
                failed.append("**\(Self.escape(title))** was \(task.status == .completed ? "already completed" : "not completed")")
                continue
            }
            switch await turn.run(tool, ["task_id": .number(Double(id))]) {
            case .success:
                done.append("**\(Self.escape(title))**")
                if action != "delete" { changed.append(id) }
            case .failure(let error):
                failed.append("task \(id): \(error.message)")
            }
        }
        var sentences: [String] = []
        if !done.isEmpty {
            let verb = Self.verbPast(action)
            sentences.append("\(verb.prefix(1).uppercased() + verb.dropFirst()) \(Self.listed(done)).")
        }
        if !failed.isEmpty { sentences.append((done.isEmpty ? "Nothing was changed: " : "Not changed: ") + failed.joined(separator: "; ") + ".") }
        return turn.reply(sentences.joined(separator: " "), focus: changed.count == 1 ? changed : nil)
    }

    /// The tool that does a bulk action ("complete", "reopen", "delete") to one task.
    static func singleTool(_ action: String) -> String {
        action == "complete" ? "complete_task" : action == "reopen" ? "reopen_task" : "delete_task"
    }
}
