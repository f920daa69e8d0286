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
        if let token {
            let me = try await client.call("GET", "/api/v1/auth/me", token: token)
            configuration.token = token
            try save(configuration)
            return "Logged in to \(server) as \(me["email"]?.stringValue ?? "?") (token stored in \(ClientConfiguration.storeURL().path))."
        }
        guard let email, let password else { throw ClientError("give --email and a password (or --token with a personal API token)") }
        let auth = try await client.call(
            "POST",
            "/api/v1/auth/login",
            body: ["email": .string(email), "password": .string(password)],
            authenticated: false
        )
        guard let jwt = auth["token"]?.stringValue else { throw ClientError("the server did not return a token") }
        let host = ProcessInfo.processInfo.hostName
        let created = try await client.call("POST", "/api/v1/tokens", body: ["name": .string("CLI on \(host)")], token: jwt)
        configuration.token = created["token"]?.stringValue
        try save(configuration)
        return
            "Logged in to \(server) as \(email). A personal API token (\(created["prefix"]?.stringValue ?? "tp_…")…) is stored in \(ClientConfiguration.storeURL().path)."
    }

    private func save(_ configuration: ClientConfiguration) throws(ClientError) {
        do {
            try configuration.save()
        } catch {
            throw ClientError("cannot write \(ClientConfiguration.storeURL().path): \(error)")
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
        public var sort: String?
        public var limit: Int?

        /// No filter.
        public init() {}
    }

    /// Lists tasks as a table (or JSON).
    public func list(_ options: ListOptions, json: Bool) async throws(ClientError) -> String {
        // One look at the account, and only when dates are read or shown.
        let zone = !json || options.dueBefore != nil || options.dueAfter != nil ? await accountTimeZone() : .current
        let dueBefore = try options.dueBefore.map { text throws(ClientError) in try Self.date(text, option: "--due-before", timeZone: zone) }
        let dueAfter = try options.dueAfter.map { text throws(ClientError) in try Self.date(text, option: "--due-after", timeZone: zone) }
        let query = TaskpilotHTTPClient.query([
            ("status", options.status ?? "pending"), ("priority", options.priority), ("tags", options.tags), ("q", options.search),
            ("due_before", dueBefore), ("due_after", dueAfter), ("overdue", options.overdue ? "true" : nil),
            ("sort", options.sort ?? "due_at:asc,priority:desc"), ("limit", options.limit.map(String.init)),
        ])
        let page = try await api.call("GET", "/api/v1/tasks" + query)
        let items = page["items"]?.arrayValue ?? []
        return json ? JSONValue.array(items).prettyText : TerminalOutput(timeZone: zone).table(items)
    }

    /// One task in detail.
    public func show(_ id: Int64, json: Bool) async throws(ClientError) -> String {
        let task = try await api.call("GET", "/api/v1/tasks/\(id)")
        return json ? task.prettyText : await renderer().details(task)
    }

    /// Completes or reopens a task.
    public func setDone(_ id: Int64, _ done: Bool) async throws(ClientError) -> String {
        let task = try await api.call("POST", "/api/v1/tasks/\(id)/\(done ? "complete" : "reopen")")
        return "\(done ? "Completed" : "Reopened") #\(id) \(task["title"]?.stringValue ?? "")"
    }

    /// Changes fields of a task; `fields` uses the API's names.
    public func edit(_ id: Int64, fields: [String: JSONValue], json: Bool) async throws(ClientError) -> String {
        guard !fields.isEmpty else { throw ClientError("nothing to change: give --title, --due, --priority, --tags, --description or --recurrence") }
        let zone = !json || fields["due_at"]?.stringValue != nil ? await accountTimeZone() : .current
        var fields = fields
        if let due = fields["due_at"]?.stringValue { fields["due_at"] = .string(try Self.date(due, option: "--due", timeZone: zone)) }
        let task = try await api.call("PATCH", "/api/v1/tasks/\(id)", body: .object(fields))
        return json ? task.prettyText : "Updated:\n" + TerminalOutput(timeZone: zone).details(task)
    }

    /// Deletes a task.
    public func remove(_ id: Int64) async throws(ClientError) -> String {
        let task = try await api.call("GET", "/api/v1/tasks/\(id)")
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

    /// Sends one chat message; returns the reply and the conversation to continue.
    public func chat(_ message: String, conversation: String?) async throws(ClientError) -> (text: String, conversation: String?) {
        var body: [String: JSONValue] = ["message": .string(message)]
        if let conversation { body["conversation_id"] = .string(conversation) }
        let reply = try await api.call("POST", "/api/v1/chat", body: .object(body))
        var text = reply["response"]?.stringValue ?? ""
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
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
