public import Foundation

/// A field tasks can be sorted on.
public enum TaskSortField: String, Sendable, CaseIterable {
    case dueAt = "due_at"
    case priority
    case title
    case createdAt = "created_at"
    case updatedAt = "updated_at"
}

/// One sort key with its direction.
public struct TaskSort: Sendable, Equatable {
    public var field: TaskSortField
    public var descending: Bool

    /// Creates a sort key.
    public init(_ field: TaskSortField, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }

    /// The order as the `sort` parameter writes it, e.g. `due_at:asc,priority:desc`.
    public static func text(_ sort: [TaskSort]) -> String {
        sort.map { $0.field.rawValue + ($0.descending ? ":desc" : ":asc") }.joined(separator: ",")
    }
}

/// Which tasks to select: the filters of the list endpoint, bulk actions and the assistant.
public struct TaskFilter: Sendable, Equatable {
    /// nil selects every status.
    public var status: TaskStatus?
    /// Any of these priorities; empty means any.
    public var priorities: [TaskPriority] = []
    /// All of these tags.
    public var tags: [String] = []
    /// Full-text words over title and description.
    public var text: String?
    public var dueBefore: Date?
    public var dueAfter: Date?
    /// Only pending tasks whose due time has passed.
    public var overdue: Bool?
    /// `true`: only tasks with a due date; `false`: only tasks without one.
    public var hasDue: Bool?
    /// `true`: only tasks with at least one tag; `false`: only tasks without tags.
    public var tagged: Bool?
    /// `true`: only tasks that repeat; `false`: only one-off tasks.
    public var repeating: Bool?
    /// Only these ids.
    public var ids: [Int64]?

    /// Selects everything.
    public init(status: TaskStatus? = nil) { self.status = status }

    /// A short text that differs between filters that select differently (FNV-1a of their canonical form), the same
    /// on every replica: what a cursor remembers of the listing it was made for.
    public var fingerprint: String {
        var parts: [String] = [status?.rawValue ?? "*"]
        parts.append(priorities.map(\.rawValue).sorted().joined(separator: ","))
        parts.append(tags.map { $0.lowercased() }.sorted().joined(separator: ","))
        parts.append(text ?? "")
        parts.append(dueBefore.map { String($0.millisecondsSince1970) } ?? "")
        parts.append(dueAfter.map { String($0.millisecondsSince1970) } ?? "")
        for flag in [overdue, hasDue, tagged, repeating] { parts.append(flag.map { $0 ? "1" : "0" } ?? "") }
        parts.append(ids.map { $0.sorted().map(String.init).joined(separator: ",") } ?? "")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 36)
    }

    /// The words of the full-text query: letters and digits only, at most 16 words.
    public var searchTerms: [String] {
        guard let text else { return [] }
        return text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).prefix(16).map(String.init)
    }

    /// The search terms the full-text index finds: words of scripts that put spaces between words.
    public var wordTerms: [String] { searchTerms.filter { !Self.isUnspaced($0) } }

    /// The search terms matched as a part of the title or description instead: terms in a script written without
    /// spaces between words (Chinese, Japanese, Thai, ...), where the full-text index takes a whole run of characters
    /// as one word, so "会议" would not find "明天开会议"; and runs of emoji ("🐛"), which the index leaves out.
    public var substringTerms: [String] { searchTerms.filter(Self.isUnspaced) + emojiTerms }

    /// Runs of emoji in the text, at most 8.
    var emojiTerms: [String] {
        guard let text else { return [] }
        return text.split(whereSeparator: { !Self.isEmoji($0) }).prefix(8).map(String.init)
    }

    /// Whether a character is an emoji (not a digit, `#` or `*`, which may start one too, nor © or ®).
    static func isEmoji(_ character: Character) -> Bool {
        guard let first = character.unicodeScalars.first else { return false }
        return first.properties.isEmoji && first.value > 0xFF
    }

    /// Whether `term` has a character of a script written without spaces between words.
    static func isUnspaced(_ term: String) -> Bool {
        term.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x0E00...0x0EFF, // Thai, Lao
                0x1000...0x109F, // Myanmar
                0x1780...0x17FF, // Khmer
                0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F, // Hiragana, Katakana
                0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: // Han
                true
            default: false
            }
        }
    }
}

/// A page request of the task list.
public struct TaskQuery: Sendable, Equatable {
    public var filter: TaskFilter
    public var sort: [TaskSort]
    public var limit: Int
    public var cursor: TaskCursor?

    /// The default and the largest page size.
    public static let defaultLimit = 50
    public static let maxLimit = 500
    /// The default order: newest first.
    public static let defaultSort = [TaskSort(.createdAt, descending: true)]

    /// Creates a query.
    public init(
        filter: TaskFilter = TaskFilter(),
        sort: [TaskSort] = TaskQuery.defaultSort,
        limit: Int = TaskQuery.defaultLimit,
        cursor: TaskCursor? = nil
    ) {
        self.filter = filter
        self.sort = sort
        self.limit = limit
        self.cursor = cursor
    }

