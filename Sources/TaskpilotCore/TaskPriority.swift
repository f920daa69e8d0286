import Foundation

/// How important a task is, from `none` to `urgent`.
public enum TaskPriority: String, Sendable, Codable, CaseIterable, Comparable {
    case none, low, medium, high, urgent

    /// The numeric rank stored and sorted on: 0 for `none` up to 4 for `urgent`.
    public var rank: Int {
        switch self {
        case .none: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .urgent: 4
        }
    }

    /// The priority of a stored rank.
    public init?(rank: Int) {
        guard let priority = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = priority
    }

    /// Reads a priority the way people write it: a name, `p1`–`p4` (Todoist style, p1 is urgent, p2 high, p3 medium, p4 none) or `!high`.
    public init?(parsing text: String) {
        var value = text.trimmingWhitespace.lowercased()
        if value.hasPrefix("!") { value.removeFirst() }
        switch value {
        case "none", "no", "p4", "0": self = .none
        case "low", "1": self = .low
        case "medium", "normal", "med", "p3", "2": self = .medium
        case "high", "p2", "3": self = .high
        case "urgent", "highest", "critical", "p1", "4": self = .urgent
        default: return nil
        }
    }

    public static func < (lhs: TaskPriority, rhs: TaskPriority) -> Bool { lhs.rank < rhs.rank }
}

/// Whether a task is still to do.
public enum TaskStatus: String, Sendable, Codable, CaseIterable {
    case pending, completed
}
