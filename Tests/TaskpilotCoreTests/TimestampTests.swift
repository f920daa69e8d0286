import Foundation
import Testing

@testable import TaskpilotCore

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "accepted forms",
        arguments: [
            ("2026-12-01T09:00:00Z", "UTC", "2026-12-01T09:00:00Z"),
            ("2026-12-01T09:00:00.250Z", "UTC", "2026-12-01T09:00:00.250Z"),
            ("2026-12-01t09:00:00z", "UTC", "2026-12-01T09:00:00Z"),
            ("2026-12-01T09:00:00+02:00", "UTC", "2026-12-01T07:00:00Z"),
            ("2026-12-01T09:00:00-0530", "UTC", "2026-12-01T14:30:00Z"),
            ("2026-12-01T09:00", "Europe/Paris", "2026-12-01T08:00:00Z"),
            ("2026-12-01 09:00:00", "America/New_York", "2026-12-01T14:00:00Z"),
            ("2026-07-01T09:00", "America/New_York", "2026-07-01T13:00:00Z"),
            ("2028-02-29T00:00:00Z", "UTC", "2028-02-29T00:00:00Z"),
            ("1970-01-01T00:00:00Z", "UTC", "1970-01-01T00:00:00Z"),
            // Every accepted year reads back as written (Foundation's calendar is Julian before 1583).
            ("1583-01-01T00:00:00Z", "UTC", "1583-01-01T00:00:00Z"),
            ("1900-03-01T12:00:00Z", "UTC", "1900-03-01T12:00:00Z"),
            ("9999-12-31T23:59:59Z", "UTC", "9999-12-31T23:59:59Z"),
        ]
    )
    func instants(_ text: String, _ zoneName: String, _ expected: String) throws {
        let parsed = try #require(Timestamp.parse(text, timeZone: zone(zoneName)))
        guard case .instant(let date) = parsed else {
            Issue.record("expected an instant")
            return
        }
        #expect(Timestamp.format(date) == expected)
    }

    @Test("a plain date is the start of that day in the user's zone")
    func plainDate() throws {
        let parsed = try #require(Timestamp.parse("2026-12-01", timeZone: zone("Asia/Tokyo")))
        #expect(parsed == .day(local("2026-11-30T15:00:00Z")))
    }

    @Test("a refused date of the right shape says why: its year, a day the month has not, or past the last instant in UTC")
    func refusedWhy() {
        #expect(Timestamp.yearProblem("0001-01-01") == "has the year 1; dates from the year 1583 to 9999 are taken")
        #expect(Timestamp.yearProblem("2026-02-29") == "is not a date: 2026-02 has 28 days")
        #expect(Timestamp.yearProblem("2026-04-31T09:00:00Z") == "is not a date: 2026-04 has 30 days")
        #expect(Timestamp.yearProblem("9999-12-31T23:59:59-05:00")?.contains("9999-12-31T23:59:59Z in UTC") == true)
        #expect(Timestamp.yearProblem("9999-12-31T23:59:59Z") == nil && Timestamp.parse("9999-12-31T23:59:59Z", timeZone: zone("UTC")) != nil)
        #expect(Timestamp.yearProblem("2026-13-01") == nil)
    }

    @Test(
        "refused forms",
        arguments: [
            "", "tomorrow", "2026-13-01", "2026-02-30", "2027-02-29", "2026-12-01T25:00:00Z", "2026-12-01T09:60Z", "2026-12-01T09:00:00+25:00",
            "2026-12-01T09:00:00Zjunk", "12/01/2026", "2026-1-1", "2026-12-01T", "2026-12-01T09:00:00.Z", "0001-01-01T00:00:00Z", "1582-10-10",
            "9999-12-31T23:59:59-05:00", "1583-01-01T00:30:00+01:00",
        ]
    )
    func refused(_ text: String) {
        #expect(Timestamp.parse(text, timeZone: zone("UTC")) == nil)
    }

    @Test("formatting matches Foundation's ISO 8601 formatter over many instants")
    func formatAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        for seconds in stride(from: -2_000_000_000, through: 4_000_000_000, by: 7_654_321) {
            let date = Date(timeIntervalSince1970: Double(seconds))
            #expect(Timestamp.format(date) == formatter.string(from: date))
        }
    }

    @Test(
        "the clock of a reader's language, from Accept-Language",
        arguments: [
            ("en-US,en;q=0.9", HourCycle.twelveHour), ("en-GB", .twentyFourHour), ("de-DE,de;q=0.9,en;q=0.5", .twentyFourHour),
            ("fr;q=0.1, en-US;q=0.8", .twelveHour), ("", .twentyFourHour), ("*", .twentyFourHour), ("en-US;q=0", .twentyFourHour),
            ("x!y", .twentyFourHour), ("ja-JP", .twentyFourHour), ("en-AU", .twelveHour),
        ]
    )
    func hourCycle(_ header: String, _ expected: HourCycle) {
        #expect(HourCycle.preferred(acceptLanguage: header) == expected)
    }

    @Test("times in words follow the hour cycle: 13:05 or 1:05 PM, midnight 12:00 AM, noon 12:00 PM")
    func describedTimes() {
        let zone = TimeZone(identifier: "Europe/Paris")!
        let now = local("2026-11-23T10:00", zone)
        #expect(Timestamp.describe(local("2026-11-23T13:05", zone), allDay: false, timeZone: zone, now: now) == "today 13:05")
        Timestamp.$hourCycle.withValue(.twelveHour) {
            #expect(Timestamp.describe(local("2026-11-23T13:05", zone), allDay: false, timeZone: zone, now: now) == "today 1:05 PM")
            #expect(Timestamp.describe(local("2026-11-24T00:00", zone), allDay: false, timeZone: zone, now: now) == "tomorrow 12:00 AM")
            #expect(Timestamp.describe(local("2026-11-24T12:00", zone), allDay: false, timeZone: zone, now: now) == "tomorrow 12:00 PM")
            #expect(Timestamp.describe(local("2026-11-24T12:00", zone), allDay: true, timeZone: zone, now: now) == "tomorrow")
        }
    }
}
