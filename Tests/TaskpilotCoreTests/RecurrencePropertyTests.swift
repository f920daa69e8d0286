import Foundation
import PropertyBased
import Testing

@testable import TaskpilotCore

/// Properties of `nextOccurrence` over random instants, zones and rules.
@Suite("Recurrence properties")
struct RecurrencePropertyTests {
    /// Cases per property; `TASKPILOT_PROPERTY_RUNS` raises it for a deep soak.
    static let runs = Int(ProcessInfo.processInfo.environment["TASKPILOT_PROPERTY_RUNS"] ?? "") ?? 300
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland"]
    /// 2000-01-01 to 2099-12-31.
    static let instants = Gen.int(in: 946_684_800...4_102_358_400)

    /// Calendar days between the local dates of two instants (not elapsed time: a day can be 23 or 25 hours).
    static func daysBetween(_ start: Date, _ end: Date, _ calendar: Calendar) -> Int {
        func dayNumber(_ date: Date) -> Int {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let midnight = utc.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day))!
            return Int(midnight.timeIntervalSince1970 / 86_400)
        }
        return dayNumber(end) - dayNumber(start)
    }

    @Test("daily: the next occurrence is `interval` calendar days later")
    func daily() async {
        await propertyCheck(count: Self.runs, input: Self.instants, Gen.int(in: 0..<Self.zones.count), Gen.int(in: 1...40)) {
            seconds,
            zoneIndex,
            interval in
            let timeZone = zone(Self.zones[zoneIndex])
            let calendar = Calendar.taskpilot(timeZone)
            let reference = Date(timeIntervalSince1970: Double(seconds))
            let next = RecurrenceRule(frequency: .daily, interval: interval).nextOccurrence(after: reference, timeZone: timeZone)
            #expect(next.map { $0 > reference } == true)
            #expect(next.map { Self.daysBetween(reference, $0, calendar) } == interval)
        }
    }

    @Test("weekly: the next occurrence falls on a listed weekday within `interval` weeks")
    func weekly() async {
        await propertyCheck(
            count: Self.runs,
            input: Self.instants,
            Gen.int(in: 0..<Self.zones.count),
            Gen.int(in: 1...4),
            Gen.int(in: 1...127)
        ) { seconds, zoneIndex, interval, mask in
            let timeZone = zone(Self.zones[zoneIndex])
            let calendar = Calendar.taskpilot(timeZone)
            let days = Weekday.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 }
            let reference = Date(timeIntervalSince1970: Double(seconds))
            let rule = RecurrenceRule(frequency: .weekly, interval: interval, byWeekday: days)
            guard let next = rule.nextOccurrence(after: reference, timeZone: timeZone) else {
                Issue.record("no next occurrence")
                return
            }
            #expect(next > reference)
            #expect(days.contains(Weekday(calendarWeekday: calendar.component(.weekday, from: next))))
            #expect((1...(7 * interval)).contains(Self.daysBetween(reference, next, calendar)))
        }
    }

    @Test("monthly: the next occurrence is on the listed day, clamped to the month's length")
    func monthly() async {
        await propertyCheck(
            count: Self.runs,
            input: Self.instants,
            Gen.int(in: 0..<Self.zones.count),
            Gen.int(in: 1...12),
            Gen.int(in: -1...31)
        ) { seconds, zoneIndex, interval, rawDay in
            let day = rawDay == 0 ? 1 : rawDay
            let timeZone = zone(Self.zones[zoneIndex])
            let calendar = Calendar.taskpilot(timeZone)
            let reference = Date(timeIntervalSince1970: Double(seconds))
            guard
                let next = RecurrenceRule(frequency: .monthly, interval: interval, byMonthDay: [day]).nextOccurrence(
                    after: reference,
                    timeZone: timeZone
                )
            else {
                Issue.record("no next occurrence")
                return
            }
            let parts = calendar.dateComponents([.year, .month, .day], from: next)
            let length = RecurrenceRule.daysInMonth(year: parts.year!, month: parts.month!, calendar: calendar)
            #expect(next > reference)
            #expect(parts.day == (day == -1 ? length : min(day, length)))
            let start = calendar.dateComponents([.year, .month], from: reference)
            let months = (parts.year! - start.year!) * 12 + parts.month! - start.month!
            #expect(months == 0 || months == interval)
        }
    }

    @Test("monthly at a weekday's position: the next occurrence is the first day after the reference, found day by day")
    func monthlyPosition() async {
        await propertyCheck(
            count: Self.runs,
            input: Self.instants,
            Gen.int(in: 0..<Self.zones.count),
            Gen.int(in: 1...6),
            Gen.int(in: 1...127),
            Gen.int(in: -5...5)
        ) { seconds, zoneIndex, interval, mask, rawPosition in
            let position = rawPosition == 0 ? 1 : rawPosition
            let timeZone = zone(Self.zones[zoneIndex])
            let calendar = Calendar.taskpilot(timeZone)
            let days = Weekday.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 }
            let reference = Date(timeIntervalSince1970: Double(seconds))
            let rule = RecurrenceRule(frequency: .monthly, interval: interval, byWeekday: days, bySetPosition: [position])
            #expect(rule.validate().isEmpty)
            guard let next = rule.nextOccurrence(after: reference, timeZone: timeZone) else {
                Issue.record("no next occurrence")
                return
            }
            // The oracle: each day of the reference's month and of every `interval`-th month after it, its weekday asked
            // of the calendar, the position counted from either end; the first such day after the reference's day.
            let start = calendar.dateComponents([.year, .month, .day], from: reference)
            var expected: String?
            for step in 0..<60 where expected == nil {
                let monthIndex = start.year! * 12 + start.month! - 1 + step * interval
                let (year, month) = (monthIndex / 12, monthIndex % 12 + 1)
                let length = RecurrenceRule.daysInMonth(year: year, month: month, calendar: calendar)
                let matching = (1...length).filter { day in
                    let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
                    return days.contains(Weekday(calendarWeekday: calendar.component(.weekday, from: noon)))
                }
                let index = position > 0 ? position - 1 : matching.count + position
                guard matching.indices.contains(index), step > 0 || matching[index] > start.day! else { continue }
                expected = String(format: "%04d-%02d-%02d", year, month, matching[index])
            }
            #expect(next > reference)
            #expect(wallClock(next, timeZone).prefix(10) == expected.map { Substring($0) })
        }
    }

    @Test("zones without daylight saving keep the exact wall-clock time")
    func timeOfDay() async {
        let fixed = ["UTC", "Asia/Kolkata", "Asia/Tokyo"]
        await propertyCheck(count: Self.runs, input: Self.instants, Gen.int(in: 0..<fixed.count), Gen.int(in: 0..<4)) { seconds, zoneIndex, kind in
            let timeZone = zone(fixed[zoneIndex])
            let reference = Date(timeIntervalSince1970: Double(seconds))
            let rule = RecurrenceRule(frequency: RecurrenceFrequency.allCases[kind]).normalized(anchor: reference, timeZone: timeZone)
            let next = rule.nextOccurrence(after: reference, timeZone: timeZone)
            #expect(next.map { wallClock($0, timeZone).suffix(5) } == wallClock(reference, timeZone).suffix(5))
        }
    }

    @Test("RRULE text reads back to the same rule")
    func rruleRoundTrip() async {
        await propertyCheck(
            count: Self.runs,
            input: Gen.int(in: 0..<4),
            Gen.int(in: 1...1000),
            Gen.int(in: 0...127),
            Gen.int(in: -1...31),
            Gen.int(in: 0...50)
        ) { kind, interval, mask, day, count in
            let frequency = RecurrenceFrequency.allCases[kind]
            let rule = RecurrenceRule(
                frequency: frequency,
                interval: interval,
                byWeekday: frequency == .weekly ? Weekday.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 } : [],
                byMonthDay: (frequency == .monthly || frequency == .yearly) && day != 0 ? [day] : [],
                count: count == 0 ? nil : count
            )
            #expect(rule.validate().isEmpty)
            #expect((try? RecurrenceRule(rrule: rule.rrule)) == rule)
            // The same frequency at a weekday's position (monthly and yearly only).
            guard frequency == .monthly || frequency == .yearly, mask != 0, day != 0 else { return }
            let positioned = RecurrenceRule(
                frequency: frequency,
                interval: interval,
                byWeekday: Weekday.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 },
                bySetPosition: [day > 5 ? day % 5 + 1 : day],
                count: count == 0 ? nil : count
            )
            #expect(positioned.validate().isEmpty)
            #expect((try? RecurrenceRule(rrule: positioned.rrule)) == positioned)
        }
    }

    /// Zones with daylight saving, gaps at 02:00 (most), at midnight (Santiago, Havana) and of 30 minutes (Lord Howe).
    static let daylightSavingZones = [
        "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles", "America/Santiago", "America/Havana",
        "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Asia/Jerusalem",
    ]

    @Test("a series whose time falls into a daylight-saving gap is back at that wall-clock time after the gap day")
    func daylightSavingGap() async {
        // 2000-01-01 to 2035-12-31, where every listed zone has gaps.
        await propertyCheck(
            count: Self.runs,
            input: Gen.int(in: 946_684_800...2_082_758_399),
            Gen.int(in: 0..<Self.daylightSavingZones.count),
            Gen.int(in: 0..<3),
            Gen.bool,
            Gen.int(in: 0..<1000)
        ) { seconds, zoneIndex, kind, fromCompletion, offsetPermille in
            let timeZone = zone(Self.daylightSavingZones[zoneIndex])
            let calendar = Calendar.taskpilot(timeZone)
            // The first gap (clocks moved forward) after a random instant.
            var cursor = Date(timeIntervalSince1970: Double(seconds))
            var found: Date?
            while found == nil, let transition = timeZone.nextDaylightSavingTimeTransition(after: cursor) {
                if timeZone.secondsFromGMT(for: transition) > timeZone.secondsFromGMT(for: transition.addingTimeInterval(-1)) { found = transition }
                cursor = transition
            }
            guard let transition = found else {
                Issue.record("no gap in \(timeZone.identifier) after \(cursor)")
                return
            }
            // A whole-minute wall-clock time inside the gap, and the same time one unit before the gap day.
            let gapLength = timeZone.secondsFromGMT(for: transition) - timeZone.secondsFromGMT(for: transition.addingTimeInterval(-1))
            let beforeGap = calendar.dateComponents([.hour, .minute], from: transition.addingTimeInterval(-1))
            let gapStart = (beforeGap.hour! * 60 + beforeGap.minute! + 1) % (24 * 60)
            let minuteOfDay = (gapStart + offsetPermille * (gapLength / 60) / 1000) % (24 * 60)
            let time = RecurrenceRule.TimeOfDay(hour: minuteOfDay / 60, minute: minuteOfDay % 60)
            let frequency: RecurrenceFrequency = [.daily, .weekly, .monthly][kind]
            let unit: Calendar.Component = [.day, .weekOfYear, .month][kind]
            let gapDay = calendar.dateComponents([.year, .month, .day], from: transition)
            guard let gapNoon = calendar.date(from: DateComponents(year: gapDay.year, month: gapDay.month, day: gapDay.day, hour: 12)),
                let startNoon = calendar.date(byAdding: unit, value: -1, to: gapNoon),
                let start = calendar.date(bySettingHour: time.hour, minute: time.minute, second: 0, of: startNoon)
            else {
                Issue.record("no start date")
                return
            }
            var rule = RecurrenceRule(frequency: frequency, fromCompletion: fromCompletion).normalized(anchor: start, timeZone: timeZone)
            // What the store keeps is the RRULE text.
            rule = (try? RecurrenceRule(rrule: rule.rrule)) ?? rule
            rule.fromCompletion = fromCompletion
            var due = start
            for occurrence in 1...4 {
                guard let next = rule.nextDue(previousDue: due, completedAt: due.addingTimeInterval(600), occurrence: occurrence, timeZone: timeZone)
                else {
                    Issue.record("the series ended")
                    return
                }
                let day = calendar.dateComponents([.year, .month, .day], from: next)
                let wallClock = RecurrenceRule.TimeOfDay(of: next, calendar: calendar)
                if day == gapDay {
                    #expect(wallClock.hour * 60 + wallClock.minute == (gapStart + gapLength / 60) % (24 * 60), "the first instant after the gap")
                } else {
                    #expect(wallClock == time, "\(timeZone.identifier) \(frequency) from \(start): \(next)")
                }
                due = next
            }
        }
    }
}
