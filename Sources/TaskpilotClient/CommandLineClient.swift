public import Foundation
public import TaskpilotCore

/// What the client commands do, independent of argument parsing: each returns the text to print.
public struct CommandLineClient: Sendable {
    public let api: TaskpilotHTTPClient

    /// Commands against the configured server.
    public init(configuration: ClientConfiguration = .load()) {
        api = TaskpilotHTTPClient(configuration: configuration)
    }

    /// Output in the account's time zone, so all-day dates and times read as in the web app.
    func renderer() async -> TerminalOutput { TerminalOutput(timeZone: await accountTimeZone()) }

    /// The account's time zone (this machine's if the server cannot say).
    func accountTimeZone() async -> TimeZone {
        let me = try? await api.call("GET", "/api/v1/auth/me")
        return me?["timezone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? .current
    }

    /// A date as typed for `--due` and the list's bounds: an ISO date or date-time goes as it is; words ("tomorrow
    /// 5pm", "next friday", "in 3 days") are read in the account's time zone, a day without a time as that day.
    static func date(_ text: String, option: String, timeZone: TimeZone, now: Date = Date()) throws(ClientError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if Timestamp.parse(trimmed, timeZone: timeZone) != nil { return trimmed }
        let parsed = QuickAddParser(now: now, timeZone: timeZone).parse(trimmed)
        guard let due = parsed.dueAt, parsed.title.isEmpty, parsed.recurrence == nil else {
            throw ClientError("\(option): could not read “\(text)” as a date; try 2026-12-01, 2026-12-01T09:00, tomorrow 5pm or next friday")
        }
        return parsed.allDay ? Timestamp.formatDay(due, timeZone: timeZone) : Timestamp.format(due)
    }

    /// Logs in (or checks a given token), creates a personal API token for this machine and stores it (0600).
    public func login(server: String, email: String?, password: String?, token: String?) async throws(ClientError) -> String {
        var configuration = ClientConfiguration(serverURL: server, token: nil)
        let client = TaskpilotHTTPClient(configuration: configuration)
        // The stored login, not the environment's: its token is stored nowhere once this login replaces it.
        let previous = ClientConfiguration.load(environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TASKPILOT_") })
        if let token {
            let me: JSONValue
            do {
                me = try await client.call("GET", "/api/v1/auth/me", token: token)
            } catch let error where error.status == 401 {
                throw ClientError(Self.advise(error.description, "Check the token you gave: a personal API token starts with tp_."), status: 401)
            }
            configuration.token = token
            try save(configuration)
            // A token of the account's that this machine stored before is revoked (when the given token may).
            if let old = previous.token, old != token { await revoke(old, on: client, token: token) }
            return "Logged in to \(server) as \(me["email"]?.stringValue ?? "?") (token stored in \(ClientConfiguration.storeURL().path))."
        }
        guard let email else { throw ClientError("give --email and a password (or --token with a personal API token)") }
        guard let password, !password.isEmpty else {
            throw ClientError("no password was given: type it at the prompt, send it on standard input, or use --password")
        }
        let auth: JSONValue
        do {
            auth = try await client.call(
                "POST",
                "/api/v1/auth/login",
                body: ["email": .string(email), "password": .string(password)],
                authenticated: false
            )
        } catch let error where error.status == 401 {
            throw ClientError(Self.advise(error.description, "Check the email and password."), status: 401)
        }
        guard let jwt = auth["token"]?.stringValue else { throw ClientError("the server did not return a token") }
        let host = ProcessInfo.processInfo.hostName
        let created = try await client.call("POST", "/api/v1/tokens", body: ["name": .string("CLI on \(host)")], token: jwt)
        configuration.token = created["token"]?.stringValue
        do {
            try save(configuration)
        } catch {
            // Nobody could use the token just made: take it back.
            if let id = created["id"]?.stringValue ?? created["id"]?.int64Value.map(String.init) {
                _ = try? await client.call("DELETE", "/api/v1/tokens/\(id)", token: jwt)
            }
            throw error
        }
        // The token of this machine's previous login is stored nowhere now: revoke it. Only a token of this account
        // matches (by its prefix), whatever spelling of the server's address the two logins used.
        if let old = previous.token, old != configuration.token {
            await revoke(old, on: client, token: jwt)
        }
        return
            "Logged in to \(server) as \(auth["user"]?["email"]?.stringValue ?? email). A personal API token (\(created["prefix"]?.stringValue ?? "tp_…")…) is stored in \(ClientConfiguration.storeURL().path)."
    }

    /// Revokes the personal API token `secret` when it is one of the account's (found by its prefix); whether it was.
    @discardableResult
    private func revoke(_ secret: String, on client: TaskpilotHTTPClient, token jwt: String) async -> Bool {
        guard let listed = try? await client.call("GET", "/api/v1/tokens", token: jwt) else { return false }
        let tokens = listed.arrayValue ?? listed["items"]?.arrayValue ?? []
        var revoked = false
        for item in tokens {
            guard let prefix = item["prefix"]?.stringValue, !prefix.isEmpty, secret.hasPrefix(prefix),
                let id = item["id"]?.stringValue ?? item["id"]?.int64Value.map(String.init)
            else { continue }
            if (try? await client.call("DELETE", "/api/v1/tokens/\(id)", token: jwt)) != nil { revoked = true }
        }
        return revoked
    }

    /// Revokes this machine's stored token on its server and forgets it (the server's address is kept for the next
    /// `login`), with the chat conversation it was having.
    public func logout() async throws(ClientError) -> String {
        let stored = ClientConfiguration.load(environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TASKPILOT_") })
        guard let secret = stored.token else { return "Not logged in on this machine; nothing to do." }
        let revoked = await revoke(secret, on: TaskpilotHTTPClient(configuration: stored), token: secret)
        try save(ClientConfiguration(serverURL: stored.serverURL, token: nil))
        try? FileManager.default.removeItem(at: ClientConfiguration.storeURL().deletingLastPathComponent().appendingPathComponent("chat.json"))
        if revoked { return "Logged out of \(stored.serverURL): this machine's token is revoked and forgotten." }
        return "Forgot this machine's token, but \(stored.serverURL) could not revoke it (unreachable, or the token was revoked "
            + "already): if it may still work, revoke it in the web app (Account settings, API tokens)."
    }

    /// The server's message followed by what to do about it, as two sentences.
    static func advise(_ message: String, _ advice: String) -> String {
        message + (message.last.map { ".!?".contains($0) } == true ? " " : ". ") + advice
    }

    private func save(_ configuration: ClientConfiguration) throws(ClientError) {
        do {
            try configuration.save()
        } catch {
            throw ClientError(
                "cannot write \(ClientConfiguration.storeURL().path) (\(error.localizedDescription)); check that this user may write that folder"
            )
        }
    }

    /// Adds a task from quick-add text.
    public func add(_ text: String, json: Bool) async throws(ClientError) -> String {
        let task = try await api.call("POST", "/api/v1/tasks/quick", body: ["text": .string(text)])
        if json { return task.prettyText }
        let output = await renderer()
        var parts = ["Added #\(task["id"]?.int64Value ?? 0) \(task["title"]?.stringValue ?? "")"]
        let due = output.due(task)
        if !due.isEmpty { parts.append("due " + due) }
        if let repeats = task["recurrence"]?["text"]?.stringValue { parts.append(repeats) }
        if let priority = task["priority"]?.stringValue, priority != "none" { parts.append(priority) }
        let tags = (task["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !tags.isEmpty { parts.append(tags.map { "#" + $0 }.joined(separator: " ")) }
        let reminders = (task["reminders"]?.arrayValue ?? []).compactMap(output.reminder)
        if !reminders.isEmpty { parts.append("reminder" + (reminders.count == 1 ? " " : "s ") + reminders.joined(separator: ", ")) }
        return parts.joined(separator: " · ")
    }

    /// The filters of `list`.
    public struct ListOptions: Sendable {
        public var status: String?
        public var priority: String?
        public var tags: String?
        public var search: String?
        public var dueBefore: String?
        public var dueAfter: String?
        public var overdue = false
        /// Only tasks without a due date.
        public var noDue = false
        /// Only tasks without tags.
        public var untagged = false
        /// `true`: only tasks that repeat; `false`: only one-off tasks.
        public var repeating: Bool?
        public var sort: String?
        public var limit: Int?

        /// No filter.
        public init() {}
    }

    /// `--sort` with the short names a person types: `due`, `created`, `updated`, `name` (`due:desc,priority`).
    static func sortFields(_ text: String) -> String {
        let names = ["due": "due_at", "created": "created_at", "updated": "updated_at", "name": "title"]
        return text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            var field = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
            let minus = field.hasPrefix("-") ? "-" : ""
            field.removeFirst(minus.count)
            guard let full = names[field] else { return String(part) }
            return ([minus + full] + pieces.dropFirst().map(String.init)).joined(separator: ":")
        }.joined(separator: ",")
    }

    /// The first key of `--sort` text that is neither a short name nor an API field ("bogus" in "due,bogus:desc").
    static func unknownSortKey(_ text: String) -> String? {
        let known: Set<String> = ["due", "created", "updated", "name", "priority", "title", "due_at", "created_at", "updated_at"]
        for part in text.split(separator: ",") {
            var field = (part.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            if field.hasPrefix("-") { field.removeFirst() }
            if !field.isEmpty, !known.contains(field) { return field }
        }
        return nil
    }

    /// Lists tasks as a table (or JSON).
    public func list(_ options: ListOptions, json: Bool) async throws(ClientError) -> String {
        if let sort = options.sort, sort.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: ","))).isEmpty {
            throw ClientError("--sort: give at least one key, e.g. --sort due or --sort priority:desc")
        }
        // A key the client does not know is named with the names a person types, not the API's.
        if let sort = options.sort, let unknown = Self.unknownSortKey(sort) {
            throw ClientError("--sort: '\(unknown)' is no key; use due, priority, title (or name), created or updated, e.g. --sort due,priority:desc")
        }
        // One look at the account, and only when dates are read or shown.
        let zone = !json || options.dueBefore != nil || options.dueAfter != nil ? await accountTimeZone() : .current
        let dueBefore = try options.dueBefore.map { text throws(ClientError) in try Self.date(text, option: "--due-before", timeZone: zone) }
        let dueAfter = try options.dueAfter.map { text throws(ClientError) in try Self.date(text, option: "--due-after", timeZone: zone) }
        // Without --limit every matching task is listed (page after page); with it, that many, and the table says
        // when more match.
        var items: [JSONValue] = []
        var cursor: String?
        var more = false
        repeat {
            let query = TaskpilotHTTPClient.query([
                ("status", options.status ?? "pending"), ("priority", options.priority), ("tags", options.tags), ("q", options.search),
                ("due_before", dueBefore), ("due_after", dueAfter), ("overdue", options.overdue ? "true" : nil),
                ("has_due", options.noDue ? "false" : nil), ("tagged", options.untagged ? "false" : nil),
                ("repeating", options.repeating.map { $0 ? "true" : "false" }),
                ("sort", options.sort.map(Self.sortFields) ?? "due_at:asc,priority:desc"), ("limit", String(options.limit ?? Self.pageSize)),
                ("cursor", cursor),
            ])
            let page = try await api.call("GET", "/api/v1/tasks" + query)
            items += page["items"]?.arrayValue ?? []
            cursor = page["next_cursor"]?.stringValue
            more = cursor != nil
        } while more && options.limit == nil && items.count < Self.listCap
        if json { return JSONValue.array(items).prettyText }
        let table = TerminalOutput(timeZone: zone).table(items)
        guard more else { return table }
        let hint =
            options.limit == nil
            ? "Only the first \(items.count) matching tasks are listed: narrow the filters."
            : "More tasks match: leave out --limit to list them all, or narrow the filters."
        return table + "\n" + hint
    }

    /// The page size `list` asks for, the server's largest.
    static let pageSize = 500
    /// The most tasks `list` gathers without --limit.
    static let listCap = 10_000

    /// One task in detail.
    public func show(_ id: Int64, json: Bool) async throws(ClientError) -> String {
        let task = try await api.call("GET", "/api/v1/tasks/\(id)")
        return json ? task.prettyText : await renderer().details(task)
    }

    /// Completes or reopens a task; one that already is says so.
    public func setDone(_ id: Int64, _ done: Bool) async throws(ClientError) -> String {
        let before = try await api.call("GET", "/api/v1/tasks/\(id)")
        if (before["status"]?.stringValue == "completed") == done {
            return "#\(id) \(before["title"]?.stringValue ?? "") was already \(done ? "completed" : "open"); nothing changed."
        }
        let task = try await api.call("POST", "/api/v1/tasks/\(id)/\(done ? "complete" : "reopen")")
        let line = "\(done ? "Completed" : "Reopened") #\(id) \(task["title"]?.stringValue ?? "")"
        guard done, task["recurrence"]?["rrule"]?.stringValue != nil else { return line }
        // The server makes the next occurrence in a moment; when it will be due is known now.
        let output = await renderer()
        guard let next = Self.nextDue(after: task, timeZone: output.timeZone) else { return line + " · that was the last of the series" }
        return line + " · the next one is due " + output.moment(next, allDay: task["all_day"] == .bool(true))
    }

    /// When the occurrence after a just-completed repeating task is due, as the server computes it; nil when the series
    /// ends with it.
    static func nextDue(after task: JSONValue, timeZone: TimeZone) -> Date? {
        guard let text = task["recurrence"]?["rrule"]?.stringValue, var rule = try? RecurrenceRule(rrule: text, timeZone: timeZone),
            let due = task["due_at"]?.stringValue.flatMap({ Timestamp.parse($0, timeZone: timeZone)?.date })
        else { return nil }
        rule.fromCompletion = task["recurrence"]?["from_completion"] == .bool(true)
        let completed = task["completed_at"]?.stringValue.flatMap { Timestamp.parse($0, timeZone: timeZone)?.date } ?? Date()
        return rule.nextDue(previousDue: due, completedAt: completed, occurrence: Int(task["occurrence"]?.int64Value ?? 1), timeZone: timeZone)
    }

    /// Changes fields of a task; `fields` uses the API's names. A `due_at` in words moves the task's due date the way
    /// the assistant does (`movedDue`); a `recurrence` in words is read the way quick add reads it (`repetition`).
    public func edit(_ id: Int64, fields: [String: JSONValue], json: Bool) async throws(ClientError) -> String {
        guard !fields.isEmpty else { throw ClientError("nothing to change: give --title, --due, --priority, --tags, --description or --recurrence") }
        let dueText = fields["due_at"]?.stringValue
        let recurrenceText = fields["recurrence"]?.stringValue
        let zone = !json || dueText != nil || recurrenceText != nil ? await accountTimeZone() : .current
        let now = Date()
        var fields = fields
        // Words are read against the task as it stands; fetched once, and only when words need it.
        var stored: JSONValue?
        func current() async throws(ClientError) -> (date: Date?, allDay: Bool) {
            let task: JSONValue
            if let stored {
                task = stored
            } else {
                task = try await api.call("GET", "/api/v1/tasks/\(id)")
                stored = task
            }
            let date = task["due_at"]?.stringValue.flatMap { Timestamp.parse($0, timeZone: zone)?.date }
            return (date, task["all_day"] == .bool(true))
        }
        let dueGiven = fields["due_at"] != nil
        var newDue: ParsedDate?
        if let dueText {
            let value: String
            if Self.isTimestamp(dueText, timeZone: zone) {
                value = try Self.date(dueText, option: "--due", timeZone: zone, now: now)
            } else {
                value = try Self.movedDue(dueText, from: try await current(), timeZone: zone, now: now)
            }
            fields["due_at"] = .string(value)
            newDue = Timestamp.parse(value, timeZone: zone)
        }
        // The due date the rule is read from, and whether it is all-day: the one given, else the task's.
        func anchorDue() async throws(ClientError) -> (date: Date?, allDay: Bool) {
            guard dueGiven else { return try await current() }
            if case .day(let date) = newDue { return (date, true) }
            return (newDue?.date, false)
        }
        // The series starts on the first of its days from the due date on ("every monday" of a task due on a Friday).
        func start(_ first: Date?, _ anchor: (date: Date?, allDay: Bool)) {
            guard let first, first != anchor.date else { return }
            fields["due_at"] = .string(anchor.allDay ? Timestamp.formatDay(first, timeZone: zone) : Timestamp.format(first))
        }
        if let recurrenceText, Self.isRRULE(recurrenceText) {
            let text = recurrenceText.uppercased().hasPrefix("RRULE:") ? String(recurrenceText.dropFirst(6)) : recurrenceText
            let given = try await anchorDue()
            if let rule = try? RecurrenceRule(rrule: text), let due = given.date {
                start(rule.firstOccurrence(onOrAfter: due, timeZone: zone), given)
            }
        } else if let recurrenceText {
            let anchor = try await anchorDue().date
            let (rule, parsed) = try Self.repetition(recurrenceText, anchor: anchor, timeZone: zone, now: now)
            fields["recurrence"] = rule.requestJSON
            // Without --due, a task without a due date starts at the first occurrence, as in quick add (a series needs
            // one), and a time said with the repetition ("every weekday 9am") is the task's new time on its day.
            if !dueGiven, anchor == nil || !parsed.allDay {
                let wasAllDay = try await current().allDay
                let parser = QuickAddParser(now: now, timeZone: zone)
                if let (due, allDay) = parser.movedDue(from: anchor, allDay: wasAllDay, to: parsed, onlyTime: true) {
                    fields["due_at"] = .string(allDay ? Timestamp.formatDay(due, timeZone: zone) : Timestamp.format(due))
                }
            } else if let anchor {
                // "every last friday" of a task due on a Thursday starts on the first such Friday, at the same time;
                // "every 4th thursday of november" in November.
                start(parsed.seriesStart(from: anchor, timeZone: zone), try await anchorDue())
            }
        }
        let task = try await api.call("PATCH", "/api/v1/tasks/\(id)", body: .object(fields))
        return json ? task.prettyText : "Updated:\n" + TerminalOutput(timeZone: zone).details(task)
    }

    /// Whether `--due` text is an ISO date or date-time, sent as it is (a plain date makes the task all-day).
    static func isTimestamp(_ text: String, timeZone: TimeZone) -> Bool {
        Timestamp.parse(text.trimmingCharacters(in: .whitespaces), timeZone: timeZone) != nil
    }

    /// The new due date for words given to `edit --due`, as API text: a day keeps the task's time of day (unless it
    /// was all-day), a bare time keeps the task's day, anything else ("friday 5pm", "in 2 hours") is taken as said.
    static func movedDue(
        _ text: String,
        from current: (date: Date?, allDay: Bool),
        timeZone: TimeZone,
        now: Date = Date()
    ) throws(ClientError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parser = QuickAddParser(now: now, timeZone: timeZone)
        let parsed = parser.parse(trimmed)
        guard parsed.dueAt != nil, parsed.title.isEmpty, parsed.recurrence == nil,
            let (due, allDay) = parser.movedDue(
                from: current.date,
                allDay: current.allDay,
                to: parsed,
                onlyTime: parser.namesOnlyATime(trimmed),
                said: trimmed
            )
        else {
            throw ClientError("--due: could not read “\(text)” as a date; try 2026-12-01, 2026-12-01T09:00, tomorrow 5pm or next friday")
        }
        return allDay ? Timestamp.formatDay(due, timeZone: timeZone) : Timestamp.format(due)
    }

    /// Whether `--recurrence` text is an RRULE (`FREQ=WEEKLY;BYDAY=MO`, with or without `RRULE:`), sent as it is.
    static func isRRULE(_ text: String) -> Bool { text.contains("=") || text.uppercased().hasPrefix("RRULE:") }

    /// A repetition in words ("every monday", "every other week", "every month on the 1st until Dec 31"), read the
    /// way quick add reads it, with all that was read (its first due date, with the time if one was said). Monthly and
    /// yearly rules fall on the day of `anchor` (the task's due date) when the words name none, as the server does for
    /// a rule without days.
    static func repetition(
        _ text: String,
        anchor: Date?,
        timeZone: TimeZone,
        now: Date = Date()
    ) throws(ClientError) -> (rule: RecurrenceRule, parsed: QuickAddResult) {
        // Read from the start of the due day, the first occurrence (which fills in a missing day) is that day.
        let reference = anchor.map { Calendar.taskpilot(timeZone).startOfDay(for: $0) } ?? now
        let parsed = QuickAddParser(now: reference, timeZone: timeZone).parse(text.trimmingCharacters(in: .whitespaces))
        guard let rule = parsed.recurrence, parsed.title.isEmpty, parsed.priority == nil, parsed.tags.isEmpty, parsed.reminders.isEmpty else {
            throw ClientError(
                "--recurrence: could not read “\(text)” as a repetition; try every monday, every 2 weeks, every month on the 1st, "
                    + "or an RRULE such as FREQ=WEEKLY;BYDAY=MO"
            )
        }
        return (rule, parsed)
    }

    /// Deletes a task.
    /// Deletes a task; `confirm` is asked first with the task's title (on a terminal), and false keeps it.
    public func remove(_ id: Int64, confirm: (@Sendable (String) -> Bool)? = nil) async throws(ClientError) -> String {
        let task = try await api.call("GET", "/api/v1/tasks/\(id)")
        let title = task["title"]?.stringValue ?? ""
        if let confirm, !confirm("Delete #\(id) \(title)?") { return "Kept #\(id) \(title)." }
        try await api.call("DELETE", "/api/v1/tasks/\(id)")
        return "Deleted #\(id) \(task["title"]?.stringValue ?? "")"
    }

    /// The tags with their counts.
    public func tags(json: Bool) async throws(ClientError) -> String {
        let tags = try await api.call("GET", "/api/v1/tags")
        if json { return tags.prettyText }
        let rows = (tags.arrayValue ?? []).map { ["#" + ($0["name"]?.stringValue ?? ""), String($0["count"]?.int64Value ?? 0)] }
        return rows.isEmpty ? "No tags yet." : TerminalOutput().render(header: ["TAG", "TASKS"], rows: rows)
    }

    /// One message of `taskpilot chat "…"`: it goes on with the conversation of the last such message when that was
    /// less than `window` ago on the same server ("make it urgent" after "remind me to call mom"), unless `fresh`.
    /// The conversation is remembered in `chat.json` beside the stored login.
    public func chatContinuing(_ message: String, fresh: Bool, now: Date = Date(), window: TimeInterval = 30 * 60) async throws(ClientError) -> String
    {
        struct Last: Codable {
            var server: String
            var conversation: String
            var at: Date
        }
        let file = ClientConfiguration.storeURL().deletingLastPathComponent().appendingPathComponent("chat.json")
        let last = fresh ? nil : (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(Last.self, from: $0) }
        var conversation = last.flatMap { $0.server == api.configuration.serverURL && now.timeIntervalSince($0.at) < window ? $0.conversation : nil }
        let reply: (text: String, conversation: String?)
        do {
            reply = try await chat(message, conversation: conversation)
        } catch let error where error.status == 404 && conversation != nil {
            // That conversation is gone (deleted in the web app): start a new one.
            conversation = nil
            reply = try await chat(message, conversation: nil)
        }
        if let id = reply.conversation, let data = try? JSONEncoder().encode(Last(server: api.configuration.serverURL, conversation: id, at: now)) {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? data.write(to: file, options: .atomic)
        }
        return reply.text
    }

    /// Sends one chat message; returns the reply as terminal text (its Markdown rendered) and the conversation to continue.
    public func chat(_ message: String, conversation: String?) async throws(ClientError) -> (text: String, conversation: String?) {
        var body: [String: JSONValue] = ["message": .string(message)]
        if let conversation { body["conversation_id"] = .string(conversation) }
        let reply = try await api.call("POST", "/api/v1/chat", body: .object(body))
        var text = TerminalOutput().markdown(reply["response"]?.stringValue ?? "")
        let calls = (reply["tool_calls"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        if !calls.isEmpty { text += "\n" + TerminalOutput().paint("(" + calls.joined(separator: ", ") + ")", "2") }
        return (text, reply["conversation_id"]?.stringValue)
    }
}

extension JSONValue {
    /// Indented JSON text for `--json`.
    public var prettyText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        // Foundation writes an empty array or object over three lines ("[\n\n]"); strings hold no raw line breaks.
        return String(decoding: data, as: UTF8.self).replacing(/\[\n\s*\n?\s*\]/, with: "[]").replacing(/\{\n\s*\n?\s*\}/, with: "{}")
    }
}
