import Foundation
import Testing

@testable import TaskpilotCore

@Suite("Recurrence rules")
struct RecurrenceRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rule: RecurrenceRule
        let zone: String
        let from: String
        let expected: String
        var testDescription: String { "\(rule.rrule) from \(from) in \(zone) → \(expected)" }
    }

    static let cases: [Case] = [
        // Month ends: the 31st clamps to the last day of shorter months and comes back after them.
        Case(rule: .init(frequency: .monthly, byMonthDay: [31]), zone: "UTC", from: "2026-01-31T09:00", expected: "2026-02-28 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [31]), zone: "UTC", from: "2026-02-28T09:00", expected: "2026-03-31 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [31]), zone: "UTC", from: "2026-03-31T09:00", expected: "2026-04-30 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [30]), zone: "UTC", from: "2027-01-30T09:00", expected: "2027-02-28 09:00"),
        // Leap years.
        Case(rule: .init(frequency: .monthly, byMonthDay: [31]), zone: "UTC", from: "2028-01-31T09:00", expected: "2028-02-29 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [29]), zone: "UTC", from: "2027-01-29T08:00", expected: "2027-02-28 08:00"),
        Case(rule: .init(frequency: .yearly, byMonthDay: [29]), zone: "UTC", from: "2028-02-29T10:00", expected: "2029-02-28 10:00"),
        Case(rule: .init(frequency: .yearly, byMonthDay: [29]), zone: "UTC", from: "2031-02-28T10:00", expected: "2032-02-29 10:00"),
        Case(rule: .init(frequency: .yearly), zone: "UTC", from: "2026-03-05T07:15", expected: "2027-03-05 07:15"),
        Case(rule: .init(frequency: .yearly, interval: 4), zone: "UTC", from: "2024-02-29T07:15", expected: "2028-02-29 07:15"),
        // The last day of the month.
        Case(rule: .init(frequency: .monthly, byMonthDay: [-1]), zone: "UTC", from: "2026-04-30T18:00", expected: "2026-05-31 18:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [-1]), zone: "UTC", from: "2026-01-31T18:00", expected: "2026-02-28 18:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [-1]), zone: "UTC", from: "2028-01-15T18:00", expected: "2028-01-31 18:00"),
        // Several days of the month, and intervals.
        Case(rule: .init(frequency: .monthly, byMonthDay: [1]), zone: "UTC", from: "2026-11-23T09:00", expected: "2026-12-01 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [1, 15]), zone: "UTC", from: "2026-12-01T09:00", expected: "2026-12-15 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [1, 15]), zone: "UTC", from: "2026-12-15T09:00", expected: "2027-01-01 09:00"),
        Case(rule: .init(frequency: .monthly, interval: 3, byMonthDay: [30]), zone: "UTC", from: "2026-11-30T09:00", expected: "2027-02-28 09:00"),
        Case(rule: .init(frequency: .monthly, interval: 12, byMonthDay: [15]), zone: "UTC", from: "2026-06-15T09:00", expected: "2027-06-15 09:00"),
        // Daily, across the year end.
        Case(rule: .init(frequency: .daily), zone: "UTC", from: "2026-12-31T23:30", expected: "2027-01-01 23:30"),
        Case(rule: .init(frequency: .daily, interval: 3), zone: "UTC", from: "2026-02-27T06:00", expected: "2026-03-02 06:00"),
        Case(rule: .init(frequency: .daily, interval: 3), zone: "UTC", from: "2028-02-27T06:00", expected: "2028-03-01 06:00"),
        // Weekly.
        Case(rule: .init(frequency: .weekly), zone: "UTC", from: "2026-11-23T09:00", expected: "2026-11-30 09:00"),
        Case(
            rule: .init(frequency: .weekly, byWeekday: [.monday, .wednesday, .friday]),
            zone: "UTC",
            from: "2026-11-23T09:00",
            expected: "2026-11-25 09:00"
        ),
        Case(
            rule: .init(frequency: .weekly, byWeekday: [.monday, .wednesday, .friday]),
            zone: "UTC",
            from: "2026-11-27T09:00",
            expected: "2026-11-30 09:00"
        ),
        Case(rule: .init(frequency: .weekly, interval: 2, byWeekday: [.monday]), zone: "UTC", from: "2026-11-23T09:00", expected: "2026-12-07 09:00"),
        Case(
            rule: .init(frequency: .weekly, interval: 2, byWeekday: [.monday, .thursday]),
            zone: "UTC",
            from: "2026-11-26T09:00",
            expected: "2026-12-07 09:00"
        ),
        Case(rule: .init(frequency: .weekly, byWeekday: Weekday.workdays), zone: "UTC", from: "2026-11-27T09:00", expected: "2026-11-30 09:00"),
        Case(rule: .init(frequency: .weekly, byWeekday: Weekday.workdays), zone: "UTC", from: "2026-11-28T09:00", expected: "2026-11-30 09:00"),
        Case(rule: .init(frequency: .weekly, byWeekday: [.sunday]), zone: "UTC", from: "2026-11-29T20:00", expected: "2026-12-06 20:00"),
        Case(rule: .init(frequency: .weekly, byWeekday: [.sunday]), zone: "UTC", from: "2026-12-31T20:00", expected: "2027-01-03 20:00"),
        // Daylight saving: the wall-clock time stays, the UTC offset moves.
        Case(rule: .init(frequency: .daily), zone: "America/New_York", from: "2026-10-31T09:00", expected: "2026-11-01 09:00"),
        Case(rule: .init(frequency: .daily), zone: "America/New_York", from: "2026-03-07T09:00", expected: "2026-03-08 09:00"),
        Case(rule: .init(frequency: .daily), zone: "Europe/Berlin", from: "2026-03-28T09:00", expected: "2026-03-29 09:00"),
        Case(rule: .init(frequency: .weekly), zone: "Europe/Berlin", from: "2026-10-20T08:30", expected: "2026-10-27 08:30"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [25]), zone: "Europe/London", from: "2026-03-25T07:00", expected: "2026-04-25 07:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [1]), zone: "Australia/Sydney", from: "2026-09-01T09:00", expected: "2026-10-01 09:00"),
        Case(rule: .init(frequency: .monthly, byMonthDay: [1]), zone: "Australia/Sydney", from: "2026-10-01T09:00", expected: "2026-11-01 09:00"),
        // Weekdays at a position in the month (BYSETPOS): the first Friday, the first and third Monday, the last weekday.
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1]),
            zone: "UTC",
            from: "2026-12-04T19:00",
            expected: "2027-01-01 19:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1]),
            zone: "UTC",
            from: "2026-12-01T09:00",
            expected: "2026-12-04 09:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.friday], bySetPosition: [-1]),
            zone: "UTC",
            from: "2026-12-04T09:00",
            expected: "2026-12-25 09:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.monday], bySetPosition: [1, 3]),
            zone: "UTC",
            from: "2027-02-01T08:00",
            expected: "2027-02-15 08:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.monday], bySetPosition: [1, 3]),
            zone: "UTC",
            from: "2027-02-15T08:00",
            expected: "2027-03-01 08:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [-1]),
            zone: "UTC",
            from: "2026-11-30T17:00",
            expected: "2026-12-31 17:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [-1]),
            zone: "UTC",
            from: "2027-01-29T17:00",
            expected: "2027-02-26 17:00"
        ),
        // A month without a fifth Friday is skipped.
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.friday], bySetPosition: [5]),
            zone: "UTC",
            from: "2027-01-29T10:00",
            expected: "2027-04-30 10:00"
        ),
        Case(
            rule: .init(frequency: .monthly, interval: 2, byWeekday: [.tuesday], bySetPosition: [2]),
            zone: "UTC",
            from: "2026-12-08T09:00",
            expected: "2027-02-09 09:00"
        ),
        Case(
            rule: .init(frequency: .yearly, byWeekday: [.thursday], bySetPosition: [4]),
            zone: "UTC",
            from: "2026-11-26T12:00",
            expected: "2027-11-25 12:00"
        ),
        Case(
            rule: .init(frequency: .monthly, byWeekday: [.sunday], bySetPosition: [1]),
            zone: "Europe/Berlin",
            from: "2026-03-01T09:00",
            expected: "2026-04-05 09:00"
        ),
    ]

    @Test("next occurrence", arguments: cases)
    func nextOccurrence(_ example: Case) throws {
        let timeZone = zone(example.zone)
        let reference = local(example.from, timeZone)
        let next = try #require(example.rule.nextOccurrence(after: reference, timeZone: timeZone))
        #expect(wallClock(next, timeZone) == example.expected)
    }

    @Test("DST changes keep the local time, so the UTC instant moves by the offset change")
    func daylightSavingMovesUTC() throws {
        let newYork = zone("America/New_York")
        let next = try #require(RecurrenceRule(frequency: .daily).nextOccurrence(after: local("2026-10-31T09:00", newYork), timeZone: newYork))
        #expect(Timestamp.format(next) == "2026-11-01T14:00:00Z")
    }

    @Test("a time inside the spring-forward gap lands on the right day")
    func springForwardGap() throws {
        let berlin = zone("Europe/Berlin")
        let reference = local("2026-03-28T02:30", berlin)
        let next = try #require(RecurrenceRule(frequency: .daily).nextOccurrence(after: reference, timeZone: berlin))
        #expect(wallClock(next, berlin).hasPrefix("2026-03-29"))
        #expect(next > reference)
    }

    @Test("the series ends at count and at until")
    func seriesEnds() {
        let rule = RecurrenceRule(frequency: .daily, count: 3)
        let due = local("2026-11-23T09:00")
        #expect(rule.nextDue(previousDue: due, completedAt: due, occurrence: 2, timeZone: zone("UTC")) != nil)
        #expect(rule.nextDue(previousDue: due, completedAt: due, occurrence: 3, timeZone: zone("UTC")) == nil)
        let until = RecurrenceRule(frequency: .weekly, until: local("2026-12-01T00:00"))
        #expect(until.nextDue(previousDue: due, completedAt: due, occurrence: 1, timeZone: zone("UTC")) == local("2026-11-30T09:00"))
        #expect(until.nextDue(previousDue: local("2026-11-30T09:00"), completedAt: due, occurrence: 2, timeZone: zone("UTC")) == nil)
    }

    @Test("a series ends with the year 9999, the last that RFC 3339 dates can say")
    func endOfTime() {
        let lastDay = local("9999-12-31T09:00")
        #expect(
            RecurrenceRule(frequency: .daily).nextDue(
                previousDue: local("9999-12-30T09:00"),
                completedAt: Date(),
                occurrence: 1,
                timeZone: zone("UTC")
            ) == lastDay
        )
        #expect(RecurrenceRule(frequency: .daily).nextDue(previousDue: lastDay, completedAt: Date(), occurrence: 1, timeZone: zone("UTC")) == nil)
        #expect(
            RecurrenceRule(frequency: .hourly, interval: 24).nextDue(previousDue: lastDay, completedAt: Date(), occurrence: 1, timeZone: zone("UTC"))
                == nil
        )
    }

    @Test("from completion counts from the completion day and keeps the due time of day")
    func fromCompletion() {
        let rule = RecurrenceRule(frequency: .daily, interval: 2, fromCompletion: true)
        let next = rule.nextDue(
            previousDue: local("2026-11-20T09:00"),
            completedAt: local("2026-11-23T15:00"),
            occurrence: 1,
            timeZone: zone("UTC")
        )
        #expect(next == local("2026-11-25T09:00"))
        let monthly = RecurrenceRule(frequency: .monthly, fromCompletion: true)
        #expect(
            monthly.nextDue(previousDue: local("2026-01-10T09:00"), completedAt: local("2026-01-31T20:00"), occurrence: 1, timeZone: zone("UTC"))
                == local("2026-02-28T09:00")
        )
    }

    @Test("an iCalendar block of several lines is refused as more than one rule, not for its FREQ")
    func severalLines() {
        #expect {
            try RecurrenceRule(rrule: "FREQ=DAILY\nEXDATE:20261224T090000Z")
        } throws: { error in
            guard case TaskpilotError.validationFailed(let errors) = error else { return false }
            return errors.first?.message.contains("one RRULE line") == true
        }
    }

    @Test("an hourly rule counts elapsed hours, across a daylight-saving change, and goes on after a late completion")
    func hourly() throws {
        let newYork = zone("America/New_York")
        let rule = RecurrenceRule(frequency: .hourly, interval: 2)
        #expect(rule.text() == "every 2 hours" && RecurrenceRule(frequency: .hourly).text() == "every hour")
        #expect(rule.rrule == "FREQ=HOURLY;INTERVAL=2")
        #expect(try RecurrenceRule(rrule: "FREQ=HOURLY;INTERVAL=2") == rule)
        // 00:30 on the night the clocks go back, 2 hours later is 01:30 the second time (EST): 2 hours of elapsed time.
        let night = try #require(Timestamp.parse("2026-11-01T00:30:00-04:00", timeZone: newYork)?.date)
        #expect(rule.nextOccurrence(after: night, timeZone: newYork).map(Timestamp.format) == "2026-11-01T06:30:00Z")
        // On time: 2 hours after the due time; late (completed at 13:10 for 08:00): the first time after, 14:00.
        let due = local("2026-11-23T08:00")
        #expect(
            rule.nextDue(previousDue: due, completedAt: local("2026-11-23T08:05"), occurrence: 1, timeZone: zone("UTC")) == local("2026-11-23T10:00")
        )
        #expect(
            rule.nextDue(previousDue: due, completedAt: local("2026-11-23T13:10"), occurrence: 1, timeZone: zone("UTC")) == local("2026-11-23T14:00")
        )
        #expect(
            rule.nextDue(previousDue: due, completedAt: local("2026-11-23T14:00"), occurrence: 1, timeZone: zone("UTC")) == local("2026-11-23T16:00")
        )
        // From completion: 2 hours after it.
        let loose = RecurrenceRule(frequency: .hourly, interval: 2, fromCompletion: true)
        #expect(
            loose.nextDue(previousDue: due, completedAt: local("2026-11-23T13:10"), occurrence: 1, timeZone: zone("UTC"))
                == local("2026-11-23T15:10")
        )
        // No days, weekdays or positions; no time of day remembered for a gap.
        #expect(RecurrenceRule(frequency: .hourly, byWeekday: [.monday]).validate().map(\.field) == ["recurrence.by_weekday"])
        #expect(RecurrenceRule(frequency: .hourly, byMonthDay: [1]).validate().map(\.field) == ["recurrence.by_month_day"])
        let berlin = zone("Europe/Berlin")
        #expect(RecurrenceRule(frequency: .hourly).normalized(anchor: local("2027-03-27T02:30", berlin), timeZone: berlin).timeOfDay == nil)
    }

    @Test("several times a day: the next hour that day, then the first hour of the next day the rule falls on")
    func severalTimesADay() throws {
        let utc = zone("UTC")
        func next(_ rule: RecurrenceRule, _ from: String) -> Date? { rule.nextOccurrence(after: local(from), timeZone: utc) }
        let twice = RecurrenceRule(frequency: .daily, byHour: [8, 20])
        #expect(next(twice, "2026-11-23T08:00") == local("2026-11-23T20:00"))
        #expect(next(twice, "2026-11-23T20:00") == local("2026-11-24T08:00"))
        #expect(next(twice, "2026-11-23T08:30") == local("2026-11-23T20:30"), "at the minute of the due date")
        #expect(next(twice, "2026-11-30T20:00") == local("2026-12-01T08:00"), "across a month end")
        var everyOtherDay = twice
        everyOtherDay.interval = 2
        #expect(next(everyOtherDay, "2026-11-23T20:00") == local("2026-11-25T08:00"))
        // Weekly: the hours on each listed day; a due date on another day goes on at the first listed day.
        let office = RecurrenceRule(frequency: .weekly, byWeekday: [.monday, .wednesday], byHour: [9, 17])
        #expect(next(office, "2026-11-23T09:00") == local("2026-11-23T17:00"))
        #expect(next(office, "2026-11-23T17:00") == local("2026-11-25T09:00"))
        #expect(next(office, "2026-11-22T09:00") == local("2026-11-23T09:00"), "Sunday is not one of its days")
        // Completed late: the first of its times after the completion.
        let thrice = RecurrenceRule(frequency: .daily, byHour: [8, 14, 20])
        let due = local("2026-11-23T08:00")
        #expect(thrice.nextDue(previousDue: due, completedAt: local("2026-11-23T08:10"), occurrence: 1, timeZone: utc) == local("2026-11-23T14:00"))
        #expect(thrice.nextDue(previousDue: due, completedAt: local("2026-11-23T15:00"), occurrence: 1, timeZone: utc) == local("2026-11-23T20:00"))
        #expect(thrice.nextDue(previousDue: due, completedAt: local("2026-11-23T21:00"), occurrence: 1, timeZone: utc) == local("2026-11-24T08:00"))
        #expect(thrice.nextDue(previousDue: due, completedAt: local("2027-11-23T21:00"), occurrence: 1, timeZone: utc) == local("2027-11-24T08:00"))
        // Text both ways.
        #expect(twice.rrule == "FREQ=DAILY;BYHOUR=8,20")
        #expect(try RecurrenceRule(rrule: "FREQ=DAILY;BYHOUR=20,8").normalized(anchor: nil, timeZone: utc) == twice)
        #expect(twice.text(due: local("2026-11-23T08:30")) == "every day at 8:30 and 20:30")
        #expect(everyOtherDay.text(due: due) == "every 2 days at 8:00 and 20:00")
        #expect(
            RecurrenceRule(frequency: .daily, byHour: Array(stride(from: 8, through: 20, by: 2))).text(due: due) == "every 2 hours from 8:00 to 20:00"
        )
        #expect(RecurrenceRule(frequency: .daily, byHour: Array(9...17)).text(due: due) == "every hour from 9:00 to 17:00")
        #expect(RecurrenceRule(frequency: .weekly, byWeekday: Weekday.workdays, byHour: [9, 17]).text(due: due) == "every weekday at 9:00 and 17:00")
        // Validation: daily or weekly, two or more hours of the day.
        func fields(_ rule: RecurrenceRule) -> [String] { rule.validate().map(\.field) }
        #expect(fields(twice).isEmpty && fields(office).isEmpty)
        #expect(fields(RecurrenceRule(frequency: .monthly, byHour: [8, 20])) == ["recurrence.by_hour"])
        #expect(fields(RecurrenceRule(frequency: .hourly, byHour: [8, 20])) == ["recurrence.by_hour"])
        #expect(fields(RecurrenceRule(frequency: .daily, byHour: [8])) == ["recurrence.by_hour"])
        #expect(fields(RecurrenceRule(frequency: .daily, byHour: [8, 24])) == ["recurrence.by_hour"])
        #expect(throws: TaskpilotError.self) { try RecurrenceRule(rrule: "FREQ=DAILY;BYHOUR=8,25") }
    }

    @Test("several times a day across a daylight-saving gap: the hour in the gap moves that day only, the minute stays")
    func severalTimesADayAcrossAGap() throws {
        let berlin = zone("Europe/Berlin")
        // 02:30 does not exist in Berlin on 2027-03-28.
        let rule = RecurrenceRule(frequency: .daily, byHour: [2, 14]).normalized(anchor: local("2027-03-26T02:30", berlin), timeZone: berlin)
        #expect(rule.timeOfDay?.minute == 30)
        #expect(rule.rrule == "FREQ=DAILY;BYHOUR=2,14;BYMINUTE=30")
        #expect(try RecurrenceRule(rrule: rule.rrule) == rule)
        #expect(rule.shownRRULE(due: nil, timeZone: berlin) == "FREQ=DAILY;BYHOUR=2,14")
        var due = local("2027-03-27T14:30", berlin)
        var seen: [String] = []
        for _ in 0..<4 {
            due = try #require(rule.nextOccurrence(after: due, timeZone: berlin))
            seen.append(Timestamp.format(due))
        }
        #expect(seen[1] == Timestamp.format(local("2027-03-28T14:30", berlin)))
        #expect(seen[2] == Timestamp.format(local("2027-03-29T02:30", berlin)))
        #expect(seen[3] == Timestamp.format(local("2027-03-29T14:30", berlin)))
        // The 02:30 of the gap day comes after the gap, that day.
        #expect(seen[0] == Timestamp.format(local("2027-03-28T03:00", berlin)) || seen[0] == Timestamp.format(local("2027-03-28T03:30", berlin)))
        // Hours that no gap touches remember nothing.
        #expect(
            RecurrenceRule(frequency: .daily, byHour: [8, 20]).normalized(anchor: local("2027-03-26T08:30", berlin), timeZone: berlin).timeOfDay
                == nil
        )
    }

    @Test("a monthly rule remembers the due day, so the 31st survives February")
    func normalizationKeepsDay() throws {
        let utc = zone("UTC")
        let rule = RecurrenceRule(frequency: .monthly).normalized(anchor: local("2026-01-31T09:00"), timeZone: utc)
        #expect(rule.byMonthDay == [31])
        let february = try #require(rule.nextOccurrence(after: local("2026-01-31T09:00"), timeZone: utc))
        let march = try #require(rule.nextOccurrence(after: february, timeZone: utc))
        #expect(wallClock(march) == "2026-03-31 09:00")
    }

    @Test(
        "RRULE text",
        arguments: [
            (RecurrenceRule(frequency: .monthly, byMonthDay: [1]), "FREQ=MONTHLY;BYMONTHDAY=1"),
            (RecurrenceRule(frequency: .daily), "FREQ=DAILY"),
            (RecurrenceRule(frequency: .weekly, interval: 2, byWeekday: [.monday, .thursday]), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),
            (RecurrenceRule(frequency: .monthly, byMonthDay: [-1], count: 12), "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12"),
            (RecurrenceRule(frequency: .yearly, until: local("2030-12-31T23:59:59")), "FREQ=YEARLY;UNTIL=20301231T235959Z"),
            (RecurrenceRule(frequency: .daily, timeOfDay: .init(hour: 2, minute: 30)), "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"),
            (
                RecurrenceRule(frequency: .monthly, byMonthDay: [28], timeOfDay: .init(hour: 2, minute: 0, second: 15)),
                "FREQ=MONTHLY;BYMONTHDAY=28;BYHOUR=2;BYMINUTE=0;BYSECOND=15"
            ),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1]), "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=1"),
            (RecurrenceRule(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [-1]), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
        ]
    )
    func rruleText(_ rule: RecurrenceRule, _ text: String) throws {
        #expect(rule.rrule == text)
        #expect(try RecurrenceRule(rrule: text) == rule)
        #expect(try RecurrenceRule(rrule: "RRULE:" + text.lowercased()) == rule)
    }

    @Test(
        "BYDAY with positions (1FR: the first Friday) reads as BYSETPOS",
        arguments: [
            ("FREQ=MONTHLY;BYDAY=1FR", RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1])),
            ("FREQ=MONTHLY;BYDAY=-1FR", RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [-1])),
            ("FREQ=MONTHLY;BYDAY=+4TU,2TU", RecurrenceRule(frequency: .monthly, byWeekday: [.tuesday], bySetPosition: [2, 4])),
            (
                "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
                {
                    var rule = RecurrenceRule(frequency: .yearly, byWeekday: [.thursday], bySetPosition: [4])
                    rule.byMonth = 11
                    return rule
                }()
            ),
        ]
    )
    func ordinalWeekdays(_ text: String, _ rule: RecurrenceRule) throws {
        #expect(try RecurrenceRule(rrule: text) == rule)
    }

    @Test(
        "human sentence",
        arguments: [
            (RecurrenceRule(frequency: .monthly, byMonthDay: [1]), "every month on the 1st"),
            (RecurrenceRule(frequency: .monthly, byMonthDay: [-1]), "every month on the last day"),
            (RecurrenceRule(frequency: .monthly, byMonthDay: [2, 23]), "every month on the 2nd and 23rd"),
            (RecurrenceRule(frequency: .monthly, byMonthDay: [11, 12, 13]), "every month on the 11th, 12th and 13th"),
            (RecurrenceRule(frequency: .daily), "every day"),
            (RecurrenceRule(frequency: .daily, interval: 3), "every 3 days"),
            (RecurrenceRule(frequency: .weekly, byWeekday: Weekday.workdays), "every weekday"),
            (RecurrenceRule(frequency: .weekly, interval: 2, byWeekday: [.monday]), "every 2 weeks on Monday"),
            (RecurrenceRule(frequency: .weekly, byWeekday: [.tuesday, .friday]), "every week on Tuesday and Friday"),
            (RecurrenceRule(frequency: .weekly, interval: 2, fromCompletion: true), "every 2 weeks after completion"),
            (RecurrenceRule(frequency: .yearly, count: 5), "every year, 5 times"),
            (RecurrenceRule(frequency: .daily, until: local("2026-12-31T12:00")), "every day until Dec 31, 2026"),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1]), "every month on the first Friday"),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.monday], bySetPosition: [1, 3]), "every month on the first and third Monday"),
            (RecurrenceRule(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [-1]), "every month on the last weekday"),
            (RecurrenceRule(frequency: .monthly, interval: 2, byWeekday: [.tuesday], bySetPosition: [2]), "every 2 months on the second Tuesday"),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.monday, .friday], bySetPosition: [-1]), "every month on the last Monday or Friday"),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [-2]), "every month on the second-to-last Friday"),
            (RecurrenceRule(frequency: .monthly, byWeekday: [.saturday, .sunday], bySetPosition: [1]), "every month on the first weekend day"),
        ]
    )
    func sentence(_ rule: RecurrenceRule, _ text: String) {
        #expect(rule.text() == text)
    }

    @Test("a rule read from RRULE text but not valid still has a sentence (nothing traps before validation)")
    func invalidRuleSentence() throws {
        #expect(try RecurrenceRule(rrule: "FREQ=MONTHLY;BYSETPOS=0").text() == "every month")
        let odd = try RecurrenceRule(rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=0,-9").text()
        #expect(odd == "every month on the 0th and 9th-to-last Friday", "\(odd)")
    }

    @Test("a yearly rule at a weekday's position names the due date's month")
    func yearlyPositionSentence() {
        let rule = RecurrenceRule(frequency: .yearly, byWeekday: [.thursday], bySetPosition: [4])
        #expect(rule.text(due: local("2026-11-26T12:00")) == "every year on the fourth Thursday of November")
        #expect(rule.shownRRULE(due: local("2026-11-26T12:00"), timeZone: zone("UTC")) == "FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4")
    }

    @Test(
        "invalid RRULE text is refused with a message",
        arguments: [
            "", "FREQ=MINUTELY", "FREQ=DAILY;INTERVAL=x", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MONTHLY;BYSETPOS=x", "INTERVAL=2", "FREQ",
            "FREQ=MONTHLY;BYDAY=1MO,1FR", "FREQ=MONTHLY;BYDAY=1MO,TU", "FREQ=MONTHLY;BYDAY=1FR;BYSETPOS=1", "FREQ=MONTHLY;BYDAY=1XX",
            "FREQ=DAILY;BYHOUR=9,x", "FREQ=DAILY;BYHOUR=9,24", "FREQ=DAILY;BYHOUR=24", "FREQ=DAILY;BYMINUTE=60", "FREQ=DAILY;UNTIL=20260230",
        ]
    )
    func invalidRRule(_ text: String) {
        #expect(throws: TaskpilotError.self) { try RecurrenceRule(rrule: text) }
    }

    @Test("validation names the bad fields")
    func validation() {
        #expect(RecurrenceRule(frequency: .daily, interval: 0).validate().map(\.field) == ["recurrence.interval"])
        #expect(RecurrenceRule(frequency: .daily, byWeekday: [.monday]).validate().map(\.field) == ["recurrence.by_weekday"])
        #expect(RecurrenceRule(frequency: .monthly, byMonthDay: [32]).validate().map(\.field) == ["recurrence.by_month_day"])
        #expect(RecurrenceRule(frequency: .monthly, byMonthDay: [0]).validate().map(\.field) == ["recurrence.by_month_day"])
        #expect(RecurrenceRule(frequency: .daily, until: Date(), count: 2).validate().map(\.field) == ["recurrence.count"])
        #expect(RecurrenceRule(frequency: .monthly, byMonthDay: [1, -1]).validate().isEmpty)
    }

    @Test("a weekday's position needs a monthly or yearly rule with weekdays and no days of the month, and must come")
    func setPositionValidation() {
        func fields(_ rule: RecurrenceRule) -> [String] { rule.validate().map(\.field) }
        #expect(RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [1, -1]).validate().isEmpty)
        #expect(RecurrenceRule(frequency: .yearly, byWeekday: [.thursday], bySetPosition: [4]).validate().isEmpty)
        #expect(RecurrenceRule(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [23, -23]).validate().isEmpty)
        #expect(fields(RecurrenceRule(frequency: .monthly, byWeekday: Weekday.workdays, bySetPosition: [24])) == ["recurrence.by_set_position"])
        #expect(fields(RecurrenceRule(frequency: .weekly, byWeekday: [.friday], bySetPosition: [1])) == ["recurrence.by_set_position"])
        #expect(fields(RecurrenceRule(frequency: .daily, bySetPosition: [1])) == ["recurrence.by_set_position", "recurrence.by_set_position"])
        #expect(fields(RecurrenceRule(frequency: .monthly, bySetPosition: [1])) == ["recurrence.by_set_position"])
        #expect(fields(RecurrenceRule(frequency: .monthly, byWeekday: [.friday])) == ["recurrence.by_weekday"])
        #expect(
            fields(RecurrenceRule(frequency: .monthly, byWeekday: [.friday], byMonthDay: [1], bySetPosition: [1])) == ["recurrence.by_set_position"]
        )
        #expect(fields(RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [0])) == ["recurrence.by_set_position"])
        let sixth = RecurrenceRule(frequency: .monthly, byWeekday: [.friday], bySetPosition: [6]).validate()
        #expect(sixth.map(\.message) == ["position 6 never comes: a month has at most 5 Fridays; use 1 to 5, or -1 to -5"])
    }

    @Test("a series set on days starts on the first of them from the due date on, at its time")
    func firstOccurrenceOnOrAfter() {
        let utc = zone("UTC")
        let thursday = local("2026-12-10T18:00")
        #expect(
            RecurrenceRule(frequency: .weekly, byWeekday: [.monday]).firstOccurrence(onOrAfter: thursday, timeZone: utc) == local("2026-12-14T18:00")
        )
        #expect(RecurrenceRule(frequency: .weekly, byWeekday: [.thursday]).firstOccurrence(onOrAfter: thursday, timeZone: utc) == thursday)
        let lastFriday = RecurrenceRule(frequency: .monthly, interval: 3, byWeekday: [.friday], bySetPosition: [-1])
        #expect(lastFriday.firstOccurrence(onOrAfter: thursday, timeZone: utc) == local("2026-12-25T18:00"))
        #expect(RecurrenceRule(frequency: .monthly, byMonthDay: [1]).firstOccurrence(onOrAfter: thursday, timeZone: utc) == local("2027-01-01T18:00"))
        #expect(RecurrenceRule(frequency: .yearly, byMonthDay: [1]).firstOccurrence(onOrAfter: thursday, timeZone: utc) == nil)
        #expect(RecurrenceRule(frequency: .daily).firstOccurrence(onOrAfter: thursday, timeZone: utc) == nil)
        #expect(RecurrenceRule(frequency: .weekly).firstOccurrence(onOrAfter: thursday, timeZone: utc) == nil)
    }

    @Test("a rule at a weekday's position is not anchored on the due date's day of the month")
    func setPositionNormalization() {
        let rule = RecurrenceRule(frequency: .monthly, byWeekday: [.monday, .monday], bySetPosition: [-1, 3, 1, 3])
            .normalized(anchor: local("2027-02-01T08:00"), timeZone: zone("UTC"))
        #expect(rule.byMonthDay.isEmpty)
        #expect(rule.byWeekday == [.monday])
        #expect(rule.bySetPosition == [1, 3, -1])
    }

    struct GapCase: CustomTestStringConvertible, Sendable {
        let recurrence: String
        let due: String
        /// Hours between an occurrence's due time and its completion.
        let completedAfter: Double
        let expected: [String]
        var testDescription: String { "\(recurrence) from \(due)" }
    }

    static let gapCases: [GapCase] = [
        // The occurrence on the gap day (Mar 28, 2027, 02:00 → 03:00 in Paris) is at the first instant after the gap;
        // the ones after it are back at 02:30.
        GapCase(
            recurrence: #"{"frequency": "daily"}"#,
            due: "2027-03-27T02:30",
            completedAfter: 0,
            expected: ["2027-03-28 03:00", "2027-03-29 02:30", "2027-03-30 02:30"]
        ),
        GapCase(
            recurrence: #"{"frequency": "daily", "from_completion": true}"#,
            due: "2027-03-27T02:30",
            completedAfter: 2,
            expected: ["2027-03-28 03:00", "2027-03-29 02:30", "2027-03-30 02:30"]
        ),
        GapCase(
            recurrence: #"{"frequency": "weekly"}"#,
            due: "2027-03-21T02:30",
            completedAfter: 0,
            expected: ["2027-03-28 03:00", "2027-04-04 02:30", "2027-04-11 02:30"]
        ),
        GapCase(
            recurrence: #""FREQ=WEEKLY;BYDAY=SA,SU""#,
            due: "2027-03-27T02:45",
            completedAfter: 1,
            expected: ["2027-03-28 03:00", "2027-04-03 02:45", "2027-04-04 02:45"]
        ),
        GapCase(
            recurrence: #"{"frequency": "monthly"}"#,
            due: "2027-02-28T02:30",
            completedAfter: 0,
            expected: ["2027-03-28 03:00", "2027-04-28 02:30", "2027-05-28 02:30"]
        ),
        GapCase(
            recurrence: #"{"frequency": "monthly", "from_completion": true}"#,
            due: "2027-02-28T02:30",
            completedAfter: 3,
            expected: ["2027-03-28 03:00", "2027-04-28 02:30", "2027-05-28 02:30"]
        ),
    ]

    @Test("after a daylight-saving gap the series is back at its wall-clock time", arguments: gapCases)
    func gapDoesNotDrift(_ example: GapCase) throws {
        let paris = zone("Europe/Paris")
        let json = #"{"title": "a", "due_at": "\#(example.due)", "recurrence": \#(example.recurrence)}"#
        var task = try TaskItem.blank(userID: UUID(), now: Date(timeIntervalSince1970: 0)).applying(
            try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: paris),
            now: Date(timeIntervalSince1970: 0),
            timeZone: paris
        )
        var seen: [String] = []
        for occurrence in 1...example.expected.count {
            // As the store does: the rule goes through its RRULE text on the way to the next occurrence.
            let rule = try RecurrenceRule(rrule: try #require(task.recurrence).rrule)
            var stored = rule
            stored.fromCompletion = task.recurrence?.fromCompletion == true
            let due = try #require(task.dueAt)
            let next = try #require(
                stored.nextDue(
                    previousDue: due,
                    completedAt: due.addingTimeInterval(example.completedAfter * 3600),
                    occurrence: occurrence,
                    timeZone: paris
                )
            )
            seen.append(wallClock(next, paris))
            task.dueAt = next
            task.recurrence = stored
        }
        #expect(seen == example.expected)
    }

    @Test("the daily series of the report: 01:30Z, 01:00Z on the gap day, then 00:30Z again")
    func gapInUTC() throws {
        let paris = zone("Europe/Paris")
        let rule = RecurrenceRule(frequency: .daily).normalized(anchor: local("2027-03-27T02:30", paris), timeZone: paris)
        var due = local("2027-03-27T02:30", paris)
        var instants = [Timestamp.format(due)]
        for occurrence in 1...3 {
            due = try #require(rule.nextDue(previousDue: due, completedAt: due, occurrence: occurrence, timeZone: paris))
            instants.append(Timestamp.format(due))
        }
        #expect(instants == ["2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z"])
    }

    @Test("only a time of day that a gap skips is remembered by the rule")
    func gapTimeOfDay() {
        let paris = zone("Europe/Paris")
        #expect(RecurrenceRule.gapTimeOfDay(of: local("2027-03-27T02:30", paris), timeZone: paris) == .init(hour: 2, minute: 30))
        #expect(RecurrenceRule.gapTimeOfDay(of: local("2027-03-28T03:00", paris), timeZone: paris) == nil)
        #expect(RecurrenceRule.gapTimeOfDay(of: local("2027-03-27T09:00", paris), timeZone: paris) == nil)
        #expect(RecurrenceRule.gapTimeOfDay(of: local("2027-03-27T02:30"), timeZone: zone("UTC")) == nil)
        #expect(RecurrenceRule(frequency: .daily).normalized(anchor: local("2027-06-01T09:00", paris), timeZone: paris).rrule == "FREQ=DAILY")
        // A New York series at 02:30 in summer meets the next March gap.
        let newYork = zone("America/New_York")
        #expect(RecurrenceRule.gapTimeOfDay(of: local("2026-07-01T02:30", newYork), timeZone: newYork) == .init(hour: 2, minute: 30))
    }

    @Test("the remembered time follows a moved due date and survives a rule sent back unchanged")
    func gapTimeFollowsDue() throws {
        let paris = zone("Europe/Paris")
        let task = try edited(nil, #"{"title": "a", "due_at": "2027-03-27T02:30", "recurrence": {"frequency": "daily"}}"#, zone: paris)
        #expect(task.recurrence?.timeOfDay == .init(hour: 2, minute: 30))
        var onGapDay = task
        onGapDay.dueAt = local("2027-03-28T03:00", paris)
        let resent = try edited(onGapDay, #"{"title": "b", "recurrence": {"frequency": "daily"}}"#, zone: paris)
        #expect(resent.recurrence?.timeOfDay == .init(hour: 2, minute: 30))
        let moved = try edited(task, #"{"due_at": "2027-03-27T09:00"}"#, zone: paris)
        #expect(moved.recurrence?.timeOfDay == nil)
        let next = try #require(moved.recurrence?.nextDue(previousDue: moved.dueAt!, completedAt: moved.dueAt!, occurrence: 1, timeZone: paris))
        #expect(wallClock(next, paris) == "2027-03-28 09:00")
    }

    @Test("a yearly rule names its month: shown as BYMONTH with BYMONTHDAY (RFC 5545 would read the day of every month) and in words")
    func yearlyMonth() throws {
        let newYork = zone("America/New_York")
        let task = try edited(nil, #"{"title": "birthday", "due_at": "2027-03-03T09:00", "recurrence": {"frequency": "yearly"}}"#, zone: newYork)
        let rule = try #require(task.recurrence)
        #expect(rule.rrule == "FREQ=YEARLY;BYMONTHDAY=3")
        #expect(rule.shownRRULE(due: task.dueAt, timeZone: newYork) == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3")
        #expect(rule.text(timeZone: newYork, due: task.dueAt) == "every year on March 3")
        let last = RecurrenceRule(frequency: .yearly, interval: 2, byMonthDay: [-1])
        #expect(last.text(timeZone: newYork, due: local("2028-02-29T09:00", newYork)) == "every 2 years on the last day of February")
        // The shown rule, sent back, is the same rule; another month than the due date's is refused.
        let resent = try edited(task, #"{"recurrence": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3"}"#, zone: newYork)
        #expect(resent.recurrence == rule)
        #expect(throws: TaskpilotError.self) {
            try edited(task, #"{"recurrence": "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=3"}"#, zone: newYork)
        }
        #expect(throws: TaskpilotError.self) {
            try edited(task, #"{"recurrence": "FREQ=MONTHLY;BYMONTH=3"}"#, zone: newYork)
        }
    }

    /// `task` (a new one when nil) with the changes of `json` applied, as the API applies them for a user in `zone`.
    func edited(_ task: TaskItem?, _ json: String, zone: TimeZone) throws -> TaskItem {
        let now = Date(timeIntervalSince1970: 0)
        let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: zone)
        return try (task ?? TaskItem.blank(userID: UUID(), now: now)).applying(changes, now: now, timeZone: zone)
    }
}
