public import Foundation

/// A date read from input: an instant, or a calendar day (which makes a task all-day).
public enum ParsedDate: Sendable, Equatable {
    /// An exact instant.
    case instant(Date)
    /// A calendar day, resolved to the start of that day in the user's time zone.
    case day(Date)

    /// The instant, whatever the kind.
    public var date: Date {
        switch self {
        case .instant(let date), .day(let date): date
        }
    }
}

/// Reads and writes the timestamp formats of the API.
public enum Timestamp {
    /// The years a date may have: from 1583, the first whole year of the Gregorian calendar (Foundation counts earlier
    /// dates as Julian), to 9999.
    static let years = 1583...9999

    /// Why `text` is refused when it is a date of the right shape: a year outside those taken, an instant past them in
    /// UTC, or a day its month has not; for an error message after the field's name ("due_at has the year 1; …"); nil
    /// otherwise.
    public static func yearProblem(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 10, let year = Int(trimmed.prefix(4)), trimmed.dropFirst(4).first == "-" else { return nil }
        if !years.contains(year) { return "has the year \(year); dates from the year \(years.lowerBound) to \(years.upperBound) are taken" }
        let utc = TimeZone(secondsFromGMT: 0)!
        // "9999-12-31T23:59:59-05:00" is in the year 10000 in UTC, where every date is written back.
        if year == years.upperBound || year == years.lowerBound, parse(trimmed, timeZone: utc) == nil,
            parse(String(trimmed.prefix(10)), timeZone: utc) != nil
        {
            return "is outside the dates taken: from 1583-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC"
        }
        // "2026-02-29": a date of the right shape that the calendar does not have.
        if let month = Int(trimmed.dropFirst(5).prefix(2)), let day = Int(trimmed.dropFirst(8).prefix(2)), (1...12).contains(month), day <= 31 {
            let days = RecurrenceRule.daysInMonth(year: year, month: month, calendar: Calendar.taskpilot(utc))
            if day > days { return "is not a date: \(trimmed.prefix(7)) has \(days) days" }
        }
        return nil
    }

    /// The last instant a date may be (9999-12-31T23:59:59.999Z): dates are written back in UTC with four-digit years,
    /// so a series ends there too.
    public static let lastInstant = Date(timeIntervalSince1970: 253_402_300_799.999)
    /// The first instant a date may be (1583-01-01T00:00:00Z).
    static let firstInstant = Date(timeIntervalSince1970: -12_212_553_600)

