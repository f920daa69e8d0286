public import Foundation

/// Any JSON value, so input can be checked field by field with precise messages.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a JSON document whose top level must be an object.
    public static func parseObject(_ data: Data) throws(TaskpilotError) -> [String: JSONValue] {
        guard !data.isEmpty else { throw .invalidJSON("the request body is empty; send a JSON object") }
        guard let text = String(data: data, encoding: .utf8), let value = JSONParser.parse(text) else {
            throw .invalidJSON("the request body is not valid JSON")
        }
        guard case .object(let object) = value else { throw .invalidJSON("the request body must be a JSON object") }
        // No text Taskpilot keeps may hold U+0000 (PostgreSQL cannot store it); refused here, whatever the field.
        guard !value.holdsNUL else { throw .invalidJSON("the request body holds a NUL character (\\u0000), which no field accepts") }
        return object
    }

    /// Whether a string anywhere inside (keys included) contains U+0000.
    var holdsNUL: Bool {
        switch self {
        case .string(let text): text.utf8.contains(0)
        case .array(let items): items.contains { $0.holdsNUL }
        case .object(let members): members.contains { $0.key.utf8.contains(0) || $0.value.holdsNUL }
        default: false
        }
    }

    /// A short name of the JSON type, for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads typed fields from a JSON object, collecting one error per bad field.
public struct JSONFields {
    /// The object being read.
    public let object: [String: JSONValue]
    /// The path prefix of reported fields, e.g. `recurrence.`.
    public let prefix: String
    /// The errors found so far.
    public private(set) var errors: [FieldError] = []

    /// Starts reading an object.
    public init(_ object: [String: JSONValue], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    /// Whether the key is present (even as null).
    public func has(_ key: String) -> Bool { object[key] != nil }

    /// Whether the key is present and null.
    public func isNull(_ key: String) -> Bool { object[key] == .null }

    /// Records an error for a field.
    public mutating func fail(_ key: String, _ message: String) {
        errors.append(FieldError(prefix + key, message))
    }

    /// Whether an error was recorded for the field.
    public func failed(_ key: String) -> Bool { errors.contains { $0.field == prefix + key } }

    /// Appends errors found elsewhere.
    public mutating func append(_ more: [FieldError]) { errors.append(contentsOf: more) }

    /// Records an error for every key outside `known` and `alsoAccepted`: a misspelt field is refused, not dropped
    /// without a word (`due_date` for `due_at` would create a task with no due date; `stauts` in a bulk filter would
    /// widen it to every task). The message lists `known` and guesses among them; `alsoAccepted` holds aliases and
    /// keys read past unread, such as the read-only fields of a task a client sends back.
    public mutating func refuseUnknown(_ known: [String], alsoAccepted: Set<String> = []) {
        for key in object.keys.sorted() where !known.contains(key) && !alsoAccepted.contains(key) {
            fail(key, Self.unknown(key, known: known, kind: "field"))
        }
    }

    /// What to say of an unknown field or parameter: that it is not one, the one most likely meant, and those there are.
    public static func unknown(_ key: String, known: [String], kind: String) -> String {
        let guess = closest(to: key, among: known).map { "did you mean \($0)? " } ?? ""
        return "is not a \(kind) here; \(guess)the \(kind)s are \(known.joined(separator: ", "))"
    }

    /// Other names people give to fields and parameters, for the guess.
    static let synonyms: [String: [String]] = [
        "name": ["title"], "notes": ["description"], "body": ["description"], "deadline": ["due_at", "due"], "id": ["task_id"], "labels": ["tags"],
        "repeat": ["recurrence"], "repeats": ["recurrence"], "done": ["completed"], "page": ["cursor"], "offset": ["cursor"],
        "per_page": ["limit"], "page_size": ["limit"], "sort_by": ["sort"], "order_by": ["sort"], "order": ["sort"],
        "search": ["q"], "query": ["q"], "text": ["q", "message"], "content": ["message"], "prompt": ["message"],
        "username": ["email"], "login": ["email"], "tz": ["timezone"],
    ]

    /// The known name `key` most likely means: a synonym (`deadline`, `page`), the same letters ignoring case, `_` and
    /// `-` (`dueAt`, `time-zone`), one the other begins (`freq`, `expires_in`), the end of a known one (`minutes`), or
    /// one or two edits away (`tag`, `intervall`, `due_date`).
    public static func closest(to key: String, among known: [String]) -> String? {
        if let name = synonyms[key.lowercased()]?.first(where: known.contains) { return name }
        func letters(_ text: String) -> [Character] { Array(text.lowercased().filter { $0 != "_" && $0 != "-" }) }
        let typed = letters(key)
        guard typed.count >= 3 else { return nil }
        // The fewest edits first, then the nearest length: "tag" is "tags" before "tagged".
        var best: (name: String, distance: Int, lengths: Int)?
        for name in known {
            let candidate = letters(name)
            let distance =
                candidate == typed
                ? 0
                : candidate.starts(with: typed) || typed.starts(with: candidate) || candidate.reversed().starts(with: typed.reversed())
                    ? 1 : editDistance(typed, candidate)
            let lengths = abs(candidate.count - typed.count)
            if distance <= 2, (distance, lengths) < (best?.distance ?? .max, best?.lengths ?? .max) { best = (name, distance, lengths) }
        }
        return best?.name
    }

    /// Levenshtein distance.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() { current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))) }
            previous = current
        }
        return previous[b.count]
    }

    /// A string field; nil when absent or null.
    public mutating func string(_ key: String) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string, not \(value.typeName)")
            return nil
        }
        return text
    }

    /// A boolean field; nil when absent or null.
    public mutating func bool(_ key: String) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            fail(key, "must be true or false, not \(value.typeName)")
            return nil
        }
        return flag
    }

    /// An integer field within a range; nil when absent or null.
    public mutating func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 9e15 else {
            // 1.5 is a number, just not a whole one; 1e308 a whole one far out of range.
            let found = if case .number = value { "" } else { ", not \(value.typeName)" }
            fail(key, "must be a whole number between \(range.lowerBound) and \(range.upperBound)" + found)
            return nil
        }
        guard range.contains(Int(number)) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    /// An array field; nil when absent or null.
    public mutating func array(_ key: String) -> [JSONValue]? {
        guard let value = object[key], value != .null else { return nil }
        guard case .array(let items) = value else {
            fail(key, "must be an array, not \(value.typeName)")
            return nil
        }
        return items
    }

    /// An object field; nil when absent or null.
    public mutating func objectValue(_ key: String) -> [String: JSONValue]? {
        guard let value = object[key], value != .null else { return nil }
        guard case .object(let fields) = value else {
            fail(key, "must be an object, not \(value.typeName)")
            return nil
        }
        return fields
    }

    /// A field that is a string or an array of strings (comma lists allowed), e.g. tags or priorities.
    public mutating func stringList(_ key: String) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        switch value {
        case .string(let text):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .array(let items):
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    fail("\(key)[\(index)]", "must be a string, not \(item.typeName)")
                    continue
                }
                strings.append(text)
            }
            return strings
        default:
            fail(key, "must be an array of strings, not \(value.typeName)")
            return nil
        }
    }
}

/// Literals, so schemas and results read like the JSON they are.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue {
    /// Compact JSON with sorted keys, written directly (several times faster than going through `JSONEncoder`).
    public var jsonText: String {
        var writer = JSONWriter()
        writer.value(self)
        return writer.text
    }
}
