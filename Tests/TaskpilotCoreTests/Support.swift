import Foundation
import TaskpilotCore

/// A time zone that must exist on the machine.
func zone(_ identifier: String) -> TimeZone {
    TimeZone(identifier: identifier)!
}

/// An instant from local wall-clock fields in a time zone.
func local(_ text: String, _ timeZone: TimeZone = zone("UTC")) -> Date {
    guard case .instant(let date)? = Timestamp.parse(text, timeZone: timeZone) else { fatalError("bad test date \(text)") }
    return date
}

/// The wall-clock text of an instant in a time zone, `yyyy-MM-dd HH:mm`.
func wallClock(_ date: Date, _ timeZone: TimeZone = zone("UTC")) -> String {
    let parts = Calendar.taskpilot(timeZone).dateComponents([.year, .month, .day, .hour, .minute], from: date)
    return String(format: "%04d-%02d-%02d %02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
}
