public import Foundation
public import TaskpilotCore

/// Renders API answers for a terminal: tables, one-line summaries, colour only on a terminal without NO_COLOR.
public struct TerminalOutput: Sendable {
    /// Whether to use ANSI colours.
    public let colour: Bool
    /// The user's time zone for dates.
    public let timeZone: TimeZone

    /// Output for standard output.
    public init(timeZone: TimeZone = .current) {
        colour =
            isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.timeZone = timeZone
    }

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// A due date for people: "today 17:00", "Tue 1 Dec", "2027-03-05".
    public func due(_ task: JSONValue) -> String {
        guard let text = task["due_at"]?.stringValue, let date = Timestamp.parse(text, timeZone: timeZone)?.date else { return "" }
        let calendar = Calendar.taskpilot(timeZone)
        let allDay = task["all_day"] == .bool(true)
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: Date()), to: calendar.startOfDay(for: date)).day ?? 0
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let time = allDay ? "" : String(format: " %02d:%02d", parts.hour!, parts.minute!)
        let label: String
        switch days {
        case 0: label = "today"
        case 1: label = "tomorrow"
        case -1: label = "yesterday"
        default: label = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }
        let result = label + time
        return task["overdue"] == .bool(true) ? paint(result, "31") : result
    }

    func priority(_ value: String) -> String {
        switch value {
        case "urgent": paint("urgent", "1;31")
        case "high": paint("high", "33")
        case "none": ""
        default: value
        }
    }

    /// A table of tasks.
    public func table(_ tasks: [JSONValue]) -> String {
        guard !tasks.isEmpty else { return "No tasks." }
        let rows: [[String]] = tasks.map { task in
            let done = task["completed"] == .bool(true)
            let title = task["title"]?.stringValue ?? ""
            return [
                String(task["id"]?.int64Value ?? 0), done ? "✓" : " ", done ? paint(title, "2") : title, due(task),
                priority(task["priority"]?.stringValue ?? "none"),
                (task["tags"]?.arrayValue ?? []).compactMap(\.stringValue).map { "#" + $0 }.joined(separator: " "),
            ]
        }
        return render(header: ["ID", "", "TITLE", "DUE", "PRIORITY", "TAGS"], rows: rows)
    }

    /// Columns padded to their widest visible cell.
    public func render(header: [String], rows: [[String]]) -> String {
        func visible(_ text: String) -> Int {
            // Characters minus ANSI colour sequences (ESC [ … m).
            var count = 0
            var inEscape = false
            for character in text {
                if character == "\u{1B}" {
                    inEscape = true
                } else if inEscape {
                    if character == "m" { inEscape = false }
                } else {
                    count += 1
                }
            }
            return count
        }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], visible(cell)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - visible(cell))
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([paint(line(header), "1")] + rows.map(line)).joined(separator: "\n")
    }

    /// The details of one task.
    public func details(_ task: JSONValue) -> String {
        let id = task["id"]?.int64Value ?? 0
        let title = task["title"]?.stringValue ?? ""
        var lines = [paint("#" + String(id), "1") + "  " + title]
        func add(_ label: String, _ value: String) {
            if !value.isEmpty { lines.append(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
        add("status", task["status"]?.stringValue ?? "")
        add("due", due(task))
        add("priority", priority(task["priority"]?.stringValue ?? "none"))
        add("tags", (task["tags"]?.arrayValue ?? []).compactMap(\.stringValue).map { "#" + $0 }.joined(separator: " "))
        add("repeats", task["recurrence"]?["text"]?.stringValue ?? "")
        let reminders = (task["reminders"]?.arrayValue ?? []).compactMap { reminder -> String? in
            if let minutes = reminder["offset_minutes"]?.int64Value { return "\(minutes) min before" }
            return reminder["at"]?.stringValue
        }
        add("reminders", reminders.joined(separator: ", "))
        add("description", task["description"]?.stringValue ?? "")
        return lines.joined(separator: "\n")
    }
}
