import FluentKit
public import Foundation
import PostgresNIO
import SQLKit
public import TaskpilotCore

/// Tasks in SQLite or PostgreSQL through SQLKit; every statement is scoped by `user_id`.
public struct SQLTaskRepository: TaskRepository {
    private let store: TaskpilotDatabase
    private let source: ChangeSource
    private let signal: OutboxSignal?

    /// A repository over the database whose changes are recorded as coming from `source`; `signal` wakes the relay.
    public init(database: TaskpilotDatabase, source: ChangeSource = .api, signal: OutboxSignal? = nil) {
        self.store = database
        self.source = source
        self.signal = signal
    }

    /// The same repository recording changes as coming from another source.
    public func from(_ source: ChangeSource) -> SQLTaskRepository {
        SQLTaskRepository(database: store, source: source, signal: signal)
    }

    /// Commits `body` and then wakes the relay.
    private func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let result = try await store.transaction(body)
        signal?.notify()
        return result
    }

    private static let columnNames = [
        "id", "title", "description", "status", "priority", "tags", "due_at", "all_day", "recurrence", "recurrence_from_completion",
        "series_id", "occurrence", "completed_at", "created_at", "updated_at",
    ]
    private static func columnList(_ alias: String) -> String { columnNames.map { alias + "." + $0 }.joined(separator: ", ") }
    private static let columns = SQLQueryString(columnList("t"))
    /// What a page read for `listJSON` selects of each task.
    private static let versionColumns: SQLQueryString = "t.id, t.version"

    /// The columns of tasks read with their reminders (`u` names the tasks in the union of `list`, PostgreSQL only). On
    /// PostgreSQL the reminders come in the same row, as one text column (`reminder_list`, read by
    /// `attachReminders(to:rows:on:)`): a second statement for them cost a round trip to the server for every read.
    /// SQLite answers in-process, where the second statement is cheaper than the aggregate.
    private static func readColumns(on sql: any SQLDatabase, inUnion: Bool = false) -> SQLQueryString {
        guard sql.dialect.name != "sqlite" else { return columns }
        return inUnion ? postgresReadColumns.union : postgresReadColumns.tasks
    }

    private static let postgresReadColumns: (tasks: SQLQueryString, union: SQLQueryString) = {
        func withReminders(_ alias: String) -> SQLQueryString {
            SQLQueryString(
                columnList(alias) + ", (SELECT string_agg(r.id::text || ',' || COALESCE(r.offset_minutes::text, '') || ',' "
                    + "|| COALESCE(r.at::text, '') || ',' || COALESCE(r.fire_at::text, '') || ',' || COALESCE(r.fired_at::text, ''), "
                    + "';' ORDER BY r.id) FROM reminders r WHERE r.task_id = \(alias).id) AS reminder_list"
            )
        }
        return (withReminders("t"), withReminders("u"))
    }()

    public func create(_ task: TaskItem) async throws -> TaskItem {
        let source = self.source
        if store.flavor == .postgres, task.reminders.isEmpty {
            let (store, signal) = (self.store, self.signal)
            return try await store.creates.create(CreateBatcher.Job(task: task, source: source)) { jobs in
                let created = await Self.create(jobs, on: store.sql)
                signal?.notify()
                return created
            }
        }
        return try await write { sql in
            let created = try await Self.insert(task, on: sql)
            try await OutboxWriter.append(OutboxEvent.taskCreated(created, source: source), on: sql, now: created.updatedAt)
            return created
        }
    }

    /// Tasks without reminders on PostgreSQL (see `CreateBatcher`), in one statement; when PostgreSQL refuses it for
    /// several (one bad task fails it for all), each goes alone, so that only a bad one fails.
    private static func create(_ jobs: [CreateBatcher.Job], on sql: any SQLDatabase) async -> [Result<TaskItem, any Error>] {
        do {
            return try await createInOneStatement(jobs, on: sql).map { .success($0) }
        } catch let error as PSQLError where error.code == .server && jobs.count > 1 {
            // PostgreSQL refused the statement and wrote nothing: each alone, below.
        } catch {
            // A single task's own failure, or a lost connection (whether the statement was written is unknown, so none
            // is written again).
            return jobs.map { _ in .failure(error) }
        }
        var results: [Result<TaskItem, any Error>] = []
        for job in jobs {
            do {
                results.append(.success(try await createInOneStatement([job], on: sql)[0]))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// The next `count` task ids.
    private static func nextIDs(_ count: Int, on sql: any SQLDatabase) async throws -> [Int64] {
        let ids = try await sql.raw(
            "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) AS id FROM generate_series(1, \(bind: count))"
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
        guard ids.count == count else { throw DatabaseSetupError("the task id sequence answered \(ids.count) ids for \(count)") }
        return ids.sorted()
    }

    /// Tasks without reminders on PostgreSQL: their ids first, then their rows, tags and events in one statement (atomic
    /// by itself), two round trips to the server for any number of tasks instead of five for each (BEGIN, three
    /// INSERTs, COMMIT). Rows, tags and events go as parallel arrays, so the text is the same for any number of tasks
    /// and tags (prepared once per connection). Arrays carry no NULLs here: an absent value goes as a stand-in that
    /// `NULLIF` turns back.
    private static func createInOneStatement(_ jobs: [CreateBatcher.Job], on sql: any SQLDatabase) async throws -> [TaskItem] {
        let ids = try await nextIDs(jobs.count, on: sql)
        let none = Int64.min
        var rows = (users: [String](), titles: [String](), descriptions: [String](), statuses: [String](), priorities: [Int64]())
        var more = (tags: [String](), due: [Int64](), allDay: [Int64](), rules: [String](), fromCompletion: [Int64]())
        var rest = (series: [Int64](), occurrences: [Int64](), completed: [Int64](), createdAt: [Int64](), updatedAt: [Int64]())
        var tags = (tasks: [Int64](), users: [String](), names: [String]())
        var events = (topics: [String](), keys: [String](), texts: [String](), times: [Int64]())
        var created: [TaskItem] = []
        for (job, id) in zip(jobs, ids) {
            let task = job.task
            let stored = Self.stored(task, id: id)
            rows.users.append(task.userID.storageKey)
            rows.titles.append(task.title)
            rows.descriptions.append(task.description)
            rows.statuses.append(task.status.rawValue)
            rows.priorities.append(Int64(task.priority.rank))
            more.tags.append(task.tags.joined(separator: ","))
            more.due.append(task.dueAt?.millisecondsSince1970 ?? none)
            more.allDay.append(task.allDay ? 1 : 0)
            more.rules.append(task.recurrence?.rrule ?? "")
            more.fromCompletion.append(task.recurrence?.fromCompletion == true ? 1 : 0)
            rest.series.append(task.seriesID ?? (task.recurrence != nil ? id : 0))
            rest.occurrences.append(Int64(task.occurrence))
            rest.completed.append(task.completedAt?.millisecondsSince1970 ?? none)
            rest.createdAt.append(task.createdAt.millisecondsSince1970)
            rest.updatedAt.append(task.updatedAt.millisecondsSince1970)
            for tag in task.tags {
                tags.tasks.append(id)
                tags.users.append(task.userID.storageKey)
                tags.names.append(tag)
            }
            for event in OutboxEvent.taskCreated(stored, source: job.source) {
                events.topics.append(event.topic.rawValue)
                events.keys.append(event.key)
                events.texts.append(event.envelope.jsonText)
                events.times.append(stored.updatedAt.millisecondsSince1970)
            }
            created.append(stored)
        }
        try await sql.raw(
            """
            \(unsafeRaw: NamedStatements.write)WITH t AS (
                INSERT INTO tasks (id, user_id, title, description, status, priority, tags, due_at, all_day, recurrence,
                    recurrence_from_completion, series_id, occurrence, completed_at, created_at, updated_at)
                SELECT id, user_id, title, description, status, priority::smallint, tags, NULLIF(due_at, \(bind: none)),
                    all_day::smallint, NULLIF(rule, ''), from_completion::smallint, NULLIF(series_id, 0), occurrence::integer,
                    NULLIF(completed_at, \(bind: none)), created_at, updated_at
                FROM unnest(\(bind: ids)::bigint[], \(bind: rows.users)::text[], \(bind: rows.titles)::text[],
                    \(bind: rows.descriptions)::text[], \(bind: rows.statuses)::text[], \(bind: rows.priorities)::bigint[],
                    \(bind: more.tags)::text[], \(bind: more.due)::bigint[], \(bind: more.allDay)::bigint[], \(bind: more.rules)::text[],
                    \(bind: more.fromCompletion)::bigint[], \(bind: rest.series)::bigint[], \(bind: rest.occurrences)::bigint[],
                    \(bind: rest.completed)::bigint[], \(bind: rest.createdAt)::bigint[], \(bind: rest.updatedAt)::bigint[])
                    AS r(id, user_id, title, description, status, priority, tags, due_at, all_day, rule, from_completion, series_id,
                    occurrence, completed_at, created_at, updated_at)
            ), g AS (
                INSERT INTO task_tags (task_id, user_id, tag)
                SELECT * FROM unnest(\(bind: tags.tasks)::bigint[], \(bind: tags.users)::text[], \(bind: tags.names)::text[])
            ), o AS (
                INSERT INTO outbox (topic, event_key, event, created_at)
                SELECT topic, event_key, event, created_at
                FROM unnest(\(bind: events.topics)::text[], \(bind: events.keys)::text[], \(bind: events.texts)::text[],
                    \(bind: events.times)::bigint[]) WITH ORDINALITY AS e(topic, event_key, event, created_at, position)
                ORDER BY position
            ) SELECT 1 AS done
            """
        ).run()
        return created
    }

    public func get(id: Int64, userID: UUID, now: Date) async throws -> TaskItem {
        try await store.read { try await Self.fetch(id: id, userID: userID, on: $0, lock: false) }
    }

    public func update(
        id: Int64,
        userID: UUID,
        changes: TaskChanges,
        now: Date,
        timeZone: TimeZone,
        expected: TaskPrecondition?
    ) async throws -> TaskItem {
        let lock = store.flavor == .postgres
        let source = self.source
        return try await write { sql in
            let current = try await Self.fetch(id: id, userID: userID, on: sql, lock: lock)
            try expected?.check(current)
            let next = try current.applying(changes, now: now, timeZone: timeZone)
            // A change to what the task already is writes nothing: no new updated_at, no event.
            var unchanged = next
            unchanged.updatedAt = current.updatedAt
            if unchanged == current { return current }
            var seriesID = next.seriesID
            if next.recurrence != nil && seriesID == nil { seriesID = id }
            try await sql.raw(
                """
                UPDATE tasks SET title = \(bind: next.title), description = \(bind: next.description), status = \(bind: next.status.rawValue),
                    priority = \(bind: next.priority.rank), tags = \(bind: next.tags.joined(separator: ",")),
                    due_at = \(bind: next.dueAt?.millisecondsSince1970), all_day = \(bind: next.allDay ? 1 : 0),
                    recurrence = \(bind: next.recurrence?.rrule), recurrence_from_completion = \(bind: next.recurrence?.fromCompletion == true ? 1 : 0),
                    series_id = \(bind: seriesID), completed_at = \(bind: next.completedAt?.millisecondsSince1970),
                    updated_at = \(bind: next.updatedAt.millisecondsSince1970)
                WHERE id = \(bind: id) AND user_id = \(bind: userID.storageKey)
                """
            ).run()
            if next.tags != current.tags {
                try await Self.writeTags(next.tags, taskID: id, userID: userID, on: sql, replacing: true)
            }
            if next.reminders != current.reminders {
                try await Self.writeReminders(next.reminders, taskID: id, userID: userID, on: sql, replacing: true)
            }
            let updated = try await Self.fetch(id: id, userID: userID, on: sql, lock: false)
            let kind: TaskEventKind =
                current.status == updated.status ? .updated : updated.status == .completed ? .completed : .reopened
            var events = OutboxEvent.taskChange(kind, task: updated, before: current, source: source, now: now)
            if kind == .reopened { events += try await Self.withdrawNextOccurrence(after: current, userID: userID, now: now, on: sql) }
            try await OutboxWriter.append(events, on: sql, now: now)
            return updated
        }
    }

    /// Reopening a completed occurrence of a series takes back the next occurrence its completion created, while
    /// that one is untouched (pending and never changed since it was written): otherwise an undone completion leaves
    /// two open copies of the series, and completing again would not roll it forward (the next one exists). An
    /// occurrence someone has changed or completed stays. Returns the events of the deletion (source `system`).
    static func withdrawNextOccurrence(after task: TaskItem, userID: UUID, now: Date, on sql: any SQLDatabase) async throws -> [OutboxEvent] {
        guard task.recurrence != nil else { return [] }
        let row = try await sql.raw(
            """
            SELECT id FROM tasks WHERE series_id = \(bind: task.seriesID ?? task.id) AND user_id = \(bind: userID.storageKey)
                AND occurrence = \(bind: task.occurrence + 1) AND status = 'pending' AND updated_at = created_at
            """
        ).first()
        guard let nextID = try row?.decode(column: "id", as: Int64.self) else { return [] }
        let next = try await fetch(id: nextID, userID: userID, on: sql, lock: false)
        try await sql.raw("DELETE FROM tasks WHERE id = \(bind: nextID) AND user_id = \(bind: userID.storageKey)").run()
        return OutboxEvent.taskChange(.deleted, task: next, before: next, source: .system, now: now)
    }

    public func delete(id: Int64, userID: UUID, expected: TaskPrecondition?) async throws -> TaskItem {
        let source = self.source
        // Checked and deleted as one: on PostgreSQL the row is locked between the two.
        let lock = expected != nil && store.flavor == .postgres
        return try await write { sql in
            let current = try await Self.fetch(id: id, userID: userID, on: sql, lock: lock)
            try expected?.check(current)
            try await sql.raw("DELETE FROM tasks WHERE id = \(bind: id) AND user_id = \(bind: userID.storageKey)").run()
            let now = Date()
            try await OutboxWriter.append(
                OutboxEvent.taskChange(.deleted, task: current, before: current, source: source, now: now),
                on: sql,
                now: now
            )
            return current
        }
    }

    public func list(_ query: TaskQuery, userID: UUID, now: Date) async throws -> TaskPage {
        try await store.read { sql in
            let keys = query.sort.map { SortKey(sort: $0) }
            let rows = try await sql.raw(pageStatement(query, keys: keys, userID: userID, now: now, full: true, on: sql)).all()
            var tasks = try rows.prefix(query.limit).map { try Self.task(from: $0, userID: userID) }
            try await Self.attachReminders(to: &tasks, rows: rows.prefix(query.limit), on: sql)
            return TaskPage(items: tasks, nextCursor: try nextCursor(after: rows, keys: keys, query: query))
        }
    }

    /// The page as `list` finds it, its tasks written as the API shows them in `timeZone`. The page's statement reads
    /// only the ids and versions of its tasks; those written before from the same version in the same zone come from
    /// the database's `WrittenTaskCache`, the others are read (one statement for all of them), written and kept. A
    /// task deleted between the two statements is left out; one changed between them is shown as it is now.
    public func listJSON(_ query: TaskQuery, userID: UUID, now: Date, timeZone: TimeZone) async throws -> TaskJSONPage {
        let cache = store.writtenTasks
        let zone = timeZone.identifier
        return try await store.read { sql in
            let keys = query.sort.map { SortKey(sort: $0) }
            let rows = try await sql.raw(pageStatement(query, keys: keys, userID: userID, now: now, full: false, on: sql)).all()
            let page = try rows.prefix(query.limit).map {
                (id: try $0.decode(column: "id", as: Int64.self), version: try $0.decode(column: "version", as: Int64.self))
            }
            var found = cache.fragments(page, timeZone: zone)
            let missing = page.map(\.id).filter { found[$0] == nil }
            if !missing.isEmpty {
                var written: [(id: Int64, entry: WrittenTaskCache.Entry)] = []
                for (task, version) in try await Self.fetchMany(ids: missing, userID: userID, versions: true, on: sql) {
                    let fragment = task.apiJSONFragment(timeZone: timeZone)
                    found[task.id] = fragment
                    written.append((task.id, .init(version: version, timeZone: zone, fragment: fragment)))
                }
                cache.keep(written)
            }
            return TaskJSONPage(items: page.compactMap { found[$0.id] }, nextCursor: try nextCursor(after: rows, keys: keys, query: query))
        }
    }

    /// The statement of one page of `query` and the row after it (which says whether another page follows), with the
    /// values of the sort `keys` as `s0`, `s1`, …: every column of the tasks (and on PostgreSQL their reminders) when
    /// `full`, else their ids and versions.
    private func pageStatement(
        _ query: TaskQuery,
        keys: [SortKey],
        userID: UUID,
        now: Date,
        full: Bool,
        on sql: any SQLDatabase
    ) async throws -> SQLQueryString {
        let matches = try await Self.rareMatches(of: query.filter, userID: userID, flavor: store.flavor, on: sql)
        let idDirection = keys.first?.descending == true ? "DESC" : "ASC"
        let keyOrder = keys.enumerated().map { "s\($0.offset) \($0.element.descending ? "DESC" : "ASC")" }
        /// The page's SELECT over tasks narrowed by `filter`, in the order asked for; an `inner` one leaves out the
        /// reminders.
        func select(_ filter: TaskFilter, inner: Bool = false) -> SQLQueryString {
            var statement: SQLQueryString = "SELECT " + (!full ? Self.versionColumns : inner ? Self.columns : Self.readColumns(on: sql))
            for (index, key) in keys.enumerated() {
                statement += ", \(unsafeRaw: key.expression) AS s\(unsafeRaw: String(index))"
            }
            // A rare term's matches are the outer loop: each is looked up by id, without an index built over them first.
            let from: SQLQueryString = matches.map { "json_each(\(bind: $0)) m CROSS JOIN tasks t ON t.id = m.value" } ?? "tasks t"
            statement += " FROM " + from + " WHERE " + filterClause(filter, userID: userID, now: now, matches: matches)
            if let cursor = query.cursor {
                statement += " AND " + cursorClause(keys: keys, cursor: cursor)
            }
            let order = keyOrder + ["t.id \(idDirection)"]
            return statement + " ORDER BY \(unsafeRaw: order.joined(separator: ", ")) LIMIT \(bind: query.limit + 1)"
        }
        let priorities = query.filter.priorities.reduce(into: [TaskPriority]()) { if !$0.contains($1) { $0.append($1) } }
        guard store.flavor == .postgres, priorities.count > 1, let first = query.sort.first, first.field == .dueAt, !first.descending else {
            return select(query.filter)
        }
        // PostgreSQL before 17 checks `priority IN (…)` on the heap row of each task an ordered index scan passes
        // (ten rows read for each one kept): one ordered scan per priority, on an index that has the priority before
        // the due date, merged, reads only the rows it keeps.
        let branches = priorities.map { priority -> SQLQueryString in
            var filter = query.filter
            filter.priorities = [priority]
            return "(" + select(filter, inner: true) + ")"
        }
        return "SELECT " + (full ? Self.readColumns(on: sql, inUnion: true) : "u.id, u.version")
            + ", \(unsafeRaw: keys.indices.map { "u.s\($0)" }.joined(separator: ", "))"
            + " FROM (" + branches.joined(separator: " UNION ALL ")
            + ") u ORDER BY \(unsafeRaw: (keyOrder + ["id \(idDirection)"]).joined(separator: ", ")) LIMIT \(bind: query.limit + 1)"
    }

    /// The cursor of the page after `rows` (a page and, when another follows, one row more) read by `pageStatement`.
    private func nextCursor(after rows: [any SQLRow], keys: [SortKey], query: TaskQuery) throws -> TaskCursor? {
        guard rows.count > query.limit, let last = rows.prefix(query.limit).last else { return nil }
        let values = try keys.enumerated().map { index, key -> TaskCursor.CursorValue in
            key.isText
                ? .string(try last.decode(column: "s\(index)", as: String.self))
                : .int(try last.decode(column: "s\(index)", as: Int64.self))
        }
        return TaskCursor(
            values: values,
            id: try last.decode(column: "id", as: Int64.self),
            sort: TaskSort.text(query.sort),
            filter: query.filter.fingerprint
        )
    }

    public func bulk(_ action: BulkAction, filter: TaskFilter, userID: UUID, now: Date) async throws -> Int {
        var selection: SQLQueryString = "SELECT t.id FROM tasks t WHERE " + filterClause(filter, userID: userID, now: now)
        switch action {
        case .complete: selection += " AND t.status <> 'completed'"
        case .reopen: selection += " AND t.status <> 'pending'"
        case .delete: break
        }
        let query = selection
        let nowMS = now.millisecondsSince1970
        let source = self.source
        return try await write { sql in
            let ids = try await sql.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) }
            guard !ids.isEmpty else { return 0 }
            var before: [TaskItem] = []
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                before += try await Self.fetchMany(ids: chunk, userID: userID, on: sql)
                let scope: SQLQueryString = "user_id = \(bind: userID.storageKey) AND id IN (\(binds: chunk))"
                switch action {
                case .complete:
                    try await sql.raw(
                        "UPDATE tasks SET status = 'completed', completed_at = \(bind: nowMS), updated_at = \(bind: nowMS) WHERE " + scope
                    ).run()
                case .reopen:
                    try await sql.raw("UPDATE tasks SET status = 'pending', completed_at = NULL, updated_at = \(bind: nowMS) WHERE " + scope).run()
                case .delete:
                    try await sql.raw("DELETE FROM tasks WHERE " + scope).run()
                }
            }
            var events: [OutboxEvent] = []
            if action == .reopen {
                for task in before where task.recurrence != nil {
                    events += try await Self.withdrawNextOccurrence(after: task, userID: userID, now: now, on: sql)
                }
            }
            for task in before {
                var after = task
                let kind: TaskEventKind
                switch action {
                case .complete:
                    (after.status, after.completedAt, after.updatedAt, kind) = (
                        .completed, Date(millisecondsSince1970: nowMS), Date(millisecondsSince1970: nowMS), .completed
                    )
                case .reopen:
                    (after.status, after.completedAt, after.updatedAt, kind) = (.pending, nil, Date(millisecondsSince1970: nowMS), .reopened)
                case .delete:
                    kind = .deleted
                }
                events += OutboxEvent.taskChange(kind, task: after, before: task, source: source, now: now)
            }
            try await OutboxWriter.append(events, on: sql, now: now)
            return ids.count
        }
    }

    public func tags(userID: UUID) async throws -> [TagCount] {
        let rows = try await store.read {
            try await $0.raw(
                """
                SELECT tt.tag, COUNT(*) AS uses, SUM(CASE WHEN t.status = 'pending' THEN 1 ELSE 0 END) AS pending
                FROM task_tags tt JOIN tasks t ON t.id = tt.task_id
                WHERE tt.user_id = \(bind: userID.storageKey)
                GROUP BY tt.tag ORDER BY uses DESC, tt.tag ASC
                """
            ).all()
        }
        return try rows.map {
            TagCount(
                name: try $0.decode(column: "tag", as: String.self),
                count: try $0.decode(column: "uses", as: Int.self),
                open: try $0.decode(column: "pending", as: Int.self)
            )
        }
    }

    // MARK: - SQL pieces

    private struct SortKey {
        let expression: String
        let descending: Bool
        let isText: Bool

        init(sort: TaskSort) {
            descending = sort.descending
            isText = sort.field == .title
            switch sort.field {
            // Tasks without a due date come last in both directions.
            case .dueAt: expression = sort.descending ? "COALESCE(t.due_at, -9223372036854775807)" : "COALESCE(t.due_at, 9223372036854775807)"
            case .priority: expression = "t.priority"
            case .title: expression = "lower(t.title)"
            case .createdAt: expression = "t.created_at"
            case .updatedAt: expression = "t.updated_at"
            }
        }
    }

    /// Rows strictly after the cursor in the (keys…, id) order.
    private func cursorClause(keys: [SortKey], cursor: TaskCursor) -> SQLQueryString {
        func bound(_ value: TaskCursor.CursorValue) -> SQLQueryString {
            switch value {
            case .int(let number): "\(bind: number)"
            case .string(let text): "\(bind: text)"
            }
        }
        let idDescending = keys.first?.descending == true
        var columns: [(expression: String, descending: Bool, value: SQLQueryString)] = zip(keys, cursor.values).map {
            ($0.expression, $0.descending, bound($1))
        }
        columns.append(("t.id", idDescending, "\(bind: cursor.id)"))
        if store.flavor == .postgres, columns.allSatisfy({ $0.descending == idDescending }) {
            // One row comparison bounds PostgreSQL's index scan; the same test spelled as ORs is a filter on every row
            // from the first (a tenth page read 5,000 rows).
            let tuple: (([SQLQueryString]) -> SQLQueryString) = { "(" + $0.joined(separator: ", ") + ")" }
            return tuple(columns.map { "\(unsafeRaw: $0.expression)" }) + " \(unsafeRaw: idDescending ? "<" : ">") "
                + tuple(columns.map(\.value))
        }
        var alternatives: [SQLQueryString] = []
        for index in columns.indices {
            var parts: [SQLQueryString] = columns[..<index].map { "\(unsafeRaw: $0.expression) = " + $0.value }
            let column = columns[index]
            parts.append("\(unsafeRaw: column.expression) \(unsafeRaw: column.descending ? "<" : ">") " + column.value)
            alternatives.append("(" + parts.joined(separator: " AND ") + ")")
        }
        return "(" + alternatives.joined(separator: " OR ") + ")"
    }

    /// At most this many of the user's full-text matches are looked up by id; more, and the search walks the user's
    /// tasks in the order asked for instead.
    static let rareMatchLimit = 1000

    /// The planner cannot tell how many rows a term matches, so it always walks the user's tasks in sort order testing
    /// each against the matches: fine for a common word, slow for a rare one. This asks SQLite's full-text index first:
    /// when the term matches at most `rareMatchLimit` of the user's tasks, their ids come back as a JSON array and the
    /// page is read by id, then sorted. Nil when the filter has no text, on PostgreSQL, or for a common term.
    private static func rareMatches(of filter: TaskFilter, userID: UUID, flavor: SQLFlavor, on sql: any SQLDatabase) async throws -> String? {
        guard flavor == .sqlite, filter.text != nil, let match = ftsMatch(filter.wordTerms) else { return nil }
        let row = try await sql.raw(
            "SELECT COUNT(*) AS n, json_group_array(id) AS ids FROM (" + userMatches(match, userID: userID)
                + " LIMIT \(bind: rareMatchLimit + 1))"
        ).first()
        guard let row, try row.decode(column: "n", as: Int.self) <= rareMatchLimit else { return nil }
        return try row.decode(column: "ids", as: String.self)
    }

    /// The ids (as `id`) of the user's tasks that the FTS5 query `match` finds: the index holds a task under
    /// `search_key << 40 | id` (migration 0011), so the user's entries are one rowid range, which FTS5 seeks to.
    private static func userMatches(_ match: String, userID: UUID) -> SQLQueryString {
        let key: SQLQueryString = "(SELECT search_key FROM users WHERE id = \(bind: userID.storageKey))"
        return "SELECT rowid & 1099511627775 AS id FROM tasks_fts WHERE tasks_fts MATCH \(bind: match) AND rowid >= " + key
            + " << 40 AND rowid < (" + key + " + 1) << 40"
    }

    /// The FTS5 query of the search terms: every term as a prefix (see `isPrefix`). Nil without terms.
    private static func ftsMatch(_ terms: [String]) -> String? {
        terms.isEmpty ? nil : terms.map { isPrefix($0) ? "\"\($0)\"*" : "\"\($0)\"" }.joined(separator: " ")
    }

    /// Whether a search term matches the words it starts: a single character matches only itself as a word ("C++" is
    /// the word "c"), or it would match every word starting with that letter.
    private static func isPrefix(_ term: String) -> Bool { term.count > 1 }

    /// The WHERE clause of a filter; `matches` is the JSON array of a rare full-text term's matches (see `rareMatches`),
    /// which the caller's FROM joins (`list`): the clause then leaves the text out.
    private func filterClause(_ filter: TaskFilter, userID: UUID, now: Date, matches: String? = nil) -> SQLQueryString {
        // A PostgreSQL search reads the user's matches through the word index whatever the user and the words, but
        // with their values in sight the planner estimates each statement anew and keeps planning it again at every
        // run (a custom plan, as costly as running it). As subqueries, it estimates the same for any of them, so a
        // named statement keeps one generic plan.
        let opaque = store.flavor == .postgres && filter.text != nil && !filter.wordTerms.isEmpty
        // With the matches known (SQLite) or found by the index of the user's words (PostgreSQL, migration 0016), `+`
        // and `|| ''` keep the planner off the user's indexes: it would intersect the few matches with all the user's
        // tasks. The owner is still checked on each row.
        let user: SQLQueryString = matches != nil ? "+t.user_id = " : opaque ? "t.user_id || '' = " : "t.user_id = "
        var parts: [SQLQueryString] = [user + (opaque ? "(SELECT \(bind: userID.storageKey)::text)" : "\(bind: userID.storageKey)")]
        if let status = filter.status { parts.append("t.status = \(bind: status.rawValue)") }
        if !filter.priorities.isEmpty { parts.append("t.priority IN (\(binds: filter.priorities.map(\.rank)))") }
        for tag in filter.tags {
            if store.flavor == .postgres {
                // The row's own tag list (written with `task_tags`, in the same transaction; a tag holds no comma):
                // PostgreSQL has the row at hand, while its EXISTS probe costs an index scan per candidate.
                parts.append("strpos(',' || t.tags || ',', \(bind: "," + tag + ",")) > 0")
            } else {
                // One primary-key probe per tag and candidate row: cheap while a sorted index scan looks for the first page.
                parts.append("EXISTS (SELECT 1 FROM task_tags tt WHERE tt.task_id = t.id AND tt.tag = \(bind: tag))")
            }
        }
        if filter.text != nil {
            let (words, substrings) = (filter.wordTerms, filter.substringTerms)
            if words.isEmpty && substrings.isEmpty {
                parts.append("1 = 0")
            } else if matches != nil || words.isEmpty {
                // The words' matches are the page's FROM (`list`), or there are no words.
            } else if store.flavor == .sqlite, let match = Self.ftsMatch(words) {
                parts.append("t.id IN (" + Self.userMatches(match, userID: userID) + ")")
            } else {
                // The words as the index of each user's words keys them (migration 0016): with the user's key.
                let query = words.map { Self.isPrefix($0) ? "\($0):*" : $0 }.joined(separator: " & ")
                parts.append(
                    """
                    taskpilot_user_words(t.user_id, t.search) @@ \
                    (SELECT taskpilot_user_query(\(bind: userID.storageKey), to_tsquery('simple', taskpilot_fold(\(bind: query)))))
                    """
                )
            }
            // Terms without spaces between words are looked for in the text itself (the user's tasks, read in full).
            let find = store.flavor == .sqlite ? "instr" : "strpos"
            for term in substrings {
                parts.append("\(unsafeRaw: find)(lower(t.title || ' ' || t.description), \(bind: term)) > 0")
            }
        }
        if let before = filter.dueBefore { parts.append("t.due_at < \(bind: before.millisecondsSince1970)") }
        if let after = filter.dueAfter { parts.append("t.due_at >= \(bind: after.millisecondsSince1970)") }
        if let overdue = filter.overdue {
            let nowMS = now.millisecondsSince1970
            let dayMS = TaskItem.overdueThreshold(now: now, allDay: true).millisecondsSince1970
            let condition: SQLQueryString = """
                (t.status = 'pending' AND t.due_at IS NOT NULL AND ((t.all_day = 0 AND t.due_at < \(bind: nowMS)) \
                OR (t.all_day = 1 AND t.due_at < \(bind: dayMS))))
                """
            parts.append(overdue ? condition : "NOT " + condition)
        }
        if let hasDue = filter.hasDue { parts.append(hasDue ? "t.due_at IS NOT NULL" : "t.due_at IS NULL") }
        if let tagged = filter.tagged {
            // PostgreSQL keeps the row's tags in the row (see the tag filter above); SQLite looks in task_tags.
            let hasTags: SQLQueryString =
                store.flavor == .postgres ? "t.tags <> ''" : "EXISTS (SELECT 1 FROM task_tags tt WHERE tt.task_id = t.id)"
            parts.append(tagged ? hasTags : "NOT " + hasTags)
        }
        if let repeating = filter.repeating { parts.append(repeating ? "t.recurrence IS NOT NULL" : "t.recurrence IS NULL") }
        if let ids = filter.ids {
            parts.append(ids.isEmpty ? "1 = 0" : "t.id IN (\(binds: ids))")
        }
        return parts.joined(separator: " AND ")
    }

    // MARK: - Reading and writing rows

    static func fetch(id: Int64, userID: UUID, on sql: any SQLDatabase, lock: Bool) async throws -> TaskItem {
        // A locking read takes the reminders apart: PostgreSQL locks the rows of the statement's own tables.
        let select = lock ? "SELECT \(columns)" : "SELECT " + readColumns(on: sql)
        let suffix: SQLQueryString = lock ? " FOR UPDATE" : ""
        guard
            let row = try await sql.raw(select + " FROM tasks t WHERE t.id = \(bind: id) AND t.user_id = \(bind: userID.storageKey)" + suffix).first()
        else { throw TaskpilotError.notFound("Task \(id) was not found.") }
        var tasks = [try task(from: row, userID: userID)]
        try await attachReminders(to: &tasks, rows: lock ? nil : [row], on: sql)
        return tasks[0]
    }

    /// Inserts a task with its tags and reminders and returns it as a read would (ids assigned, times to the stored
    /// millisecond); a recurring task without a series starts its own.
    static func insert(_ task: TaskItem, on sql: any SQLDatabase) async throws -> TaskItem {
        let row = try await sql.raw(rowInsert(task) + " RETURNING id").first()
        guard let id = try row?.decode(column: "id", as: Int64.self) else { throw DatabaseSetupError("the insert returned no id") }
        if task.recurrence != nil && task.seriesID == nil {
            try await sql.raw("UPDATE tasks SET series_id = \(bind: id) WHERE id = \(bind: id)").run()
        }
        try await writeTags(task.tags, taskID: id, userID: task.userID, on: sql, replacing: false)
        var stored = stored(task, id: id)
        if !task.reminders.isEmpty {
            // Their ids come from the database: read them back rather than rely on the order of a multi-row RETURNING.
            try await writeReminders(task.reminders, taskID: id, userID: task.userID, on: sql, replacing: false)
            var tasks = [stored]
            try await attachReminders(to: &tasks, on: sql)
            stored = tasks[0]
        }
        return stored
    }

    /// The INSERT of a task's row (a recurring task without a series is given its own by `insert`, once it has an id).
    private static func rowInsert(_ task: TaskItem) -> SQLQueryString {
        return """
            INSERT INTO tasks (user_id, title, description, status, priority, tags, due_at, all_day, recurrence,
                recurrence_from_completion, series_id, occurrence, completed_at, created_at, updated_at)
            VALUES (\(bind: task.userID.storageKey), \(bind: task.title), \(bind: task.description), \(bind: task.status.rawValue),
                \(bind: task.priority.rank), \(bind: task.tags.joined(separator: ",")), \(bind: task.dueAt?.millisecondsSince1970),
                \(bind: task.allDay ? 1 : 0), \(bind: task.recurrence?.rrule), \(bind: task.recurrence?.fromCompletion == true ? 1 : 0),
                \(bind: task.seriesID), \(bind: task.occurrence), \(bind: task.completedAt?.millisecondsSince1970),
                \(bind: task.createdAt.millisecondsSince1970), \(bind: task.updatedAt.millisecondsSince1970))
            """
    }

    /// The task as a read gives it back once stored as `id` without reminders: a recurring task without a series starts
    /// its own, times to the stored millisecond, the rule as stored.
    private static func stored(_ task: TaskItem, id: Int64) -> TaskItem {
        var stored = task
        stored.id = id
        if task.recurrence != nil && task.seriesID == nil { stored.seriesID = id }
        stored.dueAt = task.dueAt?.storedPrecision
        stored.completedAt = task.completedAt?.storedPrecision
        stored.createdAt = task.createdAt.storedPrecision
        stored.updatedAt = task.updatedAt.storedPrecision
        if let rule = task.recurrence {
            stored.recurrence = try? RecurrenceRule(rrule: rule.rrule)
            stored.recurrence?.fromCompletion = rule.fromCompletion
        }
        stored.reminders = []
        return stored
    }

    static func fetchMany(ids: [Int64], userID: UUID, on sql: any SQLDatabase) async throws -> [TaskItem] {
        try await fetchMany(ids: ids, userID: userID, versions: false, on: sql).map(\.task)
    }

    /// The user's tasks of `ids` that exist, in id order, each with its `version` when `versions` is set (else 0).
    static func fetchMany(ids: [Int64], userID: UUID, versions: Bool, on sql: any SQLDatabase) async throws -> [(task: TaskItem, version: Int64)] {
        guard !ids.isEmpty else { return [] }
        let rows = try await sql.raw(
            "SELECT " + readColumns(on: sql) + (versions ? ", t.version" : "")
                + " FROM tasks t WHERE t.user_id = \(bind: userID.storageKey) AND t.id "
                + oneOf(ids, on: sql) + " ORDER BY t.id"
        ).all()
        var tasks = try rows.map { try task(from: $0, userID: userID) }
        try await attachReminders(to: &tasks, rows: rows, on: sql)
        return try zip(tasks, rows).map { ($0, versions ? try $1.decode(column: "version", as: Int64.self) : 0) }
    }

    /// The task of a row selected with `columns`, for the user the query was scoped to.
    static func task(from row: any SQLRow, userID: UUID) throws -> TaskItem {
        let tags = try row.decode(column: "tags", as: String.self)
        var recurrence: RecurrenceRule?
        if let text = try row.optional("recurrence", as: String.self) {
            recurrence = try? RecurrenceRule(rrule: text)
            recurrence?.fromCompletion = try row.decode(column: "recurrence_from_completion", as: Int.self) != 0
        }
        return TaskItem(
            id: try row.decode(column: "id", as: Int64.self),
            userID: userID,
            title: try row.decode(column: "title", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            status: TaskStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending,
            priority: TaskPriority(rank: try row.decode(column: "priority", as: Int.self)) ?? .none,
            // Split as bytes: splitting the String walks it Character by Character.
            tags: tags.utf8.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) },
            dueAt: try row.optional("due_at", as: Int64.self).map(Date.init(millisecondsSince1970:)),
            allDay: try row.decode(column: "all_day", as: Int.self) != 0,
            recurrence: recurrence,
            seriesID: try row.optional("series_id", as: Int64.self),
            occurrence: try row.decode(column: "occurrence", as: Int.self),
            completedAt: try row.optional("completed_at", as: Int64.self).map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }

    /// Sets the reminders of `tasks` read with `readColumns` as `rows` (in the same order): from their
    /// `reminder_list` on PostgreSQL, else (SQLite, or rows without it) with a statement of their own.
    static func attachReminders(to tasks: inout [TaskItem], rows: (some Collection<any SQLRow>)?, on sql: any SQLDatabase) async throws {
        guard let rows, sql.dialect.name != "sqlite" else { return try await attachReminders(to: &tasks, on: sql) }
        for (index, row) in zip(tasks.indices, rows) {
            tasks[index].reminders = try reminders(in: try row.optional("reminder_list", as: String.self) ?? "")
        }
    }

    /// The reminders of a `reminder_list`: `id,offset,at,fire_at,fired_at` each, `;` between them, empty for NULL.
    private static func reminders(in list: String) throws -> [Reminder] {
        guard !list.isEmpty else { return [] }
        return try list.utf8.split(separator: UInt8(ascii: ";")).map { item in
            let fields = item.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { Int64(Substring($0)) }
            guard fields.count == 5, let id = fields[0] else { throw DatabaseSetupError("unreadable reminder list '\(list)'") }
            return reminder(id: id, offsetMinutes: fields[1].map(Int.init), at: fields[2], fireAt: fields[3], firedAt: fields[4])
        }
    }

    /// A reminder from its stored columns: minutes before the due date when they are set, else an absolute time.
    private static func reminder(id: Int64, offsetMinutes: Int?, at: Int64?, fireAt: Int64?, firedAt: Int64?) -> Reminder {
        Reminder(
            id: id,
            trigger: offsetMinutes.map { .beforeDue(minutes: $0) } ?? .at(Date(millisecondsSince1970: at ?? 0)),
            fireAt: fireAt.map(Date.init(millisecondsSince1970:)),
            firedAt: firedAt.map(Date.init(millisecondsSince1970:))
        )
    }

    static func attachReminders(to tasks: inout [TaskItem], on sql: any SQLDatabase) async throws {
        guard !tasks.isEmpty else { return }
        let rows = try await sql.raw(
            "SELECT id, task_id, offset_minutes, at, fire_at, fired_at FROM reminders WHERE task_id " + oneOf(tasks.map(\.id), on: sql)
                + " ORDER BY id"
        ).all()
        guard !rows.isEmpty else { return }
        var byTask: [Int64: [Reminder]] = [:]
        for row in rows {
            let reminder = reminder(
                id: try row.decode(column: "id", as: Int64.self),
                offsetMinutes: try row.optional("offset_minutes", as: Int.self),
                at: try row.optional("at", as: Int64.self),
                fireAt: try row.optional("fire_at", as: Int64.self),
                firedAt: try row.optional("fired_at", as: Int64.self)
            )
            byTask[try row.decode(column: "task_id", as: Int64.self), default: []].append(reminder)
        }
        for index in tasks.indices { tasks[index].reminders = byTask[tasks[index].id] ?? [] }
    }

    /// `IN (…)` of the ids; on PostgreSQL `= ANY(…)` of one array, so that any number of ids is one statement text.
    private static func oneOf(_ ids: [Int64], on sql: any SQLDatabase) -> SQLQueryString {
        sql.dialect.name != "sqlite" ? "= ANY(\(bind: ids))" : "IN (\(binds: ids))"
    }

    static func writeTags(_ tags: [String], taskID: Int64, userID: UUID, on sql: any SQLDatabase, replacing: Bool) async throws {
        if replacing { try await sql.raw("DELETE FROM task_tags WHERE task_id = \(bind: taskID)").run() }
        guard !tags.isEmpty else { return }
        let values: [SQLQueryString] = tags.map { "(\(bind: taskID), \(bind: userID.storageKey), \(bind: $0))" }
        try await sql.raw("INSERT INTO task_tags (task_id, user_id, tag) VALUES " + values.joined(separator: ", ")).run()
    }

    static func writeReminders(_ reminders: [Reminder], taskID: Int64, userID: UUID, on sql: any SQLDatabase, replacing: Bool) async throws {
        if replacing { try await sql.raw("DELETE FROM reminders WHERE task_id = \(bind: taskID)").run() }
        guard !reminders.isEmpty else { return }
        let values: [SQLQueryString] = reminders.map { reminder in
            var minutes: Int?
            var at: Int64?
            switch reminder.trigger {
            case .beforeDue(let offset): minutes = offset
            case .at(let date): at = date.millisecondsSince1970
            }
            return """
                (\(bind: taskID), \(bind: userID.storageKey), \(bind: minutes), \(bind: at), \(bind: reminder.fireAt?.millisecondsSince1970),
                \(bind: reminder.firedAt?.millisecondsSince1970))
                """
        }
        try await sql.raw("INSERT INTO reminders (task_id, user_id, offset_minutes, at, fire_at, fired_at) VALUES " + values.joined(separator: ", "))
            .run()
    }
}

extension Date {
    /// The instant as the database keeps it: whole milliseconds.
    var storedPrecision: Date { Date(millisecondsSince1970: millisecondsSince1970) }
}

extension UUID {
    /// The stored form: lowercase text.
    var storageKey: String { uuidString.lowercased() }
}

extension SQLRow {
    /// A nullable column. Checking for NULL first is several times cheaper than decoding an `Optional`, which
    /// SQLiteKit routes through a nested `Decoder`.
    func optional<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: T.self)
    }
}
