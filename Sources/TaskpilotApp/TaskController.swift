import Foundation
import HTTPTypes
import Hummingbird
import TaskpilotCore

/// The task routes of API v1 and the shared handlers the compatibility routes reuse.
struct TaskController: Sendable {
    let tasks: any TaskRepository
    let maxBodyBytes: Int
    /// The largest task id a body's JSON number holds exactly (2^53 - 1).
    static let largestBodyID = 9_007_199_254_740_991.0

    /// `/tasks`, `/tasks/{id}`, `/tasks/{id}/complete|reopen`, `/tasks/bulk` and `/tags`.
    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("tasks", use: list)
        group.post("tasks", use: create)
        group.post("tasks/bulk", use: bulk)
        group.post("tasks/quick", use: quickAdd)
        group.post("tasks/quick/preview", use: quickAddPreview)
        group.get("tasks/:id", use: get)
        group.patch("tasks/:id", use: update)
        group.delete("tasks/:id", use: delete)
        group.post("tasks/:id/complete") { request, context in
            try await setStatus(.completed, request: request, context: context)
        }
        group.post("tasks/:id/reopen") { request, context in
            try await setStatus(.pending, request: request, context: context)
        }
        group.get("tags", use: tags)
    }

    func list(_ request: Request, context: AuthenticatedContext) async throws -> TaskListDTO {
        let user = context.user
        let parameters = try request.listParameters()
        // A parameter the listing does not read is refused, not ignored: `?page=2` would answer the first page again,
        // `?priorty=high` every task. Names starting with `_` (cache busters) pass.
        let known = TaskQuery.parameterNames
        if let key = parameters.keys.sorted().first(where: { !known.contains($0) && !TaskFilter.aliases.contains($0) && !$0.hasPrefix("_") }) {
            throw TaskpilotError.invalidParameter(field: key, message: JSONFields.unknown(key, known: known, kind: "parameter"))
        }
        let query = try TaskQuery(parameters: parameters, timeZone: user.timeZone)
        let now = Date()
        let page = try await tasks.listJSON(query, userID: user.id, now: now, timeZone: user.timeZone)
        return TaskListDTO(items: page.items, now: now, nextCursor: page.nextCursor?.encoded)
    }

    func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<TaskDTO> {
        let user = context.user
        let changes = try TaskChanges(json: try await request.jsonObject(limit: maxBodyBytes), timeZone: user.timeZone)
        let now = Date()
        let draft = try TaskItem.blank(userID: user.id, now: now).applying(changes, now: now, timeZone: user.timeZone)
        let task = try await tasks.create(draft)
        return EditedResponse(
            status: .created,
            headers: [.location: "/api/v1/tasks/\(task.id)"],
            response: TaskDTO(task, now: now, timeZone: user.timeZone)
        )
    }

    /// `POST /tasks/quick {"text"}`: natural-language quick add.
    func quickAdd(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<TaskDTO> {
        let user = context.user
        let now = Date()
        let parsed = try await parseQuickAdd(request, now: now, timeZone: user.timeZone)
        var changes = try parsed.changes.validated()
        if parsed.title.isEmpty {
            throw TaskpilotError.invalid("text", "has no words left for a title once the date and options are read; add what the task is")
        }
        try Self.checkTitleLength(parsed.title)
        changes.title = parsed.title
        let draft = try TaskItem.blank(userID: user.id, now: now).applying(changes, now: now, timeZone: user.timeZone)
        let task = try await tasks.create(draft)
        return EditedResponse(
            status: .created,
            headers: [.location: "/api/v1/tasks/\(task.id)"],
            response: TaskDTO(task, now: now, timeZone: user.timeZone)
        )
    }

    /// `POST /tasks/quick/preview {"text"}`: what quick add would create, without saving it.
    func quickAddPreview(_ request: Request, context: AuthenticatedContext) async throws -> TaskDTO {
        let user = context.user
        let now = Date()
        let parsed = try await parseQuickAdd(request, now: now, timeZone: user.timeZone)
        try Self.checkTitleLength(parsed.title)
        var changes = parsed.changes
        changes.title = parsed.title.isEmpty ? "-" : parsed.title
        // Checked as adding checks it (too many tags, say), so the preview says what adding would.
        changes = try changes.validated()
        var draft = try TaskItem.blank(userID: user.id, now: now).applying(changes, now: now, timeZone: user.timeZone)
        draft.title = parsed.title
        return TaskDTO(draft, now: now, timeZone: user.timeZone, stored: false)
    }

    /// A title past the limit is refused (by quick add as by its preview, so the preview says what adding would),
    /// as POST /tasks refuses it, not cut short without a word.
    static func checkTitleLength(_ title: String) throws {
        guard title.codePointCount > TaskChanges.maxTitleLength else { return }
        throw TaskpilotError.invalid(
            "text",
            "leaves a title of \(title.codePointCount) characters once the date and options are read; a title is at most \(TaskChanges.maxTitleLength): shorten it and put the details in the task's description"
        )
    }

    /// The quick-add text of the request, parsed; slashed dates day first when the client's language writes so.
    private func parseQuickAdd(_ request: Request, now: Date, timeZone: TimeZone) async throws -> QuickAddResult {
        let text = try await quickAddText(request)
        return QuickAddParser.$dayFirst.withValue(HourCycle.dayFirst(acceptLanguage: request.headers[.acceptLanguage])) {
            QuickAddParser(now: now, timeZone: timeZone).parse(text)
        }
    }

    private func quickAddText(_ request: Request) async throws -> String {
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["text"])
        let raw = fields.string("text")
        let text = raw?.trimmingCharacters(in: .whitespacesAndNewlines)
        if !fields.failed("text") && (text ?? "").isEmpty {
            fields.fail("text", "is required, e.g. \"Pay rent every month on the 1st 9am p1 #home\"")
        }
        // As sent, as the document's maxLength counts it (white space around it included).
        if let raw, raw.codePointCount > 1000 { fields.fail("text", "must be at most 1000 characters (got \(raw.codePointCount))") }
        guard fields.errors.isEmpty, let text else { throw TaskpilotError.validationFailed(fields.errors) }
        return text
    }

    func get(_ request: Request, context: AuthenticatedContext) async throws -> TaskDTO {
        let now = Date()
        let task = try await tasks.get(id: try context.parameters.taskID(), userID: context.user.id, now: now)
        return TaskDTO(task, now: now, timeZone: context.user.timeZone)
    }

    func update(_ request: Request, context: AuthenticatedContext) async throws -> TaskDTO {
        let user = context.user
        let id = try context.parameters.taskID()
        let changes = try TaskChanges(json: try await request.jsonObject(limit: maxBodyBytes), timeZone: user.timeZone)
        let now = Date()
        let task = try await tasks.update(
            id: id,
            userID: user.id,
            changes: changes,
            now: now,
            timeZone: user.timeZone,
            expected: try request.taskPrecondition()
        )
        return TaskDTO(task, now: now, timeZone: user.timeZone)
    }

    func delete(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        _ = try await tasks.delete(id: try context.parameters.taskID(), userID: context.user.id, expected: try request.taskPrecondition())
        return Response(status: .noContent)
    }

    func setStatus(_ status: TaskStatus, request: Request, context: AuthenticatedContext) async throws -> TaskDTO {
        try await change(TaskChanges(status: status), request: request, context: context)
    }

    /// Writes `changes` to the task of the path.
    func change(_ changes: TaskChanges, request: Request, context: AuthenticatedContext) async throws -> TaskDTO {
        let user = context.user
        let now = Date()
        let task = try await tasks.update(
            id: try context.parameters.taskID(),
            userID: user.id,
            changes: changes,
            now: now,
            timeZone: user.timeZone,
            expected: try request.taskPrecondition()
        )
        return TaskDTO(task, now: now, timeZone: user.timeZone)
    }

    func bulk(_ request: Request, context: AuthenticatedContext) async throws -> BulkResultDTO {
        let user = context.user
        var fields = JSONFields(try await request.jsonObject(limit: maxBodyBytes))
        fields.refuseUnknown(["action", "ids", "filter"])
        let actionName = fields.string("action")
        let action = actionName.flatMap { BulkAction(rawValue: $0.lowercased()) }
        if actionName != nil && action == nil || actionName == nil && !fields.failed("action") {
            fields.fail("action", "must be one of complete, reopen, delete")
        }
        var filter = TaskFilter()
        switch (fields.has("ids") && !fields.isNull("ids"), fields.has("filter") && !fields.isNull("filter")) {
        case (true, true):
            fields.fail("ids", "cannot be combined with filter; give one of them")
        case (false, false):
            fields.fail("ids", "give ids (a list of task ids) or filter (list parameters such as {\"status\": \"completed\"})")
        case (true, false):
            if let items = fields.array("ids") {
                var ids: [Int64] = []
                for (index, item) in items.enumerated() {
                    // A JSON number is read as a double: whole numbers are exact up to 2^53 - 1, the largest id here.
                    guard case .number(let number) = item, number.rounded() == number, number >= 1, number <= Self.largestBodyID else {
                        fields.fail("ids[\(index)]", "must be a whole number from 1 to \(Int64(Self.largestBodyID))")
                        continue
                    }
                    ids.append(Int64(number))
                }
                if items.count > 1000 { fields.fail("ids", "must hold at most 1000 ids") }
                filter.ids = ids
            }
        case (false, true):
            if let object = fields.objectValue("filter") {
                var filterFields = JSONFields(object, prefix: "filter.")
                filterFields.refuseUnknown(TaskFilter.parameterNames, alsoAccepted: TaskFilter.aliases)
                fields.append(filterFields.errors)
                // Each parameter in the type the document gives it: a flag true or false, a list strings, the rest a string.
                let flags = Set(TaskFilter.flagNames)
                let lists = TaskFilter.listNames
                var parameters: [String: String] = [:]
                for (key, value) in object where !filterFields.failed(key) {
                    switch value {
                    case .string(let text) where !flags.contains(key): parameters[key] = text
                    case .bool(let flag) where flags.contains(key): parameters[key] = flag ? "true" : "false"
                    case .array(let items) where lists.contains(key) && items.allSatisfy({ $0.stringValue != nil }):
                        parameters[key] = items.compactMap(\.stringValue).joined(separator: ",")
                    case .null: continue
                    default:
                        let expected =
                            flags.contains(key)
                            ? "true or false" : lists.contains(key) ? "a list of strings or one comma-separated string" : "a string"
                        fields.fail(
                            "filter.\(key)",
                            "must be \(expected)" + (value.arrayValue != nil && lists.contains(key) ? "" : ", not \(value.typeName)")
                        )
                    }
                }
                // A blank selection would act on every task.
                for key in TaskFilter.blankSelections(parameters) { fields.fail("filter.\(key)", TaskFilter.blankSelectionMessage(parameter: true)) }
                if object.values.allSatisfy({ $0 == .null }) { fields.fail("filter", TaskFilter.blankSelectionMessage(parameter: false)) }
                do {
                    filter = try TaskFilter(parameters: parameters, timeZone: user.timeZone)
                } catch {
                    if case .invalidParameter(let field, let message) = error { fields.fail("filter.\(field)", message) }
                }
            }
        }
        guard fields.errors.isEmpty, let action else { throw TaskpilotError.validationFailed(fields.errors) }
        let affected = try await tasks.bulk(action, filter: filter, userID: user.id, now: Date())
        return BulkResultDTO(affected: affected)
    }

    func tags(_ request: Request, context: AuthenticatedContext) async throws -> ListDTO<TagCount> {
        ListDTO(try await tasks.tags(userID: context.user.id))
    }
}

extension Request {
    /// The precondition of the request's `If-Match` header (nil without one, or for `*`).
    func taskPrecondition() throws -> TaskPrecondition? {
        let values = headers[values: .ifMatch]
        guard !values.isEmpty else { return nil }
        return try TaskPrecondition.parse(ifMatch: values.joined(separator: ", "))
    }
}
