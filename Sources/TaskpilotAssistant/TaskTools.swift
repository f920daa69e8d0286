import Foundation
public import TaskpilotCore

/// The tools of DESIGN §6. The first five keep the Phase III return shapes.
public enum TaskTools {
    /// Every tool, by name.
    public static let all: [AssistantTool] = [
        addTask, listTasks, completeTask, deleteTask, updateTask, reopenTask, bulkTasks, setReminder, listTags,
    ]

    /// The tool with this name.
    public static func named(_ name: String) -> AssistantTool? { all.first { $0.name == name } }

    /// Bulk deletes of more than this many tasks need `confirm: true`.
    public static let confirmationThreshold = 3

    // MARK: - Schemas

    static func schema(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        .object([
            "type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
            "additionalProperties": false,
        ])
    }

    static func string(_ description: String, enum values: [String]? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["type": "string", "description": .string(description)]
        if let values { object["enum"] = .array(values.map { .string($0) }) }
        return .object(object)
    }

    static let taskID: JSONValue = .object(["type": "integer", "minimum": 1, "description": "The id of the task (from list_tasks)."])
    static let priority = string("Priority.", enum: TaskPriority.allCases.map(\.rawValue))
    static let tags: JSONValue = .object([
        "type": "array", "items": ["type": "string"], "maxItems": 20, "description": "Tags without '#', e.g. [\"work\", \"home\"].",
    ])
    static let due = string(
        "Due date: RFC 3339 date-time (2026-12-01T09:00:00Z), a local date-time (2026-12-01T09:00, read in the user's time zone), a date (2026-12-01, all-day) or words like \"tomorrow 5pm\" or \"next friday\". \"none\" or an empty string removes it."
    )
    static let recurrence = string(
        "How the task repeats, in words (\"every monday\", \"every 2 hours\", \"every month on the 1st\", \"every 3rd friday\" = of the month, \"every! 2 weeks\" = counted from completion) or as an RRULE (FREQ=WEEKLY;BYDAY=MO, FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1). Empty string removes it."
    )
    static let reminders: JSONValue = .object([
        "type": "array", "maxItems": 10,
        "description": "Reminders: minutes before the due date ({\"offset_minutes\": 60}) or an exact time ({\"at\": \"2026-12-01T08:00:00Z\"}).",
        "items": [
            "type": "object",
            "properties": ["offset_minutes": ["type": "integer", "minimum": 0], "at": ["type": "string"]],
        ],
    ])
    static let filterProperties: [String: JSONValue] = [
        "status": string("Which tasks: pending (default), completed or all.", enum: ["pending", "completed", "all"]),
        "priority": string("Only these priorities, comma-separated, e.g. \"high,urgent\"."),
        "tags": .object(["type": "array", "items": ["type": "string"], "description": "Only tasks carrying all of these tags."]),
        "query": string("Full-text search over title and description."),
        "due_before": string("Only tasks due before this date or date-time."),
        "due_after": string("Only tasks due at or after this date or date-time."),
        "overdue": .object(["type": "boolean", "description": "Only pending tasks whose due time has passed."]),
        "has_due": .object(["type": "boolean", "description": "true: only tasks with a due date; false: only tasks without one."]),
        "tagged": .object(["type": "boolean", "description": "true: only tasks with tags; false: only tasks without tags."]),
        "repeating": .object(["type": "boolean", "description": "true: only repeating (recurring) tasks; false: only one-off tasks."]),
    ]

    // MARK: - Argument reading

