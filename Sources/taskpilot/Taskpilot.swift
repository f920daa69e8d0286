import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import TaskpilotApp
import TaskpilotClient
import TaskpilotCore
import TaskpilotStore
import TaskpilotWorkers

@main
struct Taskpilot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskpilot",
        abstract: "A self-hostable task manager with an AI assistant.",
        subcommands: [
            Serve.self, Worker.self, Migrate.self, UserCommand.self, MCPCommand.self, Login.self, Logout.self, Add.self, List.self, Show.self,
            Done.self,
            Reopen.self,
            Edit.self, Remove.self, Tags.self, Chat.self,
        ]
    )

    static func main() async {
        // What the program creates is its user's alone: the data folder (0700), the SQLite database with its -wal
        // and -shm files (0600: password hashes and tasks), the stored login and chat state.
        umask(0o077)
        await main(separatingText(Array(CommandLine.arguments.dropFirst())))
    }

    /// The options of `add` and `chat`: any other word starting with "-" is their text.
    static let textCommandOptions: [String: Set<String>] = ["add": ["--json", "-h", "--help"], "chat": ["--new", "-h", "--help"]]

    /// The arguments as ArgumentParser should read them, where it would take text for options:
    /// - the free text of `add` and `chat` goes after "--" when a piece of it starts with "-" (`add "-x marks the
    ///   spot"`, `add -urgent`): parsed as options, "-x marks the spot" was a group of short flags with "-h" among them
    ///   and printed the help with success; their options go first;
    /// - an option's value that starts with "-" is joined to it (`edit 4 --description "- buy eggs"` as
    ///   `--description=- buy eggs`), when it holds a space or starts with "-" and a digit ("-5 degrees", "-5"): it was
    ///   "missing a value";
    /// - a task id written as the tables show it ("#42") is the id.
    static func separatingText(_ arguments: [String]) -> [String] {
        guard let command = arguments.first else { return arguments }
        if let options = textCommandOptions[command], !arguments.contains("--") {
            let rest = arguments.dropFirst()
            // Their options, and words that look like long options (an unknown one is refused, not added as text).
            func isOption(_ word: String) -> Bool { options.contains(word) || word.hasPrefix("--") && !word.contains(where: \.isWhitespace) }
            guard rest.contains(where: { $0.hasPrefix("-") && !isOption($0) }) else { return arguments }
            return [command] + rest.filter(isOption) + ["--"] + rest.filter { !isOption($0) }
        }
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" {
                result += arguments[index...]
                break
            }
            let next = index + 1 < arguments.endIndex ? arguments[index + 1] : nil
            if word.hasPrefix("--"), !word.contains("="), let next, next.hasPrefix("-"),
                next.contains(where: \.isWhitespace) || next.dropFirst().first?.isNumber == true
            {
                result.append(word + "=" + next)
                index += 2
                continue
            }
            // An option's value is left as it is ("--title '#1'" is a title); after a flag or the command it is an id.
            let previous = result.last ?? ""
            let optionValue = previous.hasPrefix("-") && !previous.contains("=") && !["--json", "--yes", "--new", "--help", "-h"].contains(previous)
            if word.hasPrefix("#"), word.count > 1, word.dropFirst().allSatisfy(\.isNumber), !optionValue {
                result.append(String(word.dropFirst()))
            } else {
                result.append(word)
            }
            index += 1
        }
        return result
    }
}

/// Reads the settings, printing one line naming the bad key and exiting 2 when they are wrong; `serving` also asks
/// for what the API needs (a shared JWT secret with PostgreSQL).
func loadSettings(serving: Bool = false, listening: Bool = false) async throws -> Settings {
    do {
        let settings = try Settings(reader: try await Settings.environmentReader())
        if serving { try settings.requireSharedSecret() }
        if serving { try settings.checkServing() } else if listening { try settings.checkListenAddress() }
        return settings
    } catch let error as Settings.Invalid {
        throw report(error)
    }
}

/// Turns a configuration error into one line on standard error and exit code 2.
func report(_ error: Settings.Invalid) -> ExitCode {
    FileHandle.standardError.write(Data("taskpilot: configuration error: \(error.description)\n".utf8))
    return ExitCode(2)
}

/// Runs `application` until it stops. A bind that fails after the start-up check (another process took the port in
/// between) is the same one-line configuration error as the check's, not an I/O error's description.
func runUntilStopped(_ application: some ApplicationProtocol, settings: Settings) async throws {
    do {
        try await application.runService()
    } catch let error as IOError where [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) {
        throw report(settings.listenFailure(error))
    }
}

/// Sets up logging once for the process, as the settings say.
func bootstrapLogging(_ settings: Settings) -> Logger {
    let level = settings.logLevel
    let format = settings.logFormat
    LoggingSystem.bootstrap { label in
        var handler = StandardErrorLogHandler(label: label, format: format)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "taskpilot")
    logger.logLevel = level
    return logger
}

