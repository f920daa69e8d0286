import ArgumentParser
import Foundation
import TaskpilotClient
import TaskpilotCore

/// Runs a client call: prints its text, or one line on standard error and exit code 1.
func runClient(_ body: (CommandLineClient) async throws(ClientError) -> String) async throws {
    // Dates typed with slashes are read in the order the terminal's locale writes them, as the server reads them.
    let dayFirst = HourCycle.dayFirst(acceptLanguage: TaskpilotHTTPClient.acceptLanguage())
    let outcome = await QuickAddParser.$dayFirst.withValue(dayFirst) { () async -> Result<String, ClientError> in
        do throws(ClientError) { return .success(try await body(CommandLineClient())) } catch { return .failure(error) }
    }
    switch outcome {
    case .success(let text): print(text)
    case .failure(let error):
        FileHandle.standardError.write(Data("taskpilot: \(error.description)\n".utf8))
        throw ExitCode(1)
    }
}

/// Options shared by commands that can print JSON.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table: the task as the server answers it, or for list the array of tasks.") var json = false
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke this machine's stored token on the server and forget it.")

    func run() async throws {
        try await runClient { client throws(ClientError) in try await client.logout() }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Log in to a server and store a personal API token (mode 0600).")

    @Option(help: "The server URL (default: $TASKPILOT_SERVER_URL, else the stored login's, else http://127.0.0.1:8080).")
    var server: String?
    @Option(help: "Your email address.") var email: String?
    @Option(help: "Your password (read from standard input when omitted).") var password: String?
    @Option(help: "Use this personal API token instead of email and password.") var token: String?

    func run() async throws {
        var secret = password
        if token == nil && secret == nil {
            secret = readPassword()
        }
        let server = server ?? ClientConfiguration.load().serverURL
        try await runClient { client throws(ClientError) in try await client.login(server: server, email: email, password: secret, token: token) }
    }
}

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a task the way you would say it.",
        discussion: "Example: taskpilot add \"Pay rent every month on the 1st 9am p1 #home\""
    )

    @Argument(help: "Quick-add text: title, dates, times, recurrence, p1–p4, #tags, \"remind me 1 hour before\".") var text: [String]
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let line = text.joined(separator: " ")
        try await runClient { client throws(ClientError) in try await client.add(line, json: output.json) }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tasks (pending by default).")

    @Option(help: "pending, completed or all.") var status: String?
    @Option(help: "Priorities, comma-separated (e.g. high,urgent).") var priority: String?
    @Option(name: [.customLong("tag"), .customLong("tags")], help: "Tags the tasks must all carry, comma-separated.") var tags: String?
    @Option(name: [.customShort("s"), .long], help: "Full-text search over title and description.") var search: String?
    @Option(help: "Only tasks due before this date (2026-12-01, \"next monday\", …).") var dueBefore: String?
    @Option(help: "Only tasks due at or after this date (2026-12-01, \"today\", …).") var dueAfter: String?
    @Flag(help: "Only overdue tasks.") var overdue = false
    @Flag(help: "Only tasks without a due date.") var noDue = false
    @Flag(help: "Only tasks without tags.") var untagged = false
    @Flag(help: "Only tasks that repeat.") var repeating = false
    @Flag(name: .customLong("one-off"), help: "Only tasks that do not repeat.") var oneOff = false
    @Option(
        help:
            "Sort keys, e.g. due:asc,priority:desc (due, priority, title, created, updated; :desc or, written --sort=-due, a - before a key reverses it)."
    )
    var sort: String?
    @Option(help: "At most this many tasks (1–500); without it, every matching task.") var limit: Int?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if repeating && oneOff { throw ValidationError("--repeating and --one-off exclude each other; give one of them.") }
    }

    func run() async throws {
        var options = CommandLineClient.ListOptions()
        options.status = status
        options.priority = priority
        options.tags = tags
        options.search = search
        options.dueBefore = dueBefore
        options.dueAfter = dueAfter
        options.overdue = overdue
        options.noDue = noDue
        options.untagged = untagged
        options.repeating = repeating ? true : oneOff ? false : nil
        options.sort = sort
        options.limit = limit
        let chosen = options
        try await runClient { client throws(ClientError) in try await client.list(chosen, json: output.json) }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one task.")
    @Argument(help: "The task id.") var id: Int64
    @OptionGroup var output: OutputOptions

    func run() async throws { try await runClient { client throws(ClientError) in try await client.show(id, json: output.json) } }
}

