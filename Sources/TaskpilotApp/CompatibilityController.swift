import Foundation
import Hummingbird
import TaskpilotCore

/// The Phase II/III routes `/api/{user_id}/tasks…`: the same handlers, after checking that the path's user is the caller.
struct CompatibilityController: Sendable {
    let taskController: TaskController

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get(":user_id/tasks") { request, context in
            try Self.checkOwner(context)
            var parameters = request.queryParameters
            parameters["cursor"] = nil
            if parameters["limit"] == nil { parameters["limit"] = String(TaskQuery.maxLimit) }
            let user = context.user
            let query = try TaskQuery(parameters: parameters, timeZone: user.timeZone, allowCursor: false)
            let now = Date()
            let page = try await taskController.tasks.list(query, userID: user.id, now: now)
            return ListDTO(page.items.map { TaskDTO($0, now: now, timeZone: user.timeZone) })
        }
        group.post(":user_id/tasks") { request, context in
            try Self.checkOwner(context)
            return try await taskController.create(request, context: context)
        }
        group.get(":user_id/tasks/:id") { request, context in
            try Self.checkOwner(context)
            return try await taskController.get(request, context: context)
        }
        group.put(":user_id/tasks/:id") { request, context in
            try Self.checkOwner(context)
            return try await taskController.update(request, context: context)
        }
        group.delete(":user_id/tasks/:id") { request, context in
            try Self.checkOwner(context)
            return try await taskController.delete(request, context: context)
        }
        group.patch(":user_id/tasks/:id/complete") { request, context in
            try Self.checkOwner(context)
            var toggle = TaskChanges()
            toggle.togglesStatus = true
            return try await taskController.change(toggle, request: request, context: context)
        }
    }

    /// The path's user id must be the authenticated user's.
    static func checkOwner(_ context: AuthenticatedContext) throws {
        let claimed = context.parameters.get("user_id")?.lowercased()
        guard claimed == context.user.id.uuidString.lowercased() else {
            throw TaskpilotError.forbidden("The user id in the path is not the authenticated user's; use your own id (GET /api/v1/auth/me).")
        }
    }
}