    /// Reads RFC 3339 (`2026-12-01T09:00:00Z`, offsets, fractional seconds), a local date-time without an
    /// offset (taken in `timeZone`), or a plain date `2026-12-01` (the start of that day in `timeZone`).
    public static func parse(_ text: String, timeZone: TimeZone) -> ParsedDate? {
        let bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), years.contains(year) else { return nil }
        let calendar = Calendar.taskpilot(timeZone)
        if index == bytes.count {
            guard day <= RecurrenceRule.daysInMonth(year: year, month: month, calendar: calendar),
                let date = calendar.date(from: DateComponents(year: year, month: month, day: day))
            else { return nil }
            return .day(date)
        }
        guard expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2) else { return nil }
        var second = 0
        var nanosecond = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ":") {
            index += 1
            guard let value = digits(2) else { return nil }
            second = value
            if index < bytes.count && (bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",")) {
                index += 1
                var fraction = 0
                var scale = 1_000_000_000
                let start = index
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if scale > 1 {
                        scale /= 10
                        fraction += Int(bytes[index] - 48) * scale
                    }
                    index += 1
                }
                guard index > start else { return nil }
                nanosecond = fraction
            }
        }
        guard hour <= 23, minute <= 59, second <= 60 else { return nil }
        var zone: TimeZone = timeZone
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
                index += 1
                zone = TimeZone(secondsFromGMT: 0)!
            } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let offsetHours = digits(2) else { return nil }
                _ = expect(":")
                guard let offsetMinutes = digits(2), offsetHours <= 23, offsetMinutes <= 59,
                    let offsetZone = TimeZone(secondsFromGMT: sign * (offsetHours * 3600 + offsetMinutes * 60))
                else { return nil }
                zone = offsetZone
            }
        }
        guard index == bytes.count else { return nil }
        var zoned = calendar
        zoned.timeZone = zone
        let components = DateComponents(
            year: year,
            month: month,
            day: day,
            hour: hour,
            minute: minute,
            second: min(second, 59),
            nanosecond: nanosecond
        )
        guard day <= RecurrenceRule.daysInMonth(year: year, month: month, calendar: calendar),
            let date = zoned.date(from: components), date >= firstInstant, date <= lastInstant
        else { return nil }
        return .instant(date)
    }

    /// The calendar day of `date` in `timeZone`, e.g. `2026-12-01`.
    public static func formatDay(_ date: Date, timeZone: TimeZone) -> String {
        let parts = Calendar.taskpilot(timeZone).dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Formats an instant as RFC 3339 in UTC with millisecond precision when needed, e.g. `2026-12-01T09:00:00Z`.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        write(date, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format(date)` as UTF-8.
    public static func write(_ date: Date, into bytes: inout [UInt8]) {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
        let fraction = milliseconds - seconds * 1000
        var days = seconds / 86_400
        var remainder = seconds % 86_400
        if remainder < 0 {
            remainder += 86_400
            days -= 1
        }
        // Civil-from-days (Howard Hinnant's algorithm), avoiding a formatter per call.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) {
            let text = String(value).utf8
            if text.count < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - text.count)) }
            bytes.append(contentsOf: text)
        }
        func digits(_ value: Int64, _ width: Int) {
            guard value >= 0 else { return pad(value, width) }
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            // Values wider than `width` (years past 9999) keep all their digits.
            while divisor <= value / 10 { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(remainder / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(remainder % 3600 / 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(remainder % 60, 2)
        if fraction != 0 {
            bytes.append(UInt8(ascii: "."))
            digits(fraction, 3)
        }
        bytes.append(UInt8(ascii: "Z"))
    }
}

/// How a reader writes the time of day: "17:00" or "5:00 PM".
public enum HourCycle: Sendable, Equatable {
    case twentyFourHour
    case twelveHour

    /// The clock of the language a client prefers most in an `Accept-Language` header ("en-US,en;q=0.9" → 12-hour,
    /// "en-GB" or "de" → 24-hour); 24-hour without one.
    public static func preferred(acceptLanguage header: String?) -> HourCycle {
        guard let tag = preferredLanguage(header) else { return .twentyFourHour }
        switch Locale(identifier: tag).hourCycle {
        case .oneToTwelve, .zeroToEleven: return .twelveHour
        default: return .twentyFourHour
        }
    }

    /// Whether the language a client prefers most writes the month before the day ("en-US": "Dec 8"; "en-GB", "de":
    /// "8 Dec"); false without one.
    public static func monthFirst(acceptLanguage header: String?) -> Bool { dateOrder(acceptLanguage: header) == .monthFirst }

    /// Whether the language a client prefers most is known to write the day before the month ("en-GB", "de", "fr"),
    /// so that "3/1" is the 3rd of January; false for "en-US" and without a language.
    public static func dayFirst(acceptLanguage header: String?) -> Bool { dateOrder(acceptLanguage: header) == .dayFirst }

    private enum DateOrder { case monthFirst, dayFirst }

    private static func dateOrder(acceptLanguage header: String?) -> DateOrder? {
        guard let tag = preferredLanguage(header),
            let pattern = DateFormatter.dateFormat(fromTemplate: "MMMd", options: 0, locale: Locale(identifier: tag)),
            let month = pattern.firstIndex(of: "M"), let day = pattern.firstIndex(of: "d")
        else { return nil }
        return month < day ? .monthFirst : .dayFirst
    }

    /// The language tag a client prefers most in an `Accept-Language` header, if it is a well-formed one.
    static func preferredLanguage(_ header: String?) -> String? {
        guard let header else { return nil }
        var best: (tag: String, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, !tag.isEmpty, tag != "*" else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") { weight = Double(parameter.dropFirst(2)) ?? 0 }
            if weight > 0, weight > (best?.weight ?? 0) { best = (tag, weight) }
        }
        guard let tag = best?.tag, tag.count <= 35, tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        return tag
    }

    /// "17:00" or "5:00 PM".
    func time(hour: Int, minute: Int) -> String {
        switch self {
        case .twentyFourHour: String(format: "%02d:%02d", hour, minute)
        case .twelveHour: String(format: "%d:%02d", hour % 12 == 0 ? 12 : hour % 12, minute) + (hour < 12 ? " AM" : " PM")
        }
    }
}

extension Timestamp {
    /// The clock the words of `describe` use: set for the duration of a request by whoever knows the reader's (the
    /// chat from the browser's `Accept-Language`), 24-hour otherwise.
    @TaskLocal public static var hourCycle: HourCycle = .twentyFourHour
    /// Whether `describe` writes the month before the day ("Tue, Dec 8"), as the reader's language does; set with
    /// `hourCycle`, day first otherwise ("Tue 8 Dec").
    @TaskLocal public static var monthFirst = false

    /// A due date for people, in their zone: "today 17:00", "tomorrow", "Tue 1 Dec 09:00", "1 Dec 2027" (times as
    /// `hourCycle` writes them: "today 5:00 PM").
    public static func describe(_ date: Date, allDay: Bool, timeZone: TimeZone, now: Date) -> String {
        let calendar = Calendar.taskpilot(timeZone)
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 0
        let parts = calendar.dateComponents([.year, .hour, .minute], from: date)
        let time = allDay ? "" : " " + hourCycle.time(hour: parts.hour ?? 0, minute: parts.minute ?? 0)
        switch days {
        case 0: return "today" + time
        case 1: return "tomorrow" + time
        case -1: return "yesterday" + time
        default:
            let sameYear = parts.year == calendar.component(.year, from: now)
            let format: Date.FormatString =
                switch (sameYear, monthFirst) {
                case (true, false): "\(weekday: .abbreviated) \(day: .defaultDigits) \(month: .abbreviated)"
                case (false, false): "\(day: .defaultDigits) \(month: .abbreviated) \(year: .defaultDigits)"
                case (true, true): "\(weekday: .abbreviated), \(month: .abbreviated) \(day: .defaultDigits)"
                case (false, true): "\(month: .abbreviated) \(day: .defaultDigits), \(year: .defaultDigits)"
                }
            let style = Date.VerbatimFormatStyle(
                format: format,
                locale: Locale(identifier: "en_US_POSIX"),
                timeZone: timeZone,
                calendar: calendar
            )
            return date.formatted(style) + time
        }
    }
}

extension Date {
    /// Milliseconds since 1970, the stored form of instants.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The instant `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
