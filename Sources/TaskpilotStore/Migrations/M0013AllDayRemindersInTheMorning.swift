import FluentKit
import Foundation
import SQLKit
import TaskpilotCore

/// Relative reminders of all-day tasks count from 9:00 on the task's day in its owner's time zone
/// (`ReminderTrigger.allDayHour`); before, from the day's midnight. Those not yet fired are moved to the morning, each
/// in its owner's zone (so a day that changes to summer time gets 9:00 too). Revert moves them back to midnight.
struct M0013AllDayRemindersInTheMorning: AsyncMigration {
    var name: String { "0013_all_day_reminders_in_the_morning" }

    func prepare(on database: any Database) async throws {
        try await rearm(on: database, allDay: true)
    }

    func revert(on database: any Database) async throws {
        try await rearm(on: database, allDay: false)
    }

    /// Sets the fire time of every pending relative reminder of an all-day task as `fireDate(allDay:)` computes it.
    private func rearm(on database: any Database, allDay: Bool) async throws {
        let sql = database as! any SQLDatabase
        let rows = try await sql.raw(
            """
            SELECT r.id, r.offset_minutes, t.due_at, u.timezone FROM reminders r JOIN tasks t ON t.id = r.task_id
            JOIN users u ON u.id = t.user_id
            WHERE r.fired_at IS NULL AND r.offset_minutes IS NOT NULL AND t.all_day = 1 AND t.due_at IS NOT NULL
            """
        ).all()
        for row in rows {
            let due = Date(millisecondsSince1970: try row.decode(column: "due_at", as: Int64.self))
            let zone = TimeZone(identifier: try row.decode(column: "timezone", as: String.self)) ?? TimeZone(identifier: "UTC")!
            let trigger = ReminderTrigger.beforeDue(minutes: try row.decode(column: "offset_minutes", as: Int.self))
            guard let fireAt = trigger.fireDate(dueAt: due, allDay: allDay, timeZone: zone) else { continue }
            try await sql.raw(
                "UPDATE reminders SET fire_at = \(bind: fireAt.millisecondsSince1970) WHERE id = \(bind: try row.decode(column: "id", as: Int64.self))"
            ).run()
        }
    }
}