/// Turns a domain error into one line on standard error and exit code 1.
func report(_ error: any Error) -> ExitCode {
    let message = DatabaseSetupError.postgresProblem(error) ?? (error as? any LocalizedError)?.errorDescription ?? String(describing: error)
    FileHandle.standardError.write(Data("taskpilot: \(message)\n".utf8))
    return ExitCode(1)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (API, web app and workers) as the environment configures it.")

    func run() async throws {
        let settings = try await loadSettings(serving: true)
        let logger = bootstrapLogging(settings)
        for (name, meant) in settings.unknownSettings(in: Settings.givenNames()) {
            logger.warning(
                "\(name) is no setting and is ignored\(meant.map { "; did you mean \($0)?" } ?? "")",
                metadata: ["setting": .string(name)]
            )
        }
        let metrics = bootstrapMetrics()
        let server: TaskpilotServer
        do {
            server = try await buildServer(settings: settings, logger: logger, metrics: metrics)
        } catch {
            logger.critical("start-up failed", metadata: ["error": .string(readableDescription(of: error))])
            throw report(error)
        }
        do {
            try await runUntilStopped(server.application, settings: settings)
        } catch {
            await server.database.shutdown()
            throw error
        }
        await server.database.shutdown()
        logger.notice("Taskpilot stopped")
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one worker role in its own process, consuming from the shared event bus (TASKPILOT_EVENT_BUS=kafka or dapr).",
        discussion: "Serves /health/live, /health/ready and /metrics on TASKPILOT_HOST:TASKPILOT_PORT. Stops gracefully on SIGTERM."
    )

    @Argument(help: "One of: \(WorkerRole.allCases.map(\.rawValue).joined(separator: ", ")).")
    var role: String

    func validate() throws {
        guard WorkerRole(rawValue: role.lowercased()) != nil else {
            throw ValidationError("'\(role)' is not a worker role; use one of \(WorkerRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let settings = try await loadSettings(listening: true)
        let logger = bootstrapLogging(settings)
        let metrics = bootstrapMetrics()
        let application: any ApplicationProtocol
        do {
            application = try await buildWorker(role: WorkerRole(rawValue: role.lowercased())!, settings: settings, logger: logger, metrics: metrics)
        } catch let error as Settings.Invalid {
            throw report(error)
        } catch {
            logger.critical("start-up failed", metadata: ["error": .string(readableDescription(of: error))])
            throw report(error)
        }
        try await runUntilStopped(application, settings: settings)
        logger.notice("worker stopped", metadata: ["role": .string(role.lowercased())])
    }
}

/// Prometheus metrics for the process, with histogram buckets that fit what they measure.
func bootstrapMetrics() -> ServerMetrics {
    let metrics = ServerMetrics()
    var factory = PrometheusMetricsFactory(registry: metrics.registry)
    // Reminder lateness is alerted on at one minute, so its buckets must reach well past that.
    factory.durationHistogramBuckets["taskpilot_reminder_lateness_seconds"] = [
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60), .seconds(120), .seconds(300), .seconds(900),
    ]
    factory.durationHistogramBuckets["taskpilot_llm_request_duration_seconds"] = [
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(60),
        .seconds(120),
    ]
    MetricsSystem.bootstrap(DocumentedMetricsFactory(base: factory))
    return metrics
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (or revert the last batch) and exit.")

    @Flag(help: "Revert the last batch of migrations instead (after a first start that is every table: all data).")
    var revert = false
    @Flag(help: "Revert without asking (needed when standard input is not a terminal).")
    var yes = false

    func run() async throws {
        let settings = try await loadSettings()
        if revert, !yes {
            // Reverting drops the tables of the last batch, which after a first start is every table and all data.
            guard isatty(STDIN_FILENO) != 0 else {
                let message = "taskpilot: migrate --revert drops the tables of the last batch of migrations and their data; add --yes to do it\n"
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(
                Data("This drops the tables of the last batch of migrations with their data. Type 'revert' to go on: ".utf8)
            )
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "revert" else {
                print("Nothing was reverted.")
                throw ExitCode(1)
            }
        }
        let logger = bootstrapLogging(settings)
        do {
            let applied = try await Administration(settings: settings, logger: logger).migrate(revert: revert)
            if revert {
                print(applied.isEmpty ? "Nothing to revert: no migration has been applied." : "Reverted: \(applied.joined(separator: ", "))")
            } else {
                print(applied.isEmpty ? "The database is up to date." : "Applied: \(applied.joined(separator: ", "))")
            }
        } catch {
            throw report(error)
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage accounts (operators).",
        subcommands: [Create.self, ListUsers.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")

        @Option(help: "The email address to log in with.") var email: String
        @Option(help: "The display name.") var name: String = ""
        @Option(help: "The IANA time zone, e.g. Europe/Paris.") var timezone: String = "UTC"
        @Option(help: "The password (at least 10 characters); read from standard input when omitted.") var password: String?

        func run() async throws {
            let settings = try await loadSettings()
            let logger = bootstrapLogging(settings)
            var secret = password
            if secret == nil {
                secret = readPassword()
            }
            do {
                let user = try await Administration(settings: settings, logger: logger).createUser(
                    email: email,
                    password: secret ?? "",
                    name: name,
                    timezone: timezone
                )
                print("Created \(user.email) (\(user.id.uuidString.lowercased())).")
            } catch {
                throw report(error)
            }
        }
    }

    struct ListUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts.")

        func run() async throws {
            let settings = try await loadSettings()
            let logger = bootstrapLogging(settings)
            do {
                let users = try await Administration(settings: settings, logger: logger).listUsers()
                print("ID                                    EMAIL                          NAME                 TIMEZONE")
                for user in users {
                    let row = [user.id.uuidString.lowercased(), user.email, user.name, user.timezone]
                    print(zip(row, [38, 31, 21, 0]).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined())
                }
                if users.isEmpty { print("(no accounts yet: create one with `taskpilot user create --email you@example.com`)") }
            } catch {
                throw report(error)
            }
        }
    }
}

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP over stdio for a local AI agent, relayed to the server (TASKPILOT_SERVER_URL, TASKPILOT_TOKEN)."
    )

    func run() async throws {
        let configuration = ClientConfiguration.load()
        guard configuration.token != nil else {
            FileHandle.standardError.write(
                Data("taskpilot mcp: no token; set TASKPILOT_TOKEN to a personal API token or run `taskpilot login`\n".utf8)
            )
            throw ExitCode(2)
        }
        try await MCPStdioBridge(configuration: configuration).run()
    }
}