struct Done: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Complete a task.")
    @Argument(help: "The task id.") var id: Int64

    func run() async throws { try await runClient { client throws(ClientError) in try await client.setDone(id, true) } }
}

struct Reopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reopen a completed task.")
    @Argument(help: "The task id.") var id: Int64

    func run() async throws { try await runClient { client throws(ClientError) in try await client.setDone(id, false) } }
}

struct Edit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change a task.")
    @Argument(help: "The task id.") var id: Int64
    @Option(help: "New title.") var title: String?
    @Option(help: "New description.") var description: String?
    @Option(
        help: """
            Due date: 2026-12-01 (all-day), 2026-12-01T09:00, words like "tomorrow 5pm", "friday" (keeps the time of day) \
            or "4pm" (keeps the day), or "none".
            """
    ) var due: String?
    @Option(help: "none, low, medium, high or urgent.") var priority: String?
    @Option(help: "Tags, comma-separated (replaces them; \"\" clears).") var tags: String?
    @Option(help: "How it repeats: words like \"every monday\" or \"every 2 weeks\", an RRULE such as FREQ=WEEKLY;BYDAY=MO, or \"none\".")
    var recurrence: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var fields: [String: JSONValue] = [:]
        if let title { fields["title"] = .string(title) }
        if let description { fields["description"] = .string(description) }
        if let due { fields["due_at"] = due.lowercased() == "none" ? .null : .string(due) }
        if let priority { fields["priority"] = .string(priority) }
        if let tags { fields["tags"] = .array(tags.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }) }
        if let recurrence { fields["recurrence"] = recurrence.lowercased() == "none" ? .null : .string(recurrence) }
        let changes = fields
        try await runClient { client throws(ClientError) in try await client.edit(id, fields: changes, json: output.json) }
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a task (asking first on a terminal).")
    @Argument(help: "The task id.") var id: Int64
    @Flag(help: "Delete without asking.") var yes = false

    func run() async throws {
        // On a terminal a person typed it: a mistyped id deletes nothing without a yes. Scripts are not asked.
        let ask: (@Sendable (String) -> Bool)? = yes || isatty(STDIN_FILENO) == 0 ? nil : Self.askYes
        let id = self.id
        try await runClient { client throws(ClientError) in try await client.remove(id, confirm: ask) }
    }

    /// Asks a yes-or-no question on the terminal; only "y" or "yes" is a yes.
    @Sendable static func askYes(_ question: String) -> Bool {
        FileHandle.standardOutput.write(Data("\(question) [y/N] ".utf8))
        return ["y", "yes"].contains(readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? "")
    }
}

struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your tags.")
    @OptionGroup var output: OutputOptions

    func run() async throws { try await runClient { client throws(ClientError) in try await client.tags(json: output.json) } }
}

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to the assistant: one message, or an interactive session when none is given."
    )
    @Argument(help: "The message.") var message: [String] = []
    @Flag(help: "Start a new conversation (a message otherwise goes on with the one of the last message, within 30 minutes).")
    var new = false

    func run() async throws {
        let client = CommandLineClient()
        if !message.isEmpty {
            let text = message.joined(separator: " ")
            let fresh = new
            try await runClient { client throws(ClientError) in try await client.chatContinuing(text, fresh: fresh) }
            return
        }
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { print("Chat with Taskpilot — type a message, or 'exit' to leave.") }
        var conversation: String?
        while true {
            if interactive {
                FileHandle.standardOutput.write(Data("you › ".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if ["exit", "quit", ":q"].contains(text.lowercased()) { break }
            do {
                let reply = try await client.chat(text, conversation: conversation)
                conversation = reply.conversation
                print(reply.text + "\n")
            } catch {
                FileHandle.standardError.write(Data("taskpilot: \(error.description)\n".utf8))
                if error.status == 401 || error.status == nil { throw ExitCode(1) }
            }
        }
    }
}