    /// The task fields of add_task/update_task as API input, with `due` and `recurrence` also read as words. Words
    /// that move the `current` task (update_task) keep what they do not say, as the chat and the CLI do: "friday"
    /// keeps its time of day, "4pm" its day.
    static func changes(_ arguments: [String: JSONValue], context: ToolContext, current: TaskItem? = nil) throws -> TaskChanges {
        var object = arguments
        object["task_id"] = nil
        object["confirm"] = nil
        let zone = context.user.timeZone
        if let due = arguments["due"] ?? arguments["due_at"] {
            object["due"] = nil
            object["due_at"] = nil
            if case .string(let text) = due, ["", "none", "never", "no"].contains(text.trimmingCharacters(in: .whitespaces).lowercased()) {
                object["due_at"] = .null
            } else if case .string(let text) = due, Timestamp.parse(text, timeZone: zone) == nil {
                let parser = QuickAddParser(now: context.now, timeZone: zone)
                let parsed = parser.parse(text)
                guard var date = parsed.dueAt, parsed.title.isEmpty else {
                    throw ToolError(
                        "Invalid argument due: '\(text)' is not a date; use 2026-12-01T09:00:00Z, 2026-12-01 or words like \"tomorrow 5pm\"."
                    )
                }
                var allDay = parsed.allDay
                if let current,
                    let moved = parser.movedDue(
                        from: current.dueAt,
                        allDay: current.allDay,
                        to: parsed,
                        onlyTime: parser.namesOnlyATime(text),
                        said: text
                    )
                {
                    (date, allDay) = moved
                }
                object["due_at"] = .string(Timestamp.format(date))
                if allDay {
                    // A calendar day in the user's zone, not in UTC.
                    let parts = Calendar.taskpilot(zone).dateComponents([.year, .month, .day], from: date)
                    object["due_at"] = .string(String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))
                }
            } else {
                object["due_at"] = due
            }
        }
        if case .string(let text)? = arguments["recurrence"] {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || ["none", "never", "no"].contains(trimmed.lowercased()) {
                object["recurrence"] = .null
            } else if trimmed.uppercased().hasPrefix("FREQ=") || trimmed.uppercased().hasPrefix("RRULE:") {
                object["recurrence"] = .string(trimmed)
            } else {
                let words =
                    trimmed.lowercased().hasPrefix("every") || ["hourly", "daily", "weekly", "monthly", "yearly"].contains(trimmed.lowercased())
                    ? trimmed : "every " + trimmed
                guard let rule = QuickAddParser(now: context.now, timeZone: zone).parse(words).recurrence else {
                    throw ToolError("Invalid argument recurrence: '\(text)' is not understood; try \"every monday\" or FREQ=WEEKLY;BYDAY=MO.")
                }
                object["recurrence"] = rule.requestJSON
            }
        }
        if case .array(let items)? = arguments["reminders"] {
            // Models often send bare numbers of minutes.
            object["reminders"] = .array(
                items.map { item in
                    if case .number = item { return .object(["offset_minutes": item]) }
                    return item
                }
            )
        }
        if case .string(let text)? = arguments["tags"] {
            object["tags"] = .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
        return try TaskChanges(json: object, timeZone: zone)
    }

    static func id(_ arguments: [String: JSONValue]) throws -> Int64 {
        guard let value = arguments["task_id"] ?? arguments["id"], let id = value.int64Value, id > 0 else {
            throw ToolError("Invalid argument task_id: give the numeric id of a task (from list_tasks).")
        }
        return id
    }

    /// The query of a tool's filter arguments; `bulk` refuses a selection that names no tasks, or one with a blank
    /// parameter (`TaskFilter.blankSelections`): either would act on every task.
    static func filter(_ arguments: [String: JSONValue], context: ToolContext, defaultStatus: String?, bulk: Bool = false) throws -> TaskQuery {
        var parameters: [String: String] = [:]
        for (key, value) in arguments {
            let name = key == "query" ? "q" : key
            switch value {
            case .string(let text): parameters[name] = text
            case .bool(let flag): parameters[name] = flag ? "true" : "false"
            case .number(let number): parameters[name] = number.rounded() == number ? String(Int64(number)) : String(number)
            case .array(let items): parameters[name] = items.compactMap(\.stringValue).joined(separator: ",")
            case .null: continue
            case .object: throw ToolError("Invalid argument \(key): must be a string, a boolean or a list.")
            }
        }
        if parameters["status"] == nil, let defaultStatus { parameters["status"] = defaultStatus }
        parameters["action"] = nil
        parameters["confirm"] = nil
        if bulk {
            if let key = TaskFilter.blankSelections(parameters).first {
                throw ToolError("Invalid argument filter.\(key == "q" ? "query" : key): " + TaskFilter.blankSelectionMessage(parameter: true) + ".")
            }
            if parameters.isEmpty { throw ToolError("Invalid argument filter: it " + TaskFilter.blankSelectionMessage(parameter: false) + ".") }
        }
        do {
            return try TaskQuery(parameters: parameters, timeZone: context.user.timeZone)
        } catch .invalidParameter(field: "q", message: let message) {
            // The tool's argument is `query` (the API's `q`).
            throw ToolError(AssistantTool.message(.invalidParameter(field: "query", message: message)))
        } catch {
            throw ToolError(AssistantTool.message(error))
        }
    }

