import Foundation
import TaskpilotCore

/// "mark both as done", "complete them all", "move those to sunday", "make them high priority": the tasks of the last
/// list shown, each changed by its own tool call. Without a list to point at, such a message asks which tasks it means:
/// it never falls through to a change of every task ("mark them all as done" completed every pending task).
extension OfflineInterpreter {
    /// A command word, then a reference to several listed tasks.
    static let listedPattern =
        #"^(?:complete|finish|close|check off|tick off|mark|set|delete|remove|drop|trash|erase|reopen|re-open|uncomplete|move|reschedule|push|postpone|change|make|tag|untag|prioriti[sz]e|snooze|put)\s+(?:all\s+)?"#
        + listedReferences + #"(?=$|[\s,.!?])"#

    /// The words that point at several listed tasks ("them", "both", "all three", "these tasks", "the last two").
    static let listedReferences =
        #"(them all|all of them|all of these|all of those|both of them|both of these|both of those|the two of them|each of them|"#
        + #"(?:the\s+)?(?:first|last|top|bottom)\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})(?:\s+(?:tasks|ones|items|of them))?|"#
        + #"all (?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})(?: of them)?|(?:these|those) (?:tasks|ones|two|three)|"#
        + #"the ones (?:above|listed|you (?:just )?(?:listed|showed|found))|them|both|these|those)"#