    /// The parameters `init(parameters:timeZone:allowCursor:)` reads (but for `TaskFilter.aliases`).
    public static let parameterNames = TaskFilter.parameterNames + ["sort", "limit", "cursor"]

    /// Reads the list query parameters of DESIGN §4; dates without an offset are taken in `timeZone`.
    public init(parameters: [String: String], timeZone: TimeZone, allowCursor: Bool = true) throws(TaskpilotError) {
        self.init()
        filter = try TaskFilter(parameters: parameters, timeZone: timeZone)
        if let text = parameters["sort"], !text.isEmpty {
            sort = try Self.parseSort(text)
        }
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...Self.maxLimit).contains(value) else {
                throw .invalidParameter(field: "limit", message: "must be a whole number between 1 and \(Self.maxLimit)")
            }
            limit = value
        }
        if allowCursor, let text = parameters["cursor"], !text.isEmpty {
            // A cursor says the order it was made in (those made before it did are taken as they come).
            guard let cursor = TaskCursor(encoded: text), cursor.values.count == sort.count,
                cursor.sort == nil || cursor.sort == TaskSort.text(sort), cursor.filter == nil || cursor.filter == filter.fingerprint
            else {
                throw .invalidParameter(field: "cursor", message: "is not a cursor of this listing; start again without it")
            }
            self.cursor = cursor
        }
    }

    /// Reads `due_at:asc,priority:desc`.
    public static func parseSort(_ text: String) throws(TaskpilotError) -> [TaskSort] {
        var keys: [TaskSort] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingWhitespace.lowercased() }
            var name = pieces[0]
            var descending = false
            if name.hasPrefix("-") {
                name.removeFirst()
                descending = true
            }
            guard let field = TaskSortField(rawValue: name) else {
                throw .invalidParameter(
                    field: "sort",
                    message: "unknown field '\(name)'; use due_at, priority, title, created_at or updated_at"
                )
            }
            if pieces.count == 2 {
                guard pieces[1] == "asc" || pieces[1] == "desc" else {
                    throw .invalidParameter(field: "sort", message: "direction must be asc or desc, not '\(pieces[1])'")
                }
                descending = pieces[1] == "desc"
            }
            guard !keys.contains(where: { $0.field == field }) else {
                throw .invalidParameter(field: "sort", message: "field '\(name)' is listed twice")
            }
            keys.append(TaskSort(field, descending: descending))
        }
        guard !keys.isEmpty else { throw .invalidParameter(field: "sort", message: "must name at least one field") }
        return keys
    }
}

extension TaskFilter {
    /// The parameters `init(parameters:timeZone:)` reads, but for `tag`, an alias of `tags`.
    public static let parameterNames = ["status", "priority", "tags", "q", "due_before", "due_after"] + flagNames
    /// Other names read: `tag` for `tags`.
    public static let aliases: Set = ["tag"]
    /// The parameters read as true or false (`flag(_:_:)`).
    public static let flagNames = ["overdue", "has_due", "tagged", "repeating"]
    /// The parameters read as comma-separated lists.
    public static let listNames: Set = ["priority", "tags", "tag"]

    /// Reads `status`, `priority`, `tags`, `q`, `due_before`, `due_after`, `overdue`, `has_due`, `tagged` and `repeating`.
    public init(parameters: [String: String], timeZone: TimeZone) throws(TaskpilotError) {
        self.init()
        switch parameters["status"]?.lowercased() {
        case nil, "", "all": status = nil
        case "pending", "open", "active", "incomplete": status = .pending
        case "completed", "done": status = .completed
        case let other?:
            throw .invalidParameter(field: "status", message: "must be all, pending or completed, not '\(other)'")
        }
        if let text = parameters["priority"], !text.isEmpty {
            priorities = try text.split(separator: ",").map { name throws(TaskpilotError) in
                guard let priority = TaskPriority(parsing: String(name)) else {
                    throw .invalidParameter(field: "priority", message: "'\(name)' is not a priority; use none, low, medium, high, urgent")
                }
                return priority
            }
        }
        if let text = parameters["tags"] ?? parameters["tag"], !text.isEmpty {
            switch TaskChanges.normalizeTags(text.split(separator: ",").map(String.init)) {
            case .success(let list): tags = list
            case .failure(let error): throw .invalidParameter(field: "tags", message: error.message)
            }
        }
        if let text = parameters["q"]?.trimmingWhitespace, !text.isEmpty {
            guard text.codePointCount <= 200 else { throw .invalidParameter(field: "q", message: "must be at most 200 characters") }
            self.text = text
        }
        dueBefore = try Self.date(parameters, "due_before", timeZone: timeZone, endOfDay: false)
        dueAfter = try Self.date(parameters, "due_after", timeZone: timeZone, endOfDay: false)
        overdue = try Self.flag(parameters, "overdue")
        hasDue = try Self.flag(parameters, "has_due")
        tagged = try Self.flag(parameters, "tagged")
        repeating = try Self.flag(parameters, "repeating")
    }