    static func summary(_ task: TaskItem, status: String) -> JSONValue {
        .object(["task_id": .number(Double(task.id)), "status": .string(status), "title": .string(task.title)])
    }

    /// A reminder as add_task, update_task and the API take it.
    static func reminderInput(_ trigger: ReminderTrigger) -> JSONValue {
        switch trigger {
        case .beforeDue(let minutes): .object(["offset_minutes": .number(Double(minutes))])
        case .at(let date): .object(["at": .string(Timestamp.format(date))])
        }
    }

    /// The list_tasks shape of a task.
    public static func listItem(_ task: TaskItem) -> JSONValue {
        .object([
            "id": .number(Double(task.id)), "title": .string(task.title), "completed": .bool(task.status == .completed),
            "completed_at": task.completedAt.map { .string(Timestamp.format($0)) } ?? .null,
            "priority": .string(task.priority.rawValue), "due_at": task.dueAt.map { .string(Timestamp.format($0)) } ?? .null,
            "tags": .array(task.tags.map { .string($0) }),
        ])
    }

    // MARK: - Tools

    static let addTask = AssistantTool(
        name: "add_task",
        description:
            "Create a task for the user. Returns {task_id, status: \"created\", title}. Dates without an offset are in the user's time zone.",
        inputSchema: schema(
            [
                "title": string("What to do, 1–200 characters."), "description": string("Details, up to 4000 characters."), "due": due,
                "priority": priority, "tags": tags, "recurrence": recurrence, "reminders": reminders,
            ],
            required: ["title"]
        ),
        readOnly: false,
        destructive: false
    ) { arguments, context in
        let changes = try changes(arguments, context: context)
        let draft = try TaskItem.blank(userID: context.user.id, now: context.now).applying(changes, now: context.now, timeZone: context.user.timeZone)
        return summary(try await context.tasks.create(draft), status: "created")
    }

    static let listTasks = AssistantTool(
        name: "list_tasks",
        description:
            "List the user's tasks, pending ones by default, with optional filters. Returns [{id, title, completed, completed_at, priority, due_at, tags}].",
        inputSchema: schema(
            filterProperties.merging([
                "sort": string(
                    "Order, e.g. \"due_at:asc\" or \"priority:desc,due_at:asc\" (fields: due_at, priority, title, created_at, updated_at)."
                ),
                "limit": .object(["type": "integer", "minimum": 1, "maximum": 100, "description": "At most this many tasks (default 50)."]),
            ]) { $1 }
        ),
        readOnly: true,
        destructive: false
    ) { arguments, context in
        if let limit = arguments["limit"], limit != .null {
            guard let number = limit.int64Value, (1...100).contains(number) else {
                throw ToolError("Invalid argument limit: must be a whole number between 1 and 100.")
            }
        }
        var query = try filter(arguments, context: context, defaultStatus: "pending")
        // Soonest due first; a single key lets the database read the page in index order.
        if arguments["sort"] == nil { query.sort = [TaskSort(.dueAt)] }
        let page = try await context.tasks.list(query, userID: context.user.id, now: context.now)
        return .array(page.items.map(listItem))
    }

    static let completeTask = AssistantTool(
        name: "complete_task",
        description:
            "Mark a task as completed. Returns {task_id, status: \"completed\", title}, or status \"already_completed\" (nothing changed) when it was.",
        inputSchema: schema(["task_id": taskID], required: ["task_id"]),
        readOnly: false,
        destructive: false
    ) { arguments, context in
        let taskID = try id(arguments)
        let before = try await context.tasks.get(id: taskID, userID: context.user.id, now: context.now)
        if before.status == .completed { return summary(before, status: "already_completed") }
        let task = try await context.tasks.update(
            id: taskID,
            userID: context.user.id,
            changes: TaskChanges(status: .completed),
            now: context.now,
            timeZone: context.user.timeZone
        )
        return summary(task, status: "completed")
    }

    static let reopenTask = AssistantTool(
        name: "reopen_task",
        description:
            "Mark a completed task as pending again. Returns {task_id, status: \"reopened\", title}, or status \"already_pending\" (nothing changed) when it was not completed.",
        inputSchema: schema(["task_id": taskID], required: ["task_id"]),
        readOnly: false,
        destructive: false
    ) { arguments, context in
        let taskID = try id(arguments)
        let before = try await context.tasks.get(id: taskID, userID: context.user.id, now: context.now)
        if before.status == .pending { return summary(before, status: "already_pending") }
        let task = try await context.tasks.update(
            id: taskID,
            userID: context.user.id,
            changes: TaskChanges(status: .pending),
            now: context.now,
            timeZone: context.user.timeZone
        )
        return summary(task, status: "reopened")
    }

