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

    @Test(
        "refused forms",
        arguments: [
            "", "tomorrow", "2026-13-01", "2026-02-30", "2027-02-29", "2026-12-01T25:00:00Z", "2026-12-01T09:60Z", "2026-12-01T09:00:00+25:00",
            "2026-12-01T09:00:00Zjunk", "12/01/2026", "2026-1-1", "2026-12-01T", "2026-12-01T09:00:00.Z", "0001-01-01T00:00:00Z", "1582-10-10",
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
}
