import Foundation
import SQLKit
import TaskpilotCore
import TaskpilotStore
import TaskpilotTestSupport
import Testing

@Suite("Task storage")
struct TaskRepositoryTests {
    let utc = TimeZone(identifier: "UTC")!
    let now = Date(timeIntervalSince1970: 1_795_435_200) // 2026-11-23T12:00:00Z

    /// The titles of `user`'s tasks that a search for `text` finds, in the list's order or sorted.
    func found(_ text: String, _ tasks: SQLTaskRepository, _ user: User, sorted: Bool = true) async throws -> [String] {
        let titles = try await tasks.list(try TaskQuery(parameters: ["q": text], timeZone: utc), userID: user.id, now: now).items.map(\.title)
        return sorted ? titles.sorted() : titles
    }

    func add(_ tasks: SQLTaskRepository, _ user: User, _ json: String, at time: Date? = nil) async throws -> TaskItem {
        try await tasks.add(json, for: user, at: time ?? now)
    }

    @Test("a task is stored and read back with its tags, reminders and rule", arguments: TestBackend.available)
    func roundTrip(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let created = try await add(
                tasks,
                user,
                #"{"title": "Pay rent", "description": "flat", "priority": "high", "tags": ["home", "bills"], "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 60}], "recurrence": {"frequency": "monthly", "by_month_day": [1]}}"#
            )
            let read = try await tasks.get(id: created.id, userID: user.id, now: now)
            #expect(read == created)
            #expect(read.tags == ["bills", "home"])
            // What create answers is what a read gives, whatever the task holds (and at a time finer than the stored ms).
            let odd = Date(timeIntervalSince1970: 1_795_435_200.123_456_7)
            for json in [
                #"{"title": "plain"}"#,
                #"{"title": "all day", "due_at": "2026-12-01", "all_day": true, "reminders": [{"at": "2026-11-30T18:00:00.5Z"}, {"offset_minutes": 0}]}"#,
                #"{"title": "done", "status": "completed", "priority": "urgent", "tags": ["a", "b", "c"]}"#,
                #"{"title": "series", "due_at": "2026-12-01T09:00:00.123Z", "recurrence": {"frequency": "weekly", "interval": 2, "by_weekday": ["MO", "FR"], "until": "2027-06-30", "from_completion": true}}"#,
                #"{"title": "counted", "due_at": "2026-12-31T23:30:00Z", "recurrence": {"frequency": "monthly", "by_month_day": [-1], "count": 3}}"#,
            ] {
                let made = try await add(tasks, user, json, at: odd)
                #expect(try await tasks.get(id: made.id, userID: user.id, now: now) == made, "\(json)")
            }
            #expect(read.reminders.count == 1 && read.reminders[0].id > 0)
            // A fired reminder; then every task read by a list (one ordered scan, and on PostgreSQL one per priority
            // merged) equals the task read alone, reminders included.
            try await database.sql.raw("UPDATE reminders SET fired_at = 1795435200123 WHERE id = \(bind: read.reminders[0].id)").run()
            let fired = try await tasks.get(id: created.id, userID: user.id, now: now)
            #expect(fired.reminders.first?.firedAt == Date(millisecondsSince1970: 1_795_435_200_123))
            for parameters in [[:], ["priority": "none,high,urgent", "sort": "due_at:asc"]] {
                let listed = try await tasks.list(TaskQuery(parameters: parameters, timeZone: utc), userID: user.id, now: now).items
                #expect(listed.count == 6)
                for task in listed {
                    #expect(try await tasks.get(id: task.id, userID: user.id, now: now) == task, "\(parameters) \(task.title)")
                }
            }
            #expect(read.seriesID == created.id)
            #expect(read.recurrence?.rrule == "FREQ=MONTHLY;BYMONTHDAY=1")
        }
    }

    @Test("a create that fails half-way (a user that does not exist) leaves no row, tag or event", arguments: TestBackend.available)
    func failedCreate(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            for json in [
                #"{"title": "tagged", "tags": ["a", "b"]}"#,
                #"{"title": "reminded", "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 5}]}"#,
            ] {
                let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: utc)
                let orphan = try TaskItem.blank(userID: UUID.random(), now: now).applying(changes, now: now, timeZone: utc)
                await #expect(throws: (any Error).self) { try await tasks.create(orphan) }
            }
            for table in ["tasks", "task_tags", "reminders", "outbox"] {
                let count = try await database.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self)
                #expect(count == 0, "\(table)")
            }
            // The ids the failed creates took are skipped, not reused: the next task is still created and read back.
            let made = try await add(tasks, user, #"{"title": "after", "tags": ["a"]}"#)
            #expect(try await tasks.get(id: made.id, userID: user.id, now: now) == made)
        }
    }

    @Test("another user's task does not exist for you", arguments: TestBackend.available)
    func scoping(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let alice = try await database.newTestUser(now: now)
            let bob = try await database.newTestUser(now: now)
            let task = try await add(tasks, alice, #"{"title": "secret", "tags": ["private"]}"#)
            await #expect(throws: TaskpilotError.notFound("Task \(task.id) was not found.")) {
                try await tasks.get(id: task.id, userID: bob.id, now: now)
            }
            await #expect(throws: TaskpilotError.self) {
                try await tasks.update(id: task.id, userID: bob.id, changes: TaskChanges(title: "mine"), now: now, timeZone: utc)
            }
            await #expect(throws: TaskpilotError.self) { try await tasks.delete(id: task.id, userID: bob.id) }
            #expect(try await tasks.list(TaskQuery(), userID: bob.id, now: now).items.isEmpty)
            #expect(try await tasks.tags(userID: bob.id).isEmpty)
            #expect(try await tasks.bulk(.delete, filter: TaskFilter(), userID: bob.id, now: now) == 0)
            #expect(try await tasks.get(id: task.id, userID: alice.id, now: now).title == "secret")
        }
    }

    @Test("updates replace tags and reminders atomically; delete removes them", arguments: TestBackend.available)
    func updateAndDelete(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let task = try await add(
                tasks,
                user,
                #"{"title": "a", "tags": ["x", "y"], "due_at": "2026-12-01T09:00:00Z", "reminders": [{"offset_minutes": 5}]}"#
            )
            let changes = try TaskChanges(
                json: try JSONValue.parseObject(Data(#"{"tags": ["z"], "due_at": "2026-12-02T09:00:00Z"}"#.utf8)),
                timeZone: utc
            )
            let updated = try await tasks.update(id: task.id, userID: user.id, changes: changes, now: now, timeZone: utc)
            #expect(updated.tags == ["z"])
            #expect(updated.reminders.map(\.fireAt) == [Timestamp.parse("2026-12-02T08:55:00Z", timeZone: utc)?.date])
            #expect(try await tasks.tags(userID: user.id) == [TagCount(name: "z", count: 1, open: 1)])
            _ = try await tasks.update(id: task.id, userID: user.id, changes: TaskChanges(status: .completed), now: now, timeZone: utc)
            #expect(try await tasks.tags(userID: user.id) == [TagCount(name: "z", count: 1, open: 0)], "a completed task is no open one")
            _ = try await tasks.delete(id: task.id, userID: user.id)
            let leftovers = try await database.sql.raw("SELECT COUNT(*) AS n FROM reminders").first()?.decode(column: "n", as: Int.self)
            #expect(leftovers == 0)
            #expect(try await tasks.tags(userID: user.id).isEmpty)
        }
    }

    @Test("a failed write leaves nothing behind", arguments: TestBackend.available)
    func atomicity(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            // A tag list with a duplicate violates the (task_id, tag) key after the task row is inserted.
            var draft = TaskItem.blank(userID: user.id, now: now)
            draft.title = "half-written"
            draft.tags = ["dup", "dup"]
            await #expect(throws: (any Error).self) { try await tasks.create(draft) }
            let rows = try await database.sql.raw("SELECT COUNT(*) AS n FROM tasks").first()?.decode(column: "n", as: Int.self)
            #expect(rows == 0)
        }
    }

    @Test("filters: status, priority, all listed tags, due range, overdue, full text", arguments: TestBackend.available)
    func filters(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let other = try await database.newTestUser(now: now)
            let rent = try await add(
                tasks,
                user,
                #"{"title": "Pay rent", "priority": "urgent", "tags": ["home", "bills"], "due_at": "2026-12-01T09:00:00Z"}"#
            )
            let report = try await add(
                tasks,
                user,
                #"{"title": "Quarterly report", "description": "Send the invoice totals", "priority": "high", "tags": ["work"], "due_at": "2026-11-20T09:00:00Z"}"#
            )
            let milk = try await add(tasks, user, #"{"title": "Buy milk", "tags": ["home"], "status": "completed"}"#)
            let yesterday = try await add(tasks, user, #"{"title": "All-day thing", "due_at": "2026-11-22"}"#)
            let today = try await add(tasks, user, #"{"title": "Today all day", "due_at": "2026-11-23"}"#)
            _ = try await add(tasks, other, #"{"title": "Pay rent too", "tags": ["home", "bills"]}"#)

            func ids(_ parameters: [String: String]) async throws -> Set<Int64> {
                let query = try TaskQuery(parameters: parameters, timeZone: utc)
                return Set(try await tasks.list(query, userID: user.id, now: now).items.map(\.id))
            }
            #expect(try await ids([:]).count == 5)
            #expect(try await ids(["status": "completed"]) == [milk.id])
            #expect(try await ids(["priority": "high,urgent"]) == [rent.id, report.id])
            #expect(try await ids(["tags": "home"]) == [rent.id, milk.id])
            #expect(try await ids(["tags": "home,bills"]) == [rent.id])
            #expect(try await ids(["due_before": "2026-11-25T00:00:00Z"]) == [report.id, yesterday.id, today.id])
            #expect(try await ids(["due_after": "2026-11-25"]) == [rent.id])
            #expect(try await ids(["overdue": "true"]) == [report.id, yesterday.id])
            #expect(try await ids(["overdue": "false"]) == [rent.id, milk.id, today.id])
            #expect(try await ids(["q": "rent"]) == [rent.id])
            #expect(try await ids(["q": "INVOICE"]) == [report.id])
            #expect(try await ids(["q": "quart"]) == [report.id])
            #expect(try await ids(["q": "send totals"]) == [report.id])
            #expect(try await ids(["q": "rent milk"]).isEmpty)
            #expect(try await ids(["q": "\"'); DROP TABLE tasks; --"]).isEmpty)
            #expect(try await ids(["q": "***"]).isEmpty)
            #expect(try await ids(["q": "pay", "status": "pending", "tags": "bills"]) == [rent.id])
        }
    }

    @Test("full text: a word in over a thousand tasks and a rare one page alike, only ever the user's", arguments: TestBackend.available)
    func commonAndRareWords(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let other = try await database.newTestUser(now: now)
            // More matches than SQLite looks up by id (1,000), so the common word takes the other plan.
            for (owner, count) in [(user, 1_100), (other, 1_100)] {
                try await database.sql.raw(
                    """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(bind: count))
                    INSERT INTO tasks (user_id, title, created_at, updated_at)
                    SELECT \(bind: owner.id.uuidString.lowercased()), CASE WHEN i % 400 = 0 THEN 'common rare ' ELSE 'common ' END || i, i, i FROM n
                    """
                ).run()
            }
            func pages(_ word: String) async throws -> [TaskItem] {
                var all: [TaskItem] = []
                var query = try TaskQuery(parameters: ["q": word, "limit": "100"], timeZone: utc)
                while true {
                    let page = try await tasks.list(query, userID: user.id, now: now)
                    all += page.items
                    guard let next = page.nextCursor else { return all }
                    query.cursor = next
                }
            }
            let common = try await pages("common")
            #expect(common.count == 1_100)
            #expect(common.map(\.createdAt) == common.map(\.createdAt).sorted(by: >))
            #expect(Set(common.map(\.id)).count == 1_100 && common.allSatisfy { $0.userID == user.id })
            let rare = try await pages("rare")
            #expect(rare.map(\.title) == ["common rare 800", "common rare 400"])
            #expect(try await pages("rare common").map(\.title) == ["common rare 800", "common rare 400"])
            #expect(try await pages("absent").isEmpty)
        }
    }

    @Test("full text follows renames, deletes and bulk deletes; the index keeps nothing of a deleted task", arguments: TestBackend.available)
    func searchFollowsChanges(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            func titles(_ word: String) async throws -> [String] { try await found(word, tasks, user, sorted: false) }
            var task = TaskItem.blank(userID: user.id, now: now)
            task.title = "alpha invoice"
            let created = try await tasks.create(task)
            task.title = "gamma invoice"
            _ = try await tasks.create(task)
            _ = try await tasks.update(id: created.id, userID: user.id, changes: TaskChanges(title: "beta invoice"), now: now, timeZone: utc)
            #expect(try await titles("alpha").isEmpty)
            #expect(try await titles("beta") == ["beta invoice"])
            // A one-letter word matches itself, not every word it starts: "C++" finds the C task, not "call Carol".
            for title in ["learn C++ today", "call Carol"] {
                task.title = title
                _ = try await tasks.create(task)
            }
            #expect(try await titles("C++") == ["learn C++ today"])
            #expect(try await titles("ca") == ["call Carol"])
            _ = try await tasks.delete(id: created.id, userID: user.id)
            #expect(try await titles("beta").isEmpty)
            #expect(try await titles("invoice") == ["gamma invoice"])
            var filter = TaskFilter()
            filter.text = "gamma"
            #expect(try await tasks.bulk(.delete, filter: filter, userID: user.id, now: now) == 1)
            #expect(try await titles("invoice").isEmpty)
            if backend == .sqlite {
                // Entries removed under the rowid they were added with: nothing left to match.
                let left = try await database.sql.raw("SELECT COUNT(*) AS n FROM tasks_fts WHERE tasks_fts MATCH 'invoice OR alpha OR beta OR gamma'")
                    .first()?.decode(column: "n", as: Int.self)
                #expect(left == 0)
            }
        }
    }

    @Test("search ignores case and accents on either database, in the text and in the terms", arguments: TestBackend.available)
    func searchIgnoresAccents(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            func titles(_ text: String) async throws -> [String] { try await found(text, tasks, user) }
            for title in ["Café crème", "RÉUNION d'équipe", "reunion notes", "Học tiếng Việt", "Łódź trip"] {
                var task = TaskItem.blank(userID: user.id, now: now)
                task.title = title
                _ = try await tasks.create(task)
            }
            #expect(try await titles("cafe") == ["Café crème"])
            #expect(try await titles("CAFÉ") == ["Café crème"])
            #expect(try await titles("reunion") == ["RÉUNION d'équipe", "reunion notes"])
            #expect(try await titles("réunion equipe") == ["RÉUNION d'équipe"])
            #expect(try await titles("tieng viet") == ["Học tiếng Việt"])
            #expect(try await titles("łodz") == ["Łódź trip"])
        }
    }

    @Test("a word too long to index does not stop a task being written or found by its other words", arguments: TestBackend.available)
    func searchBesideOverlongWord(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            // PostgreSQL indexes a word of up to 2,047 bytes; with the owner's key in front (migration 0016) one of
            // 2,040 to 2,047 no longer fits, and one over 2,047 is not indexed at all.
            for (title, length) in [("Paste the key", 2_044), ("Paste the blob", 3_000)] {
                var task = TaskItem.blank(userID: user.id, now: now)
                task.title = title
                task.description = "base64 " + String(repeating: "a", count: length) + " done"
                _ = try await tasks.create(task)
            }
            #expect(try await found("paste", tasks, user) == ["Paste the blob", "Paste the key"])
            #expect(try await found("base64 done", tasks, user) == ["Paste the blob", "Paste the key"])
            if backend == .postgres {
                // A lexeme over 2,047 bytes would be cut short without a word (2,052 bytes → 4: a piece of the key).
                let cut = try await database.sql.raw(
                    "SELECT COUNT(*) AS n FROM tasks t, unnest(taskpilot_user_words(t.user_id, t.search)) w WHERE octet_length(w.lexeme) <= 8"
                ).first()?.decode(column: "n", as: Int.self)
                #expect(cut == 0)
            }
        }
    }

    @Test("a term in a script without spaces between words finds the tasks it is part of", arguments: TestBackend.available)
    func searchUnspacedScripts(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let other = try await database.newTestUser(now: now)
            func titles(_ text: String) async throws -> [String] { try await found(text, tasks, user) }
            for (owner, title, description) in [
                (user, "明天开会议", ""), (user, "准备会议材料 report", "iOS开发"), (user, "買い物リスト", "牛乳とパン"),
                (user, "ซื้อนมที่ร้าน", ""), (user, "weekly report", ""), (other, "明天开会议", ""), (user, "Fix login bug 🐛", ""),
                (user, "Party", "bring 🎂 and 🎉"), (other, "🐛 theirs", ""),
            ] {
                var task = TaskItem.blank(userID: owner.id, now: now)
                (task.title, task.description) = (title, description)
                _ = try await tasks.create(task)
            }
            // Inside a run of Han characters, in the description, in Japanese and Thai; the other user's task stays out.
            #expect(try await titles("会议") == ["准备会议材料 report", "明天开会议"])
            #expect(try await titles("開発").isEmpty)
            #expect(try await titles("ios开发") == ["准备会议材料 report"])
            #expect(try await titles("パン") == ["買い物リスト"])
            #expect(try await titles("นม") == ["ซื้อนมที่ร้าน"])
            // Mixed with words of a spaced script: both must match.
            #expect(try await titles("会议 report") == ["准备会议材料 report"])
            #expect(try await titles("会议 weekly").isEmpty)
            // Emoji, which the full-text index leaves out, are found in the text as well.
            #expect(try await titles("🐛") == ["Fix login bug 🐛"])
            #expect(try await titles("🎉 party") == ["Party"])
            #expect(try await titles("🐛 party").isEmpty)
        }
    }

    @Test("lists filtered by several priorities page exactly like a sort of every task, cursor after cursor", arguments: TestBackend.available)
    func priorityPages(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let other = try await database.newTestUser(now: now)
            let priorities = ["none", "low", "medium", "high", "urgent"]
            var mine: [TaskItem] = []
            for n in 0..<90 {
                // Repeated due dates, titles and priorities: the id settles every tie.
                let due = n % 6 == 0 ? "null" : "\"2026-12-\(String(format: "%02d", 1 + n * 13 % 9))T09:00:00Z\""
                let tags = n % 3 == 0 ? #"["work"]"# : n % 3 == 1 ? #"["home", "work"]"# : "[]"
                let json = #"{"title": "\#(["b", "A", "c"][n % 3])", "priority": "\#(priorities[n * 7 % 5])", "due_at": \#(due), "tags": \#(tags)}"#
                var task = try await add(tasks, user, json)
                if n % 4 == 0 {
                    task = try await tasks.update(id: task.id, userID: user.id, changes: TaskChanges(status: .completed), now: now, timeZone: utc)
                }
                mine.append(task)
                _ = try await add(tasks, other, json)
            }
            func pages(_ parameters: [String: String]) async throws -> [Int64] {
                var query = try TaskQuery(parameters: parameters.merging(["limit": "4"]) { $1 }, timeZone: utc)
                var ids: [Int64] = []
                while true {
                    let page = try await tasks.list(query, userID: user.id, now: now)
                    ids += page.items.map(\.id)
                    guard let next = page.nextCursor, ids.count < 200 else { return ids }
                    query.cursor = next
                }
            }
            let last = Int64.max
            func expected(_ keep: (TaskItem) -> Bool, _ before: (TaskItem, TaskItem) -> Bool?) -> [Int64] {
                mine.filter(keep).sorted { before($0, $1) ?? ($0.id < $1.id) }.map(\.id)
            }
            func due(_ task: TaskItem) -> Int64 { task.dueAt?.millisecondsSince1970 ?? last }
            func compare<T: Comparable>(_ a: T, _ b: T) -> Bool? { a == b ? nil : a < b }
            let highOrUrgent: (TaskItem) -> Bool = { $0.priority == .high || $0.priority == .urgent }
            #expect(
                try await pages(["priority": "low,high,urgent", "sort": "due_at:asc"])
                    == expected({ [.low, .high, .urgent].contains($0.priority) }) { compare(due($0), due($1)) }
            )
            #expect(
                try await pages(["priority": "high,urgent", "status": "pending", "tags": "work", "sort": "due_at:asc"])
                    == expected({ highOrUrgent($0) && $0.status == .pending && $0.tags.contains("work") }) { compare(due($0), due($1)) }
            )
            #expect(
                try await pages(["priority": "urgent,low,urgent", "sort": "due_at:asc,priority:desc"])
                    == expected({ $0.priority == .urgent || $0.priority == .low }) {
                        compare(due($0), due($1)) ?? compare($1.priority.rank, $0.priority.rank)
                    }
            )
            #expect(
                try await pages(["priority": "medium,none", "tags": "home", "sort": "due_at:asc,title:asc"])
                    == expected({ ($0.priority == .medium || $0.priority == .none) && $0.tags.contains("home") }) {
                        compare(due($0), due($1)) ?? compare($0.title.lowercased(), $1.title.lowercased())
                    }
            )
            #expect(
                try await pages(["priority": "high,urgent", "sort": "due_at:desc"])
                    == expected(highOrUrgent) { a, b in
                        // Descending, tasks without a due date still last; ties by id descending.
                        let (x, y) = (a.dueAt?.millisecondsSince1970 ?? Int64.min, b.dueAt?.millisecondsSince1970 ?? Int64.min)
                        return x == y ? a.id > b.id : x > y
                    }
            )
        }
    }

    @Test("sorting, with tasks without a due date last either way", arguments: TestBackend.available)
    func sorting(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let b = try await add(tasks, user, #"{"title": "b", "priority": "low", "due_at": "2026-12-02T09:00:00Z"}"#)
            let a = try await add(tasks, user, #"{"title": "A", "priority": "urgent", "due_at": "2026-12-03T09:00:00Z"}"#)
            let c = try await add(tasks, user, #"{"title": "c", "priority": "low"}"#)
            func order(_ sort: String) async throws -> [Int64] {
                let query = try TaskQuery(parameters: ["sort": sort], timeZone: utc)
                return try await tasks.list(query, userID: user.id, now: now).items.map(\.id)
            }
            #expect(try await order("due_at:asc") == [b.id, a.id, c.id])
            #expect(try await order("due_at:desc") == [a.id, b.id, c.id])
            #expect(try await order("title") == [a.id, b.id, c.id])
            #expect(try await order("priority:desc,title:desc") == [a.id, c.id, b.id])
            #expect(try await order("created_at:asc") == [b.id, a.id, c.id])
        }
    }

    @Test("cursor pages cover every task once, even while tasks are added", arguments: TestBackend.available)
    func pagination(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            var expected: Set<Int64> = []
            for index in 0..<23 {
                let due = index % 4 == 0 ? "null" : "\"2026-12-\(String(format: "%02d", index % 5 + 1))T09:00:00Z\""
                let priority = ["none", "low", "high"][index % 3]
                let task = try await add(tasks, user, "{\"title\": \"task \(index % 7)\", \"due_at\": \(due), \"priority\": \"\(priority)\"}")
                expected.insert(task.id)
            }
            for sort in ["due_at:asc", "due_at:desc,priority:asc", "title:asc,created_at:desc", "priority:desc", "created_at:desc"] {
                var seen: [Int64] = []
                var query = try TaskQuery(parameters: ["sort": sort, "limit": "4"], timeZone: utc)
                var pages = 0
                repeat {
                    let page = try await tasks.list(query, userID: user.id, now: now)
                    seen += page.items.map(\.id)
                    query.cursor = page.nextCursor
                    pages += 1
                    if pages == 2 {
                        // A task added mid-listing may or may not appear, but nothing may repeat or go missing.
                        _ = try await add(tasks, user, #"{"title": "late arrival"}"#)
                    }
                } while query.cursor != nil && pages < 50
                let original = seen.filter(expected.contains)
                #expect(Set(original) == expected, "sort \(sort)")
                #expect(original.count == expected.count, "sort \(sort): no duplicates")
                #expect(Set(seen).count == seen.count, "sort \(sort): no duplicates")
            }
        }
    }

    @Test("bulk actions report what they changed", arguments: TestBackend.available)
    func bulk(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let tasks = SQLTaskRepository(database: database)
            let user = try await database.newTestUser(now: now)
            let a = try await add(tasks, user, #"{"title": "a", "tags": ["x"]}"#)
            let b = try await add(tasks, user, #"{"title": "b", "tags": ["x"]}"#)
            _ = try await add(tasks, user, #"{"title": "c"}"#)
            var byTag = TaskFilter()
            byTag.tags = ["x"]
            #expect(try await tasks.bulk(.complete, filter: byTag, userID: user.id, now: now) == 2)
            #expect(try await tasks.bulk(.complete, filter: byTag, userID: user.id, now: now) == 0)
            #expect(try await tasks.get(id: a.id, userID: user.id, now: now).completedAt == now)
            var byID = TaskFilter()
            byID.ids = [b.id, 999_999]
            #expect(try await tasks.bulk(.reopen, filter: byID, userID: user.id, now: now) == 1)
            #expect(try await tasks.bulk(.delete, filter: TaskFilter(status: .completed), userID: user.id, now: now) == 1)
            #expect(try await tasks.list(TaskQuery(), userID: user.id, now: now).items.count == 2)
            // The full-text index follows deletes.
            #expect(try await tasks.list(try TaskQuery(parameters: ["q": "a"], timeZone: utc), userID: user.id, now: now).items.isEmpty)
        }
    }
}

extension SQLTaskRepository {
    /// Creates the user's task from its JSON as the API takes it (in UTC), made at `time`.
    func add(_ json: String, for user: User, at time: Date) async throws -> TaskItem {
        let utc = TimeZone(identifier: "UTC")!
        let changes = try TaskChanges(json: try JSONValue.parseObject(Data(json.utf8)), timeZone: utc)
        return try await create(try TaskItem.blank(userID: user.id, now: time).applying(changes, now: time, timeZone: utc))
    }
}