    static let deleteTask = AssistantTool(
        name: "delete_task",
        description: "Delete a task for good. Returns {task_id, status: \"deleted\", title}.",
        inputSchema: schema(["task_id": taskID], required: ["task_id"]),
        readOnly: false,
        destructive: true
    ) { arguments, context in
        summary(try await context.tasks.delete(id: try id(arguments), userID: context.user.id), status: "deleted")
    }

    static let updateTask = AssistantTool(
        name: "update_task",
        description: "Change a task's title, description, due date, priority, tags or recurrence. Returns {task_id, status: \"updated\", title}.",
        inputSchema: schema(
            [
                "task_id": taskID, "title": string("New title."), "description": string("New description."), "due": due, "priority": priority,
                "tags": tags, "recurrence": recurrence, "reminders": reminders,
            ],
            required: ["task_id"]
        ),
        readOnly: false,
        destructive: false
    ) { arguments, context in
        let taskID = try id(arguments)
        guard arguments.keys.contains(where: { $0 != "task_id" }) else {
            throw ToolError("Nothing to change: give at least one of title, description, due, priority, tags, recurrence or reminders.")
        }
        // Due dates in words move the task as it stands.
        let saidInWords = (arguments["due"] ?? arguments["due_at"])?.stringValue.map { Timestamp.parse($0, timeZone: context.user.timeZone) == nil }
        let current = saidInWords == true ? try await context.tasks.get(id: taskID, userID: context.user.id, now: context.now) : nil
        let task = try await context.tasks.update(
            id: taskID,
            userID: context.user.id,
            changes: try changes(arguments, context: context, current: current),
            now: context.now,
            timeZone: context.user.timeZone
        )
        return summary(task, status: "updated")
    }

    static let bulkTasks = AssistantTool(
        name: "bulk_tasks",
        description:
            "Complete, reopen or delete every task matching a filter, or exactly the tasks with the given ids. Deleting more than \(confirmationThreshold) tasks needs confirm: true; without it the tool only reports how many would be affected. Returns {action, affected} or {status: \"confirmation_required\", count}.",
        inputSchema: schema(
            [
                "action": string("What to do.", enum: BulkAction.allCases.map(\.rawValue)),
                "filter": .object([
                    "type": "object",
                    "properties": .object(
                        filterProperties.merging([
                            "status": string("Which tasks: all (default here), pending or completed.", enum: ["pending", "completed", "all"])
                        ]) {
                            $1
                        }
                    ),
                    "description": "Which tasks; without a status, tasks of every status.",
                ]),
                "ids": .object([
                    "type": "array", "items": ["type": "integer", "minimum": 1], "maxItems": .number(Double(TaskQuery.maxLimit)),
                    "description": "Only these tasks, e.g. the ones the user was shown and confirmed; combined with filter if both are given.",
                ]),
                "confirm": .object(["type": "boolean", "description": "Set true after the user confirmed a large delete."]),
            ],
            required: ["action"]
        ),
        readOnly: false,
        destructive: true
    ) { arguments, context in
        guard let name = arguments["action"]?.stringValue, let action = BulkAction(rawValue: name.lowercased()) else {
            throw ToolError("Invalid argument action: must be complete, reopen or delete.")
        }
        // As the REST endpoint: which tasks must be said, or a call without them would act on every task.
        guard arguments["filter"]?.objectValue != nil || arguments["ids"] != nil && arguments["ids"] != .null else {
            throw ToolError(
                "Say which tasks: give filter (e.g. {\"status\": \"completed\"}; {\"status\": \"all\"} for every task) or ids (from list_tasks)."
            )
        }
        let filterArguments = arguments["filter"]?.objectValue ?? [:]
        var query =
            if arguments["filter"]?.objectValue != nil, arguments["ids"] == nil || arguments["ids"] == .null {
                try filter(filterArguments, context: context, defaultStatus: nil, bulk: true)
            } else {
                try filter(filterArguments, context: context, defaultStatus: nil)
            }
        if let value = arguments["ids"] {
            let items = value.arrayValue ?? []
            let ids = items.compactMap(\.int64Value).filter { $0 > 0 }
            guard value.arrayValue != nil, ids.count == items.count, ids.count <= TaskQuery.maxLimit else {
                throw ToolError("Invalid argument ids: must be a list of at most \(TaskQuery.maxLimit) task ids (from list_tasks).")
            }
            query.filter.ids = ids
        }
        if action == .delete, arguments["confirm"] != .bool(true) {
            var counting = query
            counting.limit = TaskQuery.maxLimit
            counting.cursor = nil
            let count = try await context.tasks.list(counting, userID: context.user.id, now: context.now).items.count
            if count > confirmationThreshold {
                return .object([
                    "status": "confirmation_required", "action": .string(action.rawValue), "count": .number(Double(count)),
                    "message": .string("This would delete \(count) tasks. Ask the user to confirm, then call again with confirm: true."),
                ])
            }
        }
        let affected = try await context.tasks.bulk(action, filter: query.filter, userID: context.user.id, now: context.now)
        return .object(["action": .string(action.rawValue), "affected": .number(Double(affected))])
    }