    /// The parameters of a bulk action's selection that select nothing as written ("", "  ", ",", an empty list): a
    /// list reads them as absent, so a bulk action refuses them, or `"tags": ""` would act on every task.
    public static func blankSelections(_ parameters: [String: String]) -> [String] {
        parameters.filter { $0.value.split(separator: ",").allSatisfy { $0.allSatisfy(\.isWhitespace) } }.keys.sorted()
    }

    /// What a bulk action says of a blank parameter of its selection (`blankSelections`), or of a selection that names
    /// no parameter at all (`parameter` false).
    public static func blankSelectionMessage(parameter: Bool) -> String {
        let every = "{\"status\": \"all\"} selects every task"
        guard parameter else { return "names no tasks: give at least one parameter, e.g. {\"status\": \"completed\"} (\(every))" }
        return "is empty, which would select every task: give a value or leave it out (\(every))"
    }

    /// A true-or-false query parameter (`true`/`false`, `1`/`0`, `yes`/`no`, any case); nil when absent.
    public static func flag(_ parameters: [String: String], _ key: String) throws(TaskpilotError) -> Bool? {
        guard let text = parameters[key]?.lowercased() else { return nil }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .invalidParameter(field: key, message: "must be true or false")
        }
    }

    private static func date(_ parameters: [String: String], _ key: String, timeZone: TimeZone, endOfDay: Bool) throws(TaskpilotError) -> Date? {
        guard let text = parameters[key] else { return nil }
        guard let parsed = Timestamp.parse(text, timeZone: timeZone) else {
            throw .invalidParameter(
                field: key,
                message: Timestamp.yearProblem(text) ?? "must be an RFC 3339 date-time like 2026-12-01T09:00:00Z or a date like 2026-12-01"
            )
        }
        return parsed.date
    }
}

/// A position in a sorted listing: the sort values and id of the last task of the previous page.
public struct TaskCursor: Sendable, Equatable, Codable {
    /// One value per sort key: an integer or a string.
    public var values: [CursorValue]
    /// The id of the last task.
    public var id: Int64
    /// The order of the listing (`TaskSort.text`); nil in cursors made before it was written.
    public var sort: String?
    /// The filters of the listing (`TaskFilter.fingerprint`); nil in cursors made before it was written. A cursor
    /// taken to other filters would skip the tasks between its place and the next one those filters select.
    public var filter: String?

    /// A sort value.
    public enum CursorValue: Sendable, Equatable, Codable {
        case int(Int64)
        case string(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                self = .int(number)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
    }

    /// Creates a cursor.
    public init(values: [CursorValue], id: Int64, sort: String? = nil, filter: String? = nil) {
        self.values = values
        self.id = id
        self.sort = sort
        self.filter = filter
    }

    /// Reads the opaque base64url form.
    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard encoded.count <= 2048, let data = Data(base64Encoded: base64),
            let cursor = try? JSONDecoder().decode(TaskCursor.self, from: data)
        else { return nil }
        self = cursor
    }

    /// The opaque base64url form.
    public var encoded: String {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.key("values")
        writer.beginArray()
        for value in values {
            switch value {
            case .int(let number): writer.int(number)
            case .string(let text): writer.string(text)
            }
        }
        writer.endArray()
        writer.key("id")
        writer.int(id)
        if let filter {
            writer.key("filter")
            writer.string(filter)
        }
        if let sort {
            writer.key("sort")
            writer.string(sort)
        }
        writer.endObject()
        return Self.base64URL(writer.bytes)
    }

    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// base64url without padding (RFC 4648 §5), in one pass: every listing page writes a cursor.
    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = base64URLAlphabet
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let first = UInt32(bytes[index])
            let second = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let third = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = first << 16 | second << 8 | third
            text.append(alphabet[Int(group >> 18 & 63)])
            text.append(alphabet[Int(group >> 12 & 63)])
            if remaining > 1 { text.append(alphabet[Int(group >> 6 & 63)]) }
            if remaining > 2 { text.append(alphabet[Int(group & 63)]) }
            index += 3
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// One page of tasks and the cursor of the next page, nil on the last page.
/// A page of tasks written as the API shows them, but for `overdue` (see `TaskJSONFragment`).
public struct TaskJSONPage: Sendable {
    public var items: [TaskJSONFragment]
    public var nextCursor: TaskCursor?

    /// Creates a page.
    public init(items: [TaskJSONFragment], nextCursor: TaskCursor?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

public struct TaskPage: Sendable, Equatable {
    public var items: [TaskItem]
    public var nextCursor: TaskCursor?

    /// Creates a page.
    public init(items: [TaskItem], nextCursor: TaskCursor?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