    /// "add the groceries tag to them", "add #a #b to these", "remove the work tag from both": the same message with the
    /// tasks first, as "tag them with groceries" and "untag both work" say it.
    nonisolated(unsafe) static let tagsLastRewrites: [(Regex<AnyRegexOutput>, String)] =
        [
            (#"^add\s+(?:the\s+|a\s+)?(?:tags?|labels?)\s+(.+?)\s+to\s+"#, "tag $2 with $1"),
            (#"^add\s+(?:the\s+|a\s+)?(?!(?:a|an|the)\s)(#?[\p{L}\p{N}_-]+)\s+(?:tag|label)\s+to\s+"#, "tag $2 with $1"),
            (#"^add\s+(#\S+(?:\s*(?:,|and)?\s*#\S+)*)\s+to\s+"#, "tag $2 with $1"),
            (#"^remove\s+(?:the\s+)?(?:tags?|labels?)\s+(.+?)\s+from\s+"#, "untag $2 $1"),
            (#"^(?:remove|delete|drop|take)\s+(?:the\s+)?(#?[\p{L}\p{N}_-]+)\s+(?:tag|label)\s+(?:off\s+of\s+|off\s+|from\s+)"#, "untag $2 $1"),
        ].map { pattern, template in (try! Regex(pattern + listedReferences + #"[.!]?$"#).ignoresCase(), template) }
        // "add them to my shopping list", "put these on the groceries list": a named list is a tag.
        + [
            (
                try! Regex(#"^(?:add|put)\s+"# + listedReferences + #"\s+(?:to|on|onto)\s+(?:my|the|our)\s+([\p{L}\p{N}_-]+)\s+list[.!]?$"#)
                    .ignoresCase(), "tag $1 with $2"
            )
        ]

    /// `text` said with the listed tasks first (see `tagsLastRewrites`); nil when it is not such a message.
    static func tagsLast(_ text: String) -> String? {
        for (regex, template) in tagsLastRewrites {
            guard let match = text.firstMatch(of: regex), let first = match.output[1].substring, let second = match.output[2].substring else {
                continue
            }
            return template.replacingOccurrences(of: "$1", with: first).replacingOccurrences(of: "$2", with: second)
        }
        return nil
    }

    /// How many rows "the first two", "the last 3", "top three" take, and whether from the bottom of the list.
    static func countedRows(_ reference: String) -> (count: Int, fromEnd: Bool)? {
        let words = reference.split(separator: " ").map(String.init).filter { $0 != "the" }
        guard words.count >= 2, let count = QuickAddParser.numberWords[words[1]] ?? Int(words[1]), count > 0 else { return nil }
        switch words[0] {
        case "first", "top": return (count, false)
        case "last", "bottom": return (count, true)
        default: return nil
        }
    }

    /// "mark all as done", "complete all", "delete all": right after a list, its tasks.
    static let allListedPattern =
        #"^(?:(?:mark|set)\s+(all)\s+(?:as\s+)?(?:done|complete|completed|finished)|(?:complete|finish|delete|remove|reopen)\s+(all))[.!]?$"#

    nonisolated(unsafe) static let listedRegex = try! Regex(listedPattern).ignoresCase()
    nonisolated(unsafe) static let allListedRegex = try! Regex(allListedPattern).ignoresCase()

    /// Answers a message about several listed tasks; nil when it names none.
    func listed(_ text: String, history: [ChatMessage], turn: inout Turn) async -> AssistantReply? {
        let text = Self.tagsLast(text) ?? text
        let said: Range<String.Index>
        if let match = text.firstMatch(of: Self.listedRegex), let range = match.output[1].range {
            said = range
        } else if !turn.rows.isEmpty, let match = text.firstMatch(of: Self.allListedRegex),
            let range = match.output[1].range ?? match.output[2].range
        {
            said = range
        } else {
            return nil
        }
        let reference = text[said].lowercased()
        // "delete both dentist tasks", "complete these work items": tasks named by what they share, not the list.
        let after = text[said.upperBound...].lowercased()
        if after.range(of: #"^\s+(?:[\w'-]+\s+){1,3}(?:tasks?|ones|todos?|items?)\b"#, options: .regularExpression) != nil { return nil }
        var rows = turn.rows
        guard !rows.isEmpty else {
            return turn.reply(
                "Which tasks do you mean by “\(reference)”? Show them first (“list tasks tagged work”) or name them by id "
                    + "(“complete 3 and 4”). Nothing was changed."
            )
        }
        // "the first two", "the last 3": that many rows from the top or the bottom of the list, which "both" and
        // "them" then mean. "both", "all three": a number that must match the list's.
        let counted = Self.countedRows(reference)
        let expected =
            counted.map(\.count)
            ?? (reference.hasPrefix("both") || reference.contains("two")
                ? 2
                : reference.split(separator: " ").lazy.compactMap { QuickAddParser.numberWords[String($0)] ?? Int($0) }.first)
        if let counted, counted.count <= rows.count {
            rows = counted.fromEnd ? Array(rows.suffix(counted.count)) : Array(rows.prefix(counted.count))
        } else if let expected, expected != rows.count {
            return turn.reply(
                "The last list I showed has \(Self.plural(rows.count, "task")), not \(expected). Which ones do you mean? "
                    + "Name them by id (“complete 3 and 4”). Nothing was changed."
            )
        }
        guard rows.count <= Self.maxListedIDs else {
            return turn.reply("That is more than \(Self.maxListedIDs) tasks at once; say “complete all tasks tagged …” or name fewer.")
        }
        // Completing, reopening and deleting take the ids in one message ("complete #3 #4").
        let ids = rows.map { "#\($0)" }.joined(separator: " ")
        let together = text.replacingCharacters(in: said, with: ids)
        if var reply = await idList(together, together.lowercased(), &turn) {
            // After "complete the last two", "both" and "them" mean those two.
            if counted != nil {
                var state = reply.state?.objectValue ?? [:]
                state["rows"] = .array(rows.map { .number(Double($0)) })
                reply.state = .object(state)
            }
            return reply
        }
        // Any other change is made to each task in turn, as if said of it alone ("move #3 to sunday").
        var chain = history
        var texts: [String] = []
        var calls: [ToolCallRecord] = []
        var undo: [JSONValue] = []
        var state = turn.previous?.objectValue ?? [:]
        // "tag them groceries": "tag #3 groceries" would read "#3 groceries" as the task; "tag #3 with groceries" does not.
        var rest = String(text[said.upperBound...])
        if text.lowercased().hasPrefix("tag "), !rest.isEmpty,
            rest.trimmingCharacters(in: .whitespaces).lowercased().range(of: #"^(with|as|to|#)"#, options: .regularExpression) == nil
        {
            rest = " with" + rest
        }
        let template = String(text[..<said.lowerBound])
        // Each answer with its task's id put back as the reference: the same for every task when none understood it.
        var unchanged: Set<String> = []
        for id in rows {
            let one = await respondToOne(template + "#\(id)" + rest, history: chain, context: turn.context)
            if one.toolCalls.isEmpty { unchanged.insert(one.text.replacingOccurrences(of: "#\(id)", with: String(text[said]))) }
            texts.append(one.text)
            calls += one.toolCalls
            let before = chain.last { $0.role == .assistant }?.state?["undo"]
            if let later = one.state?["undo"]?.arrayValue, one.state?["undo"] != before { undo = later + undo }
            chain.append(Self.unsaved(one, after: history, at: turn.context.now))
            state = one.state?.objectValue ?? [:]
            // A question about one of them ("which time?") ends the round: its answer finishes that task.
            if state["question"] != nil || state["pending"] != nil { break }
        }
        // A message none of them understood is answered once, not once per task.
        if calls.isEmpty, state["question"] == nil, state["pending"] == nil, unchanged.count == 1, let answer = unchanged.first {
            return AssistantReply(text: answer, state: turn.carriedState)
        }
        if !undo.isEmpty { state["undo"] = .array(undo) }
        state["rows"] = .array(rows.map { .number(Double($0)) })
        state["focus"] = nil
        return AssistantReply(text: texts.joined(separator: "\n\n"), toolCalls: calls, state: state.isEmpty ? nil : .object(state))
    }
}