    static let setReminder = AssistantTool(
        name: "set_reminder",
        description:
            "Add a reminder to a task: minutes before its due date, or at an exact time. Returns {task_id, status: \"reminder_set\", title, fire_at}.",
        inputSchema: schema(
            [
                "task_id": taskID,
                "offset_minutes": .object(["type": "integer", "minimum": 0, "description": "Minutes before the due date."]),
                "at": string("An exact time: RFC 3339, a local date-time, or words like \"tomorrow 8am\"."),
            ],
            required: ["task_id"]
        ),
        readOnly: false,
        destructive: false
    ) { arguments, context in
        let taskID = try id(arguments)
        let current = try await context.tasks.get(id: taskID, userID: context.user.id, now: context.now)
        var item = JSONFields(arguments)
        let minutes = item.int("offset_minutes", in: 0...525_600)
        let at = item.string("at")
        guard item.errors.isEmpty else {
            throw ToolError("Invalid arguments: " + item.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
        }
        var reminder: JSONValue
        switch (minutes, at) {
        case (let minutes?, nil):
            reminder = .object(["offset_minutes": .number(Double(minutes))])
        case (nil, let text?):
            let zone = context.user.timeZone
            var date = Timestamp.parse(text, timeZone: zone)?.date
            if date == nil {
                let parsed = QuickAddParser(now: context.now, timeZone: zone).parse(text)
                if parsed.title.isEmpty { date = parsed.dueAt }
            }
            guard let date else { throw ToolError("Invalid argument at: '\(text)' is not a time.") }
            // A reminder that has passed would fire at once: not what was asked.
            guard date > context.now else {
                throw ToolError(
                    "Invalid argument at: \(Timestamp.format(date)) has passed; give a time to come (now is \(Timestamp.format(context.now)))."
                )
            }
            reminder = .object(["at": .string(Timestamp.format(date))])
        default:
            throw ToolError("Give either offset_minutes (minutes before the due date) or at (an exact time).")
        }
        // When it fires is the task's to say (an all-day task's reminders count from 9:00 on its day), as the store does.
        if let minutes, let due = current.dueAt,
            let fire = ReminderTrigger.beforeDue(minutes: minutes).fireDate(dueAt: due, allDay: current.allDay, timeZone: context.user.timeZone),
            fire <= context.now
        {
            throw ToolError(
                "Invalid argument offset_minutes: \(minutes) minutes before the due date (\(Timestamp.format(due))) is \(Timestamp.format(fire)), which has passed; give fewer minutes or an exact time to come."
            )
        }
        let existing = current.reminders.map { reminderInput($0.trigger) }
        let changes = try TaskChanges(json: ["reminders": .array(existing + [reminder])], timeZone: context.user.timeZone)
        let task = try await context.tasks.update(
            id: taskID,
            userID: context.user.id,
            changes: changes,
            now: context.now,
            timeZone: context.user.timeZone
        )
        var result = summary(task, status: "reminder_set").objectValue ?? [:]
        result["fire_at"] = task.reminders.last?.fireAt.map { .string(Timestamp.format($0)) } ?? .null
        return .object(result)
    }

    static let listTags = AssistantTool(
        name: "list_tags",
        description: "The user's tags with how many tasks carry each, and how many of those are pending. Returns [{name, count, open}].",
        inputSchema: schema([:]),
        readOnly: true,
        destructive: false
    ) { _, context in
        .array(
            try await context.tasks.tags(userID: context.user.id).map {
                .object(["name": .string($0.name), "count": .number(Double($0.count)), "open": .number(Double($0.open))])
            }
        )
    }
}
