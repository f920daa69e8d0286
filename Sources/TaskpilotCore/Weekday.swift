import Foundation

/// A day of the week, numbered the ISO 8601 way (Monday is 1).
public enum Weekday: Int, Sendable, CaseIterable, Codable, Comparable {
    case monday = 1
    case tuesday, wednesday, thursday, friday, saturday, sunday

    /// The two-letter RFC 5545 code, e.g. `MO`.
    public var code: String {
        switch self {
        case .monday: "MO"
        case .tuesday: "TU"
        case .wednesday: "WE"
        case .thursday: "TH"
        case .friday: "FR"
        case .saturday: "SA"
        case .sunday: "SU"
        }
    }

    /// The English name, e.g. `Monday`.
    public var name: String {
        switch self {
        case .monday: "Monday"
        case .tuesday: "Tuesday"
        case .wednesday: "Wednesday"
        case .thursday: "Thursday"
        case .friday: "Friday"
        case .saturday: "Saturday"
        case .sunday: "Sunday"
        }
    }

    /// Foundation's weekday number (Sunday is 1).
    public var calendarWeekday: Int { self == .sunday ? 1 : rawValue + 1 }

    /// The weekday of Foundation's weekday number (Sunday is 1).
    public init(calendarWeekday: Int) {
        self = calendarWeekday == 1 ? .sunday : Weekday(rawValue: calendarWeekday - 1) ?? .monday
    }

    /// Reads `MO`, `mon`, `monday` (any case).
    public init?(parsing text: String) {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard value.count >= 2,
            let day = Weekday.allCases.first(where: { $0.name.lowercased().hasPrefix(value) || $0.code.lowercased() == value })
        else { return nil }
        self = day
    }

    /// Monday to Friday.
    public static let workdays: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}
