import Foundation
import Testing

@testable import TaskpilotCore

@Suite("Task input")
struct TaskChangesTests {
    let utc = zone("UTC")
    let owner = UUID()
    let now = local("2026-11-23T12:00:00Z")

    func parse(_ json: String, zone: TimeZone = zone("UTC")) throws -> TaskChanges {
        try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: zone)
    }

    func fields(of json: String) -> [String] {
        do {
            _ = try parse(json)
            return []
        } catch {
            if case .validationFailed(let errors) = error as? TaskpilotError { return errors.map(\.field) }
            return ["<\(error)>"]
        }
    }

    func create(_ json: String) throws -> TaskItem {
        try TaskItem.blank(userID: owner, now: now).applying(try parse(json), now: now, timeZone: utc)
    }

    @Test(
        "tags come out lowercase, without # and spaces, in NFC, each once and sorted, whether typed plain or not",
        arguments: [
            (["work"], ["work"]), (["a-b_c.d/e:f+g&h", "x1"], ["a-b_c.d/e:f+g&h", "x1"]), (["Work", "work"], ["work"]),
            (["  work ", "#home", "##Home"], ["home", "work"]), (["e\u{301}t\u{e9}"], ["\u{e9}t\u{e9}"]),
            (["\u{c9}T\u{c9}", "\u{e9}t\u{e9}"], ["\u{e9}t\u{e9}"]), (["b", "a", "b"], ["a", "b"]),
            ([String(repeating: "t", count: 40)], [String(repeating: "t", count: 40)]),
        ]
    )
    func normalizedTags(raw: [String], expected: [String]) throws {
        #expect(try TaskChanges.normalizeTags(raw).get() == expected)
    }

    @Test(
        "a tag of 41 characters, a space inside, an empty tag or a # alone is refused",
        arguments: [
            [String(repeating: "t", count: 41)], ["a b"], [""], ["#"], ["   "], ["work!"],
        ]
    )
    func refusedTags(raw: [String]) {
        #expect(throws: FieldError.self) { try TaskChanges.normalizeTags(raw).get() }
    }

    @Test(
        "trimmingWhitespace trims like Foundation's .whitespaces, keeping line breaks",
        arguments: [
            "a", " a", "a ", "\ta\t", "\u{a0}a\u{3000}", "a b", "", "  ", "\na\n", "é", "#x",
        ]
    )
    func trimming(text: String) {
        #expect(text.trimmingWhitespace == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("a full task reads every field")
    func fullTask() throws {
        let task = try create(
            """
            {"title": "  Pay\\nrent  ", "description": "flat 3", "priority": "p1", "tags": ["Home", "#bills", "home"],
             "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 60}, {"at": "2026-11-30T18:00:00Z"}, 60,
             {"at": "2026-11-30T19:00:00+01:00"}], "recurrence": {"frequency": "monthly", "by_month_day": [1]}}
            """
        )
        #expect(task.title == "Pay rent")
        #expect(task.priority == .urgent)
        #expect(task.tags == ["bills", "home"])
        #expect(task.dueAt == local("2026-12-01T09:00:00Z"))
        #expect(task.reminders.map(\.fireAt) == [local("2026-12-01T08:00:00Z"), local("2026-11-30T18:00:00Z")])
        #expect(task.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=1")
    }

    @Test("control characters: a title keeps one line, a description its lines and tabs; no NUL survives")
    func controlCharacters() throws {
        let object: [String: JSONValue] = ["title": .string("a\u{0}b\u{1B}[31mc\td\u{7F}"), "description": .string("line 1\nline\t2\u{0}\u{7}!")]
        let task = try TaskItem.blank(userID: owner, now: now).applying(try TaskChanges(json: object, timeZone: utc), now: now, timeZone: utc)
        #expect(task.title == "a b [31mc d")
        #expect(task.description == "line 1\nline\t2!")
        // A request body holding U+0000 anywhere is refused before any field is read.
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data(#"{"name": "x\u0000"}"#.utf8)) }
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data(#"{"a": [{"b\u0000": 1}]}"#.utf8)) }
        #expect(try JSONValue.parseObject(Data(#"{"a": "\\u0000 is fine as text"}"#.utf8))["a"] == "\\u0000 is fine as text")
    }

    @Test(
        "bad input names the field",
        arguments: [
            (#"{"title": ""}"#, ["title"]),
            (#"{"title": "   "}"#, ["title"]),
            (#"{"title": null}"#, ["title"]),
            (#"{"title": 42}"#, ["title"]),
            ("{\"title\": \"\(String(repeating: "x", count: 201))\"}", ["title"]),
            ("{\"title\": \"a\", \"description\": \"\(String(repeating: "x", count: 4001))\"}", ["description"]),
            (#"{"title": "a", "priority": "huge"}"#, ["priority"]),
            (#"{"title": "a", "priority": 3}"#, ["priority"]),
            (#"{"title": "a", "status": "done-ish"}"#, ["status"]),
            (#"{"title": "a", "completed": "yes"}"#, ["completed"]),
            (#"{"title": "a", "tags": "a b"}"#, ["tags"]),
            (#"{"title": "a", "tags": [1]}"#, ["tags[0]"]),
            (#"{"title": "a", "tags": [""]}"#, ["tags"]),
            ("{\"title\": \"a\", \"tags\": [\"\(String(repeating: "t", count: 41))\"]}", ["tags"]),
            (#"{"title": "a", "tags": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"]}"#, ["tags"]),
            (#"{"title": "a", "due_at": "next week"}"#, ["due_at"]),
            (#"{"title": "a", "due_at": 1764579600}"#, ["due_at"]),
            (#"{"title": "a", "all_day": "no"}"#, ["all_day"]),
            (#"{"title": "a", "reminders": {"offset_minutes": 5}}"#, ["reminders"]),
            (#"{"title": "a", "reminders": [{"offset_minutes": -5}]}"#, ["reminders[0].offset_minutes"]),
            (#"{"title": "a", "reminders": [{"offset_minutes": 5, "at": "2026-12-01T09:00:00Z"}]}"#, ["reminders[0].offset_minutes"]),
            (#"{"title": "a", "reminders": [{}]}"#, ["reminders[0].offset_minutes"]),
            (#"{"title": "a", "reminders": ["soon"]}"#, ["reminders[0]"]),
            (#"{"title": "a", "reminders": [{"at": "later"}]}"#, ["reminders[0].at"]),
            (#"{"title": "a", "recurrence": {"frequency": "minutely"}}"#, ["recurrence.frequency"]),
            (#"{"title": "a", "recurrence": {}}"#, ["recurrence.frequency"]),
            (#"{"title": "a", "recurrence": {"frequency": "daily", "interval": 0}}"#, ["recurrence.interval"]),
            (#"{"title": "a", "recurrence": {"frequency": "daily", "interval": 1.5}}"#, ["recurrence.interval"]),
            (#"{"title": "a", "recurrence": {"frequency": "weekly", "by_weekday": ["funday"]}}"#, ["recurrence.by_weekday"]),
            (#"{"title": "a", "recurrence": {"frequency": "monthly", "by_month_day": [0]}}"#, ["recurrence.by_month_day"]),
            (#"{"title": "a", "recurrence": {"frequency": "monthly", "by_month_day": [40]}}"#, ["recurrence.by_month_day[0]"]),
            (#"{"title": "a", "recurrence": "FREQ=SECONDLY"}"#, ["recurrence"]),
            // RRULE text keeps the limits of the object form.
            (#"{"title": "a", "recurrence": "FREQ=WEEKLY;INTERVAL=0"}"#, ["recurrence.interval"]),
            (#"{"title": "a", "recurrence": "FREQ=DAILY;COUNT=0"}"#, ["recurrence.count"]),
            (#"{"title": "a", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=40"}"#, ["recurrence.by_month_day"]),
            (#"{"title": "a", "recurrence": 7}"#, ["recurrence"]),
            (#"{"title": 1, "priority": "x", "due_at": "y"}"#, ["title", "priority", "due_at"]),
        ]
    )
    func badInput(_ json: String, _ expected: [String]) {
        #expect(fields(of: json) == expected)
    }

    @Test("rules that need the whole task: recurrence and relative reminders need a due date")
    func wholeTaskRules() throws {
        #expect(throws: TaskpilotError.self) { try create(#"{"title": "a", "recurrence": {"frequency": "daily"}}"#) }
        #expect(throws: TaskpilotError.self) { try create(#"{"title": "a", "reminders": [{"offset_minutes": 10}]}"#) }
        #expect(throws: TaskpilotError.self) { try create(#"{"description": "no title"}"#) }
        #expect(throws: TaskpilotError.self) { try create(#"{"title": "a", "all_day": true}"#) }
        let endsBeforeStart = TaskpilotError.validationFailed([FieldError("recurrence.until", "must not be before the first due date (due_at)")])
        #expect(throws: endsBeforeStart) {
            try create(#"{"title": "a", "due_at": "2026-12-10", "recurrence": {"frequency": "daily", "until": "2026-12-01"}}"#)
        }
        #expect(try create(#"{"title": "a", "due_at": "2026-12-10", "recurrence": {"frequency": "daily", "until": "2026-12-10"}}"#).recurrence != nil)
    }

    @Test("a plain date makes an all-day task at the start of the user's day")
    func allDay() throws {
        let tokyo = zone("Asia/Tokyo")
        let changes = try parse(#"{"title": "a", "due_at": "2026-12-01"}"#, zone: tokyo)
        let task = try TaskItem.blank(userID: owner, now: now).applying(changes, now: now, timeZone: tokyo)
        #expect(task.allDay)
        #expect(task.dueAt == local("2026-11-30T15:00:00Z"))
        #expect(task.isOverdue(now: local("2026-12-01T14:00:00Z")) == false)
        #expect(task.isOverdue(now: local("2026-12-01T15:00:01Z")))
    }

    @Test("changing the due date re-arms relative reminders and keeps the rule's day of the month")
    func rearm() throws {
        var task = try create(
            #"{"title": "a", "due_at": "2026-12-10T09:00:00Z", "reminders": [{"offset_minutes": 30}], "recurrence": {"frequency": "monthly"}}"#
        )
        #expect(task.recurrence?.byMonthDay == [10])
        task.reminders[0].id = 5
        task.reminders[0].firedAt = now
        let moved = try task.applying(try parse(#"{"due_at": "2026-12-12T09:00:00Z"}"#), now: now, timeZone: utc)
        #expect(moved.reminders.first?.fireAt == local("2026-12-12T08:30:00Z"))
        #expect(moved.reminders.first?.firedAt == nil)
        #expect(moved.recurrence?.byMonthDay == [10])
        let cleared = try task.applying(try parse(#"{"due_at": null, "recurrence": null, "reminders": []}"#), now: now, timeZone: utc)
        #expect(cleared.dueAt == nil && cleared.recurrence == nil && cleared.reminders.isEmpty)
    }

    @Test("completing stamps completed_at and reopening clears it")
    func completion() throws {
        let task = try create(#"{"title": "a"}"#)
        let done = try task.applying(TaskChanges(status: .completed), now: now, timeZone: utc)
        #expect(done.completedAt == now)
        let reopened = try done.applying(TaskChanges(status: .pending), now: now, timeZone: utc)
        #expect(reopened.completedAt == nil && reopened.status == .pending)
    }

    @Test(
        "a field a task does not take is refused with a guess at the one meant",
        arguments: [
            ("due_date", "due_at"), ("dueAt", "due_at"), ("tag", "tags"), ("Priority", "priority"), ("titel", "title"),
            ("desc", "description"), ("recurence", "recurrence"), ("allday", "all_day"), ("colour", nil), ("x", nil),
        ] as [(String, String?)]
    )
    func unknownField(_ key: String, _ guess: String?) {
        #expect(JSONFields.closest(to: key, among: TaskChanges.fieldNames) == guess)
        #expect(fields(of: #"{"title": "a", "\#(key)": 1}"#) == [key])
    }

    @Test("of two names as near, the guess is the one nearest in length ('tag' is tags before tagged)")
    func nearestGuess() {
        #expect(JSONFields.closest(to: "tag", among: ["tagged", "tags"]) == "tags")
        #expect(JSONFields.closest(to: "due_date", among: ["due", "due_after", "due_before"]) == "due")
        #expect(JSONFields.closest(to: "id", among: ["task_id", "title"]) == "task_id")
    }

    @Test("the read-only fields of a task as shown, and the due alias, are accepted")
    func readOnlyFields() throws {
        let changes = try parse(
            #"{"title": "a", "id": 4, "overdue": false, "series_id": null, "occurrence": 1, "completed_at": null, "created_at": "x", "updated_at": "x", "due": "2026-12-01"}"#
        )
        #expect(changes.title == "a")
        #expect(
            fields(of: #"{"recurrence": {"frequency": "daily", "text": "every day", "every": 2}, "due_at": "2026-12-01"}"#) == ["recurrence.every"]
        )
        #expect(fields(of: #"{"reminders": [{"at": "2026-12-01T08:00:00Z", "fired_at": null, "note": "x"}]}"#) == ["reminders[0].note"])
    }

    @Test("malformed JSON is refused before any field is read", arguments: ["", "{", "[1,2]", "\"text\"", "{\"title\": }", "null"])
    func malformed(_ body: String) {
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data(body.utf8)) }
    }

    func create(_ json: String, zone timeZone: TimeZone) throws -> TaskItem {
        try TaskItem.blank(userID: owner, now: now).applying(try parse(json, zone: timeZone), now: now, timeZone: timeZone)
    }

    @Test(
        "moving only the due date moves one occurrence: the rule's explicit parts stay",
        arguments: [
            (#"{"frequency": "monthly", "by_month_day": [1]}"#, "FREQ=MONTHLY;BYMONTHDAY=1"),
            (#"{"rrule": "FREQ=MONTHLY;BYMONTHDAY=1"}"#, "FREQ=MONTHLY;BYMONTHDAY=1"),
            (#""FREQ=MONTHLY;BYMONTHDAY=1""#, "FREQ=MONTHLY;BYMONTHDAY=1"),
            (#"{"frequency": "monthly", "interval": 2, "by_month_day": [1]}"#, "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1"),
            (#"{"frequency": "monthly"}"#, "FREQ=MONTHLY;BYMONTHDAY=1"),
            (#"{"frequency": "monthly", "by_month_day": [1, 15]}"#, "FREQ=MONTHLY;BYMONTHDAY=1,15"),
            (#"{"frequency": "monthly", "by_month_day": [-1]}"#, "FREQ=MONTHLY;BYMONTHDAY=-1"),
            (#"{"frequency": "weekly", "by_weekday": ["FR"]}"#, "FREQ=WEEKLY;BYDAY=FR"),
            (#"{"frequency": "daily", "interval": 3}"#, "FREQ=DAILY;INTERVAL=3"),
        ]
    )
    func movingDueKeepsRule(_ recurrence: String, _ expected: String) throws {
        let paris = zone("Europe/Paris")
        let task = try create(#"{"title": "rent", "due_at": "2027-01-01T09:00", "recurrence": \#(recurrence)}"#, zone: paris)
        #expect(task.recurrence?.rrule == expected)
        let moved = try task.applying(try parse(#"{"due_at": "2027-01-04T09:00"}"#, zone: paris), now: now, timeZone: paris)
        #expect(moved.dueAt == local("2027-01-04T09:00", paris))
        #expect(moved.recurrence == task.recurrence)
        #expect(moved.recurrence?.rrule == expected)
    }

    @Test("moving a yearly task's due date moves its day with its month; the last day of the month stays the last day")
    func movingDueMovesYearlyDay() throws {
        let paris = zone("Europe/Paris")
        let task = try create(#"{"title": "birthday", "due_at": "2027-01-01T09:00", "recurrence": {"frequency": "yearly"}}"#, zone: paris)
        #expect(task.recurrence?.rrule == "FREQ=YEARLY;BYMONTHDAY=1")
        let moved = try task.applying(try parse(#"{"due_at": "2027-04-05T09:00"}"#, zone: paris), now: now, timeZone: paris)
        #expect(moved.recurrence?.rrule == "FREQ=YEARLY;BYMONTHDAY=5")
        let last = try create(
            #"{"title": "end", "due_at": "2027-02-28T09:00", "recurrence": {"frequency": "yearly", "by_month_day": [-1]}}"#,
            zone: paris
        )
        let lastMoved = try last.applying(try parse(#"{"due_at": "2027-03-31T09:00"}"#, zone: paris), now: now, timeZone: paris)
        #expect(lastMoved.recurrence?.rrule == "FREQ=YEARLY;BYMONTHDAY=-1")
    }

    @Test("a missing day of the month is filled from the due date whenever a rule is given, with the new due date if both change")
    func newRuleTakesDueDay() throws {
        let paris = zone("Europe/Paris")
        let task = try create(
            #"{"title": "rent", "due_at": "2027-01-01T09:00", "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#,
            zone: paris
        )
        let both = try task.applying(
            try parse(#"{"due_at": "2027-01-04T09:00", "recurrence": {"frequency": "monthly"}}"#, zone: paris),
            now: now,
            timeZone: paris
        )
        #expect(both.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=4")
        let explicit = try task.applying(
            try parse(#"{"due_at": "2027-01-04T09:00", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=20"}"#, zone: paris),
            now: now,
            timeZone: paris
        )
        #expect(explicit.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=20")
        let ruleOnly = try task.applying(
            try parse(#"{"recurrence": {"frequency": "monthly", "interval": 2}}"#, zone: paris),
            now: now,
            timeZone: paris
        )
        #expect(ruleOnly.recurrence?.rrule == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1")
    }

    @Test(
        "a date-only UNTIL ends the series at the end of that day in the user's zone, as the until field does",
        arguments: [
            #"{"rrule": "FREQ=DAILY;UNTIL=20261210"}"#,
            #""RRULE:FREQ=DAILY;UNTIL=20261210""#,
            #"{"frequency": "daily", "until": "2026-12-10"}"#,
            #"{"rrule": "FREQ=DAILY", "until": "2026-12-10"}"#,
        ]
    )
    func dateOnlyUntil(_ recurrence: String) throws {
        let paris = zone("Europe/Paris")
        let task = try create(#"{"title": "a", "due_at": "2026-12-09T00:30", "recurrence": \#(recurrence)}"#, zone: paris)
        let rule = try #require(task.recurrence)
        #expect(rule.until == local("2026-12-10T23:59:59", paris))
        #expect(rule.rrule == "FREQ=DAILY;UNTIL=20261210T225959Z")
        #expect(rule.text(timeZone: paris) == "every day until Dec 10, 2026")
        let second = try #require(rule.nextDue(previousDue: task.dueAt!, completedAt: task.dueAt!, occurrence: 1, timeZone: paris))
        #expect(wallClock(second, paris) == "2026-12-10 00:30")
        #expect(rule.nextDue(previousDue: second, completedAt: second, occurrence: 2, timeZone: paris) == nil)
        // What the store writes reads back to the same end.
        #expect(try RecurrenceRule(rrule: rule.rrule).until == rule.until)
    }

    @Test("an until date is the end of a local day even when the day has 25 or 23 hours; an UNTIL with a time stays UTC")
    func untilOnDaylightSavingDays() throws {
        let paris = zone("Europe/Paris")
        for (json, expected) in [
            (#"{"frequency": "daily", "until": "2026-10-25"}"#, "2026-10-25T23:59:59"),
            (#""FREQ=DAILY;UNTIL=20260329""#, "2026-03-29T23:59:59"),
        ] {
            let task = try create(#"{"title": "a", "due_at": "2026-03-01T09:00", "recurrence": \#(json)}"#, zone: paris)
            #expect(task.recurrence?.until == local(expected, paris), "\(json)")
        }
        let utcUntil = try create(#"{"title": "a", "due_at": "2026-03-01T09:00", "recurrence": "FREQ=DAILY;UNTIL=20261210T120000Z"}"#, zone: paris)
        #expect(utcUntil.recurrence?.until == local("2026-12-10T12:00:00Z"))
    }
}
