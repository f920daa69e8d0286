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
            isatty(STDOUT_FILENO) != 0 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.timeZone = timeZone
    }

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// A due date for people: "today 17:00", "Tue 1 Dec", "2027-03-05".
    public func due(_ task: JSONValue) -> String {
        guard let text = task["due_at"]?.stringValue, let date = Timestamp.parse(text, timeZone: timeZone)?.date else { return "" }
        let result = moment(date, allDay: task["all_day"] == .bool(true))
        return task["overdue"] == .bool(true) ? paint(result, "31") : result
    }

    /// A day as the tables show it ("today", "tomorrow", "2026-12-24"), with its time unless `allDay`.
    func moment(_ date: Date, allDay: Bool) -> String {
        let calendar = Calendar.taskpilot(timeZone)
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
        return label + time
    }

    /// A reminder in words, with when it fires: "1 day before (tomorrow 09:00)", "at 2026-12-24 18:00", "… (fired)".
    func reminder(_ reminder: JSONValue) -> String? {
        var text: String
        if let minutes = reminder["offset_minutes"]?.int64Value {
            func count(_ number: Int64, _ unit: String) -> String { "\(number) \(unit)\(number == 1 ? "" : "s") before" }
            text =
                minutes == 0
                ? "at the due time"
                : minutes % 1440 == 0 ? count(minutes / 1440, "day") : minutes % 60 == 0 ? count(minutes / 60, "hour") : "\(minutes) min before"
            if let fire = reminder["fire_at"]?.stringValue.flatMap({ Timestamp.parse($0, timeZone: timeZone)?.date }) {
                text += " (" + moment(fire, allDay: false) + ")"
            }
        } else if let at = reminder["at"]?.stringValue.flatMap({ Timestamp.parse($0, timeZone: timeZone)?.date }) {
            text = "at " + moment(at, allDay: false)
        } else {
            return nil
        }
        return reminder["fired_at"]?.stringValue == nil ? text : text + " (fired)"
    }

    func priority(_ value: String) -> String {
        switch value {
        case "urgent": paint("urgent", "1;31")
        case "high": paint("high", "33")
        case "none": ""
        default: value
        }
    }

    /// A table of tasks, as wide as the terminal allows (`width`: titles and tags are cut to fit, down to
    /// `minimumTitleColumns` for titles); titles take at most `titleColumns` when the width is not known.
    public func table(_ tasks: [JSONValue], width: Int? = TerminalOutput.terminalWidth()) -> String {
        guard !tasks.isEmpty else { return "No tasks." }
        let header = ["ID", "", "TITLE", "DUE", "PRIORITY", "TAGS"]
        var rows: [[String]] = tasks.map { task in
            [
                String(task["id"]?.int64Value ?? 0), task["completed"] == .bool(true) ? "✓" : " ", task["title"]?.stringValue ?? "", due(task),
                priority(task["priority"]?.stringValue ?? "none"),
                (task["tags"]?.arrayValue ?? []).compactMap(\.stringValue).map { "#" + $0 }.joined(separator: " "),
            ]
        }
        var titleLimit = Self.titleColumns
        if let width {
            // Two spaces between columns; the tags (last) get what the title leaves, at least a few of them.
            func widest(_ column: Int) -> Int { (rows.map { Self.displayWidth($0[column]) } + [Self.displayWidth(header[column])]).max() ?? 0 }
            let fixed = widest(0) + widest(1) + widest(3) + widest(4) + 2 * (header.count - 1)
            let tagLimit = max(Self.displayWidth(header[5]), min(widest(5), 24))
            titleLimit = min(Self.titleColumns, max(Self.minimumTitleColumns, width - fixed - tagLimit))
            let tagsLeft = max(tagLimit, width - fixed - min(titleLimit, widest(2)))
            for index in rows.indices { rows[index][5] = Self.truncated(rows[index][5], columns: tagsLeft) }
        }
        for index in rows.indices {
            let title = Self.truncated(rows[index][2], columns: titleLimit)
            rows[index][2] = rows[index][1] == "✓" ? paint(title, "2") : title
        }
        return render(header: header, rows: rows)
    }

    /// The most terminal columns a title takes in a table: one long title would otherwise pad every row to its width.
    static let titleColumns = 60
    /// The fewest columns a title is cut to, however narrow the terminal.
    static let minimumTitleColumns = 16

    /// The width of the terminal standard output writes to (`COLUMNS` when set, as shells export it), or nil when it
    /// is no terminal (a pipe or file gets whole lines).
    public static func terminalWidth() -> Int? {
        guard isatty(STDOUT_FILENO) != 0 else { return nil }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// `text` cut to at most `columns` terminal columns, with "…" in the last one when it is cut.
    static func truncated(_ text: String, columns limit: Int) -> String {
        guard displayWidth(text) > limit else { return text }
        var kept = ""
        var width = 0
        for character in text {
            let next = columns(character)
            guard width + next <= limit - 1 else { break }
            kept.append(character)
            width += next
        }
        return kept + "…"
    }

    /// Columns padded to their widest visible cell, measured in terminal columns (`displayWidth`).
    public func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(Self.displayWidth)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], Self.displayWidth(cell)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - Self.displayWidth(cell))
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([paint(line(header), "1")] + rows.map(line)).joined(separator: "\n")
    }

    /// The assistant's Markdown as terminal text: tables aligned like the other tables, **bold** in bold (plain
    /// without colour), `code` and backslash escapes as their text, [text](url) as "text (url)", headings in bold.
    public func markdown(_ text: String) -> String {
        var output: [String] = []
        var table: [[String]] = []
        func endTable() {
            guard let header = table.first else { return }
            let rows = table.dropFirst().map { Array(($0 + Array(repeating: "", count: header.count)).prefix(header.count)) }
            output.append(render(header: header, rows: rows))
            table = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.count > 1, trimmed.hasPrefix("|"), trimmed.hasSuffix("|") {
                let cells = Self.tableCells(trimmed)
                // The row under the header: |---|:---:|
                if !cells.allSatisfy({ !$0.isEmpty && $0.allSatisfy { "-: ".contains($0) } }) { table.append(cells.map(inline)) }
                continue
            }
            endTable()
            let hashes = trimmed.prefix { $0 == "#" }.count
            if (1...6).contains(hashes), trimmed.dropFirst(hashes).first == " " {
                output.append(paint(inline(String(trimmed.dropFirst(hashes + 1))), "1"))
            } else {
                output.append(inline(line))
            }
        }
        endTable()
        return output.joined(separator: "\n")
    }

    /// The cells of a table row `| a | b \| c |`, split at the bars that are not escaped, escapes kept.
    static func tableCells(_ row: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var escaped = false
        for character in row.dropFirst().dropLast() {
            if escaped {
                cell.append(character)
                escaped = false
            } else if character == "\\" {
                cell.append(character)
                escaped = true
            } else if character == "|" {
                cells.append(cell.trimmingCharacters(in: .whitespaces))
                cell = ""
            } else {
                cell.append(character)
            }
        }
        cells.append(cell.trimmingCharacters(in: .whitespaces))
        return cells
    }

    /// One line's inline Markdown as terminal text.
    func inline(_ text: String) -> String {
        var result = ""
        var bold = false
        var rest = Substring(text)
        while let character = rest.first {
            if character == "\\", let next = rest.dropFirst().first, next.isASCII, next.isPunctuation || next.isSymbol {
                result.append(next)
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("**") {
                bold.toggle()
                if colour { result += bold ? "\u{1B}[1m" : "\u{1B}[0m" }
                rest = rest.dropFirst(2)
            } else if character == "`", let end = rest.dropFirst().firstIndex(of: "`") {
                result += rest[rest.index(after: rest.startIndex)..<end]
                rest = rest[rest.index(after: end)...]
            } else if character == "[", let link = rest.prefixMatch(of: /\[([^\]]*)\]\(([^)\s]+)\)/) {
                let (label, url) = (inline(String(link.1)), String(link.2))
                result += label == url ? url : "\(label) (\(url))"
                rest = rest[link.range.upperBound...]
            } else {
                result.append(character)
                rest = rest.dropFirst()
            }
        }
        if bold && colour { result += "\u{1B}[0m" }
        return result
    }

    /// How many terminal columns text takes, ANSI colour sequences (ESC [ … m) aside: an emoji or an East Asian wide
    /// or fullwidth character takes two, a combining mark or other zero-width character none, anything else one.
    public static func displayWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for character in text {
            if character == "\u{1B}" {
                inEscape = true
            } else if inEscape {
                if character == "m" { inEscape = false }
            } else {
                width += columns(character)
            }
        }
        return width
    }

    /// The columns of one character (a grapheme cluster: a base with its combining marks, or a whole emoji sequence).
    static func columns(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        // An emoji shown as a picture: emoji presentation by default, or a text-default one followed by VS16 (U+FE0F).
        if scalars.contains(where: \.properties.isEmojiPresentation)
            || scalars.contains("\u{FE0F}") && scalars.contains(where: \.properties.isEmoji)
        {
            return 2
        }
        guard let base = scalars.first(where: { !isZeroWidth($0) }) else { return 0 }
        return isWide(base) ? 2 : 1
    }

    /// Combining marks, format characters (joiners, variation selectors, soft hyphen) and controls take no column.
    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: true
        default: (0x1160...0x11FF).contains(scalar.value) || (0xFE00...0xFE0F).contains(scalar.value)
        }
    }

    /// East Asian Wide (W) and Fullwidth (F) characters of Unicode's EastAsianWidth.txt, by block (the emoji among
    /// them are found by their emoji presentation instead).
    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        wideRanges.contains { $0.contains(scalar.value) }
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, // Hangul Jamo initial consonants
        0x2329...0x232A, // angle brackets
        0x2E80...0x303E, // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
        0x3041...0x33FF, // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed, compatibility
        0x3400...0x4DBF, // CJK Unified Ideographs Extension A
        0x4E00...0x9FFF, // CJK Unified Ideographs
        0xA000...0xA4CF, // Yi
        0xA960...0xA97F, // Hangul Jamo Extended-A
        0xAC00...0xD7A3, // Hangul syllables
        0xF900...0xFAFF, // CJK compatibility ideographs
        0xFE10...0xFE19, // vertical forms
        0xFE30...0xFE6F, // CJK compatibility forms, small form variants
        0xFF00...0xFF60, // fullwidth forms
        0xFFE0...0xFFE6, // fullwidth signs
        0x16FE0...0x18CFF, // Tangut, Khitan and their components
        0x1AFF0...0x1B2FF, // Kana supplements and extensions, Nushu
        0x1F200...0x1F2FF, // enclosed ideographic supplement
        0x20000...0x2FFFD, // CJK Unified Ideographs Extensions B–F, compatibility supplement
        0x30000...0x3FFFD, // CJK Unified Ideographs Extensions G–H
    ]

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
        let reminders = (task["reminders"]?.arrayValue ?? []).compactMap(reminder)
        add("reminders", reminders.joined(separator: ", "))
        add("description", task["description"]?.stringValue ?? "")
        return lines.joined(separator: "\n")
    }
}
