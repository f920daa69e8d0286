public import Foundation

/// A set or clear of an optional field; nil around it means "leave unchanged".
public enum FieldChange<Value: Sendable & Equatable>: Sendable, Equatable {
    case set(Value)
    case clear
}

/// Validated input that creates or changes a task; nil fields are left as they are.
public struct TaskChanges: Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var status: TaskStatus?
    public var priority: TaskPriority?
    public var tags: [String]?
    public var due: FieldChange<ParsedDate>?
    public var allDay: Bool?
    public var reminders: [ReminderTrigger]?
    public var recurrence: FieldChange<RecurrenceRule>?
    /// Completes a pending task and reopens a completed one, as the task is when the change is written (the
    /// compatibility toggle: deciding from a read before would let two toggles at once both complete it).
    public var togglesStatus = false

    /// No change at all.
    public init(
        title: String? = nil,
        description: String? = nil,
        status: TaskStatus? = nil,
        priority: TaskPriority? = nil,
        tags: [String]? = nil,
        due: FieldChange<ParsedDate>? = nil,
        allDay: Bool? = nil,
        reminders: [ReminderTrigger]? = nil,
        recurrence: FieldChange<RecurrenceRule>? = nil
    ) {
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.tags = tags
        self.due = due
        self.allDay = allDay
        self.reminders = reminders
        self.recurrence = recurrence
    }

    /// Limits of DESIGN §3.
    public static let maxTitleLength = 200
    public static let maxDescriptionLength = 4000
    public static let maxTagLength = 40
    public static let maxTags = 20
    public static let maxReminders = 10

    /// The fields a task is written with (`completed` is another way to say `status`).
    public static let fieldNames = [
        "title", "description", "status", "completed", "priority", "tags", "due_at", "all_day", "reminders", "recurrence",
    ]
    /// Also accepted: `due` (an alias of `due_at`) and the fields of a task as the API shows it that cannot be written,
    /// ignored so that a task as read can be sent back (`user_id`: the Phase II body of the compatibility routes).
    static let otherFieldNames: Set = ["due", "id", "overdue", "series_id", "occurrence", "completed_at", "created_at", "updated_at", "user_id"]

    /// Reads the task fields of a JSON object (`due_at`, `due` and `completed` are accepted as aliases); dates
    /// without an offset are taken in `timeZone`. Throws every field error at once.
    public init(json object: [String: JSONValue], timeZone: TimeZone) throws(TaskpilotError) {
        self.init()
        var fields = JSONFields(object)
        fields.refuseUnknown(Self.fieldNames, alsoAccepted: Self.otherFieldNames)
        if fields.has("title") {
            if fields.isNull("title") {
                fields.fail("title", "is required and cannot be null")
            } else if let raw = fields.string("title") {
                let title = Self.normalizeTitle(raw)
                // The limit applies to the text as sent (as /openapi.yaml's maxLength does), white space included.
                if title.isEmpty {
                    fields.fail("title", "must not be empty")
                } else if raw.codePointCount > Self.maxTitleLength {
                    fields.fail("title", "must be at most \(Self.maxTitleLength) characters (got \(raw.codePointCount))")
                } else {
                    self.title = title
                }
            }
        }
        if fields.has("description") {
            let text = fields.string("description") ?? ""
            if text.codePointCount > Self.maxDescriptionLength {
                fields.fail("description", "must be at most \(Self.maxDescriptionLength) characters (got \(text.codePointCount))")
            } else {
                description = Self.normalizeDescription(text)
            }
        }
        if let text = fields.string("status") {
            if let value = TaskStatus(rawValue: text.lowercased()) {
                status = value
            } else {
                fields.fail("status", "must be one of pending, completed")
            }
        }
        if let done = fields.bool("completed") {
            if let status, status != (done ? .completed : .pending) {
                fields.fail("completed", "contradicts status")
            }
            status = done ? .completed : .pending
        }
        if fields.has("priority") {
            if fields.isNull("priority") {
                priority = TaskPriority.none
            } else if let text = fields.string("priority") {
                if let value = TaskPriority(parsing: text) {
                    priority = value
                } else {
                    fields.fail("priority", "must be one of none, low, medium, high, urgent")
                }
            }
        }
        if fields.has("tags") {
            if fields.isNull("tags") {
                tags = []
            } else if let list = fields.stringList("tags") {
                switch Self.normalizeTags(list) {
                case .success(let normalized): tags = normalized
                case .failure(let error): fields.fail("tags", error.message)
                }
            }
        }
        let dueKey = fields.has("due_at") ? "due_at" : "due"
        if fields.has(dueKey) {
            if fields.isNull(dueKey) {
                due = .clear
            } else if let text = fields.string(dueKey) {
                if let parsed = Timestamp.parse(text, timeZone: timeZone) {
                    due = .set(parsed)
                } else {
                    fields.fail(
                        dueKey,
                        Timestamp.yearProblem(text) ?? "must be an RFC 3339 date-time like 2026-12-01T09:00:00Z or a date like 2026-12-01"
                    )
                }
            }
        }
        allDay = fields.bool("all_day")
        if fields.has("reminders") {
            if fields.isNull("reminders") {
                reminders = []
            } else if let items = fields.array("reminders") {
                if items.count > Self.maxReminders {
                    fields.fail("reminders", "must hold at most \(Self.maxReminders) reminders")
                } else {
                    var triggers: [ReminderTrigger] = []
                    for (index, item) in items.enumerated() {
                        // The same reminder twice is one reminder, as the same tag twice is one tag.
                        if let trigger = Self.reminder(item, field: "reminders[\(index)]", timeZone: timeZone, fields: &fields),
                            !triggers.contains(trigger)
                        {
                            triggers.append(trigger)
                        }
                    }
                    reminders = triggers
                }
            }
        }
        if fields.has("recurrence") {
            if fields.isNull("recurrence") {
                recurrence = .clear
            } else if let value = fields.object["recurrence"] {
                if let rule = Self.recurrence(value, timeZone: timeZone, fields: &fields) {
                    recurrence = .set(rule)
                }
            }
        }
        guard fields.errors.isEmpty else { throw .validationFailed(fields.errors) }
    }

    /// One line: line breaks, tabs and other control characters become single spaces.
    static func normalizeTitle(_ raw: String) -> String {
        raw.split(whereSeparator: { $0.isNewline || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
            .joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Lines and tabs stay; other control characters (NUL, escape, …) go.
    static func normalizeDescription(_ raw: String) -> String {
        func kept(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory != .control || "\n\r\t".unicodeScalars.contains(scalar) }
        guard !raw.unicodeScalars.allSatisfy(kept) else { return raw }
        return String(String.UnicodeScalarView(raw.unicodeScalars.filter(kept)))
    }

    /// Changes that did not come as JSON (quick add) checked as `init(json:timeZone:)` checks them: tags normalized and
    /// within their limits, at most `maxReminders` reminders. Field errors name the fields of the JSON form.
    public func validated() throws(TaskpilotError) -> TaskChanges {
        var checked = self
        var errors: [FieldError] = []
        if let tags {
            switch Self.normalizeTags(tags) {
            case .success(let normalized): checked.tags = normalized
            case .failure(let error): errors.append(error)
            }
        }
        if let reminders, reminders.count > Self.maxReminders {
            errors.append(FieldError("reminders", "must hold at most \(Self.maxReminders) reminders"))
        }
        guard errors.isEmpty else { throw .validationFailed(errors) }
        return checked
    }

    /// Lowercases tags (in Unicode's composed form, so "café" is one tag however it was typed), strips a leading `#`,
    /// removes duplicates and checks the limits.
    public static func normalizeTags(_ raw: [String]) -> Result<[String], FieldError> {
        var seen = Set<String>()
        var tags: [String] = []
        for item in raw {
            if let tag = plainTag(item) {
                if seen.insert(tag).inserted { tags.append(tag) }
                continue
            }
            var tag = item.trimmingCharacters(in: .whitespaces).lowercased().precomposedStringWithCanonicalMapping
            while tag.hasPrefix("#") { tag.removeFirst() }
            guard !tag.isEmpty else { return .failure(FieldError("tags", "must not hold an empty tag")) }
            guard tag.codePointCount <= maxTagLength else {
                return .failure(FieldError("tags", "tag '\(tag.prefix(20))…' is longer than \(maxTagLength) characters"))
            }
            guard tag.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:+&".contains($0) }) else {
                return .failure(FieldError("tags", "'\(tag)' is not a tag: a tag holds only letters, digits and - _ . / : + &"))
            }
            if seen.insert(tag).inserted { tags.append(tag) }
        }
        guard tags.count <= maxTags else { return .failure(FieldError("tags", "must hold at most \(maxTags) tags")) }
        return .success(tags.sorted())
    }

    /// The tag when it is already in the form `normalizeTags` gives (lowercase ASCII letters, digits and - _ . / : + &,
    /// at most `maxTagLength` of them), else nil. Nearly every tag is, and the Foundation calls of the general path
    /// (trimming, Unicode normalization) cost microseconds per tag on every filtered list and every write.
    private static func plainTag(_ text: String) -> String? {
        guard !text.utf8.isEmpty, text.utf8.count <= maxTagLength else { return nil }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "+"),
                UInt8(ascii: "&"):
                continue
            default: return nil
            }
        }
        return text
    }

    private static func reminder(_ value: JSONValue, field: String, timeZone: TimeZone, fields: inout JSONFields) -> ReminderTrigger? {
        if case .number = value {
            var wrapper = JSONFields(["offset_minutes": value], prefix: field + ".")
            let minutes = wrapper.int("offset_minutes", in: 0...525_600)
            fields.append(wrapper.errors)
            return minutes.map { .beforeDue(minutes: $0) }
        }
        guard case .object(let object) = value else {
            fields.fail(field, "must be an object like {\"offset_minutes\": 60} or {\"at\": \"2026-12-01T08:00:00Z\"}")
            return nil
        }
        var item = JSONFields(object, prefix: field + ".")
        item.refuseUnknown(["offset_minutes", "at"], alsoAccepted: ["id", "fire_at", "fired_at"])
        let minutes = item.int("offset_minutes", in: 0...525_600)
        let at = item.string("at")
        defer { fields.append(item.errors) }
        switch (minutes, at) {
        case (let minutes?, nil):
            return .beforeDue(minutes: minutes)
        case (nil, let text?):
            guard let parsed = Timestamp.parse(text, timeZone: timeZone) else {
                item.fail("at", "must be an RFC 3339 date-time like 2026-12-01T08:00:00Z")
                return nil
            }
            return .at(parsed.date)
        case (.some, .some):
            item.fail("offset_minutes", "cannot be combined with at; give one of them")
            return nil
        case (nil, nil):
            if item.errors.isEmpty { item.fail("offset_minutes", "give offset_minutes (minutes before the due date) or at") }
            return nil
        }
    }

    private static func recurrence(_ value: JSONValue, timeZone: TimeZone, fields: inout JSONFields) -> RecurrenceRule? {
        if case .string(let text) = value {
            do {
                // RRULE text is held to the limits of the object form (INTERVAL=0, COUNT=0, BYMONTHDAY=40 read fine).
                let rule = try RecurrenceRule(rrule: text, field: "recurrence", timeZone: timeZone)
                let errors = rule.validate(field: "recurrence")
                guard errors.isEmpty else {
                    fields.append(errors)
                    return nil
                }
                return rule
            } catch {
                if case .validationFailed(let errors) = error { fields.append(errors) }
                return nil
            }
        }
        guard case .object(let object) = value else {
            fields.fail("recurrence", "must be an object like {\"frequency\": \"weekly\", \"by_weekday\": [\"MO\"]} or null")
            return nil
        }
        var item = JSONFields(object, prefix: "recurrence.")
        defer { fields.append(item.errors) }
        item.refuseUnknown(
            ["frequency", "interval", "by_weekday", "by_month_day", "by_set_position", "by_hour", "until", "count", "from_completion", "rrule"],
            alsoAccepted: ["text"]
        )
        var rule: RecurrenceRule
        if let text = item.string("rrule"), item.string("frequency") == nil {
            do {
                rule = try RecurrenceRule(rrule: text, timeZone: timeZone)
            } catch {
                if case .validationFailed(let errors) = error { item.append(errors) }
                return nil
            }
        } else {
            guard let name = item.string("frequency") else {
                if item.errors.isEmpty { item.fail("frequency", "is required: hourly, daily, weekly, monthly or yearly") }
                return nil
            }
            guard let frequency = RecurrenceFrequency(rawValue: name.lowercased()) else {
                item.fail("frequency", "must be one of hourly, daily, weekly, monthly, yearly")
                return nil
            }
            rule = RecurrenceRule(frequency: frequency)
        }
        if let interval = item.int("interval", in: 1...RecurrenceRule.maxInterval) { rule.interval = interval }
        if let days = item.stringList("by_weekday") {
            var weekdays: [Weekday] = []
            for day in days {
                if let weekday = Weekday(parsing: day) {
                    weekdays.append(weekday)
                } else {
                    item.fail("by_weekday", "'\(day)' is not a weekday; use MO, TU, WE, TH, FR, SA, SU")
                }
            }
            rule.byWeekday = weekdays
        }
        /// The whole numbers in `range` of a list field, each wrong one named with its index; nil when absent.
        func numbers(_ key: String, in range: ClosedRange<Int>) -> [Int]? {
            guard let values = item.array(key) else { return nil }
            var numbers: [Int] = []
            for (index, value) in values.enumerated() {
                var wrapper = JSONFields(["\(key)[\(index)]": value], prefix: "recurrence.")
                if let number = wrapper.int("\(key)[\(index)]", in: range) { numbers.append(number) }
                item.append(wrapper.errors)
            }
            return numbers
        }
        if let days = numbers("by_month_day", in: -1...31) { rule.byMonthDay = days }
        if let positions = numbers("by_set_position", in: -31...31) { rule.bySetPosition = positions }
        if let hours = numbers("by_hour", in: 0...23) { rule.byHour = hours }
        if let text = item.string("until") {
            if let parsed = Timestamp.parse(text, timeZone: timeZone) {
                switch parsed {
                case .instant(let date): rule.until = date
                case .day(let start): rule.until = RecurrenceRule.endOfDay(startingAt: start, timeZone: timeZone)
                }
            } else {
                item.fail("until", "must be an RFC 3339 date-time or a date like 2026-12-31")
            }
        }
        if let count = item.int("count", in: 1...100_000) { rule.count = count }
        if let flag = item.bool("from_completion") { rule.fromCompletion = flag }
        // A list with a wrong item is reported once, at the item, not again for what is left of it.
        let reported = item.errors.map(\.field)
        item.append(rule.validate().filter { error in !reported.contains { $0.hasPrefix(error.field + "[") } })
        return item.errors.isEmpty ? rule : nil
    }
}
