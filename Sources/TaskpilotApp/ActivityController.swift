// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (JSON bodies here use the API's snake_case field names as Swift names.)
import Foundation
public import Hummingbird
import TaskpilotCore

/// Notifications and task history.
struct ActivityController: Sendable {
    let activity: any ActivityRepository
    let tasks: any TaskRepository

    struct AuditDTO: Encodable, Sendable {
        let id: Int64
        let task_id: Int64
        let action: String
        let source: String
        let actor: String
        let before: JSONValue
        let after: JSONValue
        let event_id: String
        let at: String
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("notifications") { request, context in
            let unread = try TaskFilter.flag(request.queryParameters, "unread") ?? false
            return ListDTO(try await activity.notifications(userID: context.user.id, unreadOnly: unread, limit: 200).map(\.json))
        }
        group.post("notifications/:id/read") { _, context in
            try await activity.markRead(notificationID: try context.parameters.taskID(), userID: context.user.id, now: Date()).json
        }
        group.get("tasks/:id/history") { _, context in
            let id = try context.parameters.taskID()
            let entries = try await activity.history(taskID: id, userID: context.user.id)
            if entries.isEmpty {
                // An unknown task and a task with no history yet are told apart.
                _ = try await tasks.get(id: id, userID: context.user.id, now: Date())
            }
            return ListDTO(
                entries.map {
                    AuditDTO(
                        id: $0.id,
                        task_id: $0.taskID,
                        action: $0.action,
                        source: $0.source,
                        actor: $0.actor,
                        before: $0.before ?? .null,
                        after: $0.after ?? .null,
                        event_id: $0.eventID,
                        at: Timestamp.format($0.at)
                    )
                }
            )
        }
    }
}

extension JSONValue: ResponseEncodable {}
