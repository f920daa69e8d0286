public import Configuration
public import Foundation
public import Logging
import SystemPackage
import TaskpilotCore
public import TaskpilotStore
public import TaskpilotWorkers

/// Every setting of the server, read once from the environment, `.env`, flags or a test's in-memory provider.
public struct Settings: Sendable {
    /// The event bus that carries events.
    public enum EventBus: String, Sendable { case inprocess, kafka, dapr }
    /// What wakes the reminder scheduler: its own look at the database, or a Dapr job calling back.
    public enum ReminderScheduler: String, Sendable {
        case database
        case daprJobs = "dapr-jobs"
    }
    /// The log line format.
    public enum LogFormat: String, Sendable { case text, json }

    /// The environment names of every setting (`TASKPILOT_PORT`, …), for `unknownSettings(in:)`.
    public private(set) var settingNames: Set<String> = []
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    /// The PostgreSQL connections a process opens for its requests (`TASKPILOT_DATABASE_MAX_CONNECTIONS`); the relay
    /// and in-process workers open a quarter of that again, at least two. Unused on SQLite.
    public var databaseMaxConnections: Int
    public var eventBus: EventBus
    /// Kafka bootstrap servers (`host:port,…`), required with the Kafka bus.
    public var kafkaBrokers: String?
    /// Put in front of every topic name (several installations can share one broker).
    public var topicPrefix: String
    /// Partitions of the topics Taskpilot creates (events of one task always share a partition).
    public var kafkaPartitions: Int
    /// The Dapr sidecar's HTTP API.
    public var daprEndpoint: String
    /// The Dapr pub/sub component.
    public var daprPubsub: String
    /// Sent to the sidecar as `dapr-api-token` (Dapr's DAPR_API_TOKEN), when it requires one.
    public var daprAPIToken: String?
    /// Required from the sidecar on `/dapr/*` and `/job/*` (Dapr's APP_API_TOKEN), when set.
    public var daprAppToken: String?
    /// What drives the reminder scheduler.
    public var reminderScheduler: ReminderScheduler
    /// The HS256 secret; nil means "generate one and keep it in the data folder" (embedded default only).
    public var jwtSecret: String?
    /// How long an access token from login or register lives.
    public var jwtLifetime: Duration
    public var dataDirectory: String
    /// The folder of the web app's static files; nil when none was found (the API still runs).
    public var webDirectory: String?
    public var maxBodyBytes: Int
    public var bcryptCost: UInt8
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// The OpenAI-compatible Chat Completions endpoint; nil runs the offline interpreter.
    public var llmBaseURL: String?
    public var llmAPIKey: String?
    public var llmModel: String
    public var llmTimeout: Duration
    public var llmMaxTokens: Int
    public var llmMaxSteps: Int
    public var llmToolChoice: String
    /// The worker roles that run inside `serve`.
    public var workers: Set<String>
    /// Chat messages a user may send per minute.
    public var chatPerMinute: Int
    /// Failed logins allowed per email and per client within ``loginWindow``.
    public var loginAttempts: Int
    public var loginWindow: Duration
    /// Reminder emails over SMTP (`TASKPILOT_SMTP_URL`); nil sends none.
    public var smtp: SMTPConfiguration?
    /// The sender of emails (`TASKPILOT_SMTP_FROM`); set whenever ``smtp`` is.
    public var smtpFrom: String?
    /// The first retry delay of webhooks and emails; later ones scale with it (5 s → 5 s, 30 s, 2 min, 10 min, 1 h).
    public var deliveryRetryBase: Duration
    /// Whether webhooks may call loopback, private and link-local addresses (`TASKPILOT_WEBHOOK_ALLOW_PRIVATE`).
    public var webhookAllowPrivate: Bool
    /// How often a WebSocket session gets a heartbeat and its token is checked again (`TASKPILOT_WS_HEARTBEAT`).
    public var webSocketHeartbeat: Duration
    /// Threads of the event loops that serve HTTP (`TASKPILOT_EVENT_LOOP_THREADS`). On PostgreSQL each connection's
    /// requests are read, handled and answered on its loop's thread, which also holds that loop's database connections;
    /// on SQLite handlers run on Swift's cooperative pool beside the loops.
    public var eventLoopThreads: Int

    /// A setting is missing or invalid; the message names the environment variable.
    public struct Invalid: Error, CustomStringConvertible {
        /// The environment variable.
        public let key: String
        /// What is wrong and what is accepted.
        public let problem: String
        /// One line for the operator.
        public var description: String { "\(key): \(problem)" }
    }

    /// Reads the settings; throws ``Invalid`` naming the first bad key.
    public init(reader: ConfigReader) throws(Invalid) {
        var read: Set<String> = ["TASKPILOT_SMTP_FROM"]
        func text(_ key: String) -> String? {
            read.insert(envName(key))
            guard let value = reader.string(forKey: ConfigKey(key)), !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return value.trimmingCharacters(in: .whitespaces)
        }
        func envName(_ key: String) -> String { key.uppercased().replacingOccurrences(of: ".", with: "_") }
        func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(Invalid) -> Int {
            guard let raw = text(key) else { return fallback }
            guard let value = Int(raw), range.contains(value) else {
                throw Invalid(key: envName(key), problem: "'\(raw)' is not a whole number between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        func flag(_ key: String, default fallback: Bool) throws(Invalid) -> Bool {
            guard let raw = text(key) else { return fallback }
            switch raw.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw Invalid(key: envName(key), problem: "'\(raw)' is not true or false")
            }
        }
        func choice<T: RawRepresentable<String>>(_ key: String, default fallback: T, _ all: [T]) throws(Invalid) -> T {
            guard let raw = text(key) else { return fallback }
            guard let value = T(rawValue: raw.lowercased()) else {
                throw Invalid(key: envName(key), problem: "'\(raw)' is not one of \(all.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }

        host = text("taskpilot.host") ?? "127.0.0.1"
        port = try integer("taskpilot.port", default: 8080, in: 0...65535)
        dataDirectory = text("taskpilot.data.dir") ?? "./data"
        let url = text("taskpilot.database.url") ?? "sqlite://\(dataDirectory)/taskpilot.sqlite"
        if let problem = DatabaseLocation.problem(url: url) {
            let shown = DatabaseLocation(url: url)?.redacted ?? url.replacing(/:[^:@\/]*@/, with: ":***@")
            throw Invalid(key: "TASKPILOT_DATABASE_URL", problem: "'\(shown)' \(problem)")
        }
        guard let location = DatabaseLocation(url: url) else { throw Invalid(key: "TASKPILOT_DATABASE_URL", problem: "is not readable") }
        database = location
        databaseMaxConnections = try integer("taskpilot.database.max.connections", default: 8, in: 1...1000)
        eventBus = try choice("taskpilot.event.bus", default: .inprocess, [.inprocess, .kafka, .dapr])
        topicPrefix = text("taskpilot.topic.prefix") ?? ""
        guard topicPrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), topicPrefix.count <= 100 else {
            throw Invalid(key: "TASKPILOT_TOPIC_PREFIX", problem: "'\(topicPrefix)' may hold only letters, digits, '.', '_' and '-'")
        }
        kafkaBrokers = text("taskpilot.kafka.brokers")
        if eventBus == .kafka {
            guard let brokers = kafkaBrokers else {
                throw Invalid(key: "TASKPILOT_KAFKA_BROKERS", problem: "is required with TASKPILOT_EVENT_BUS=kafka (host:port[,host:port…])")
            }
            // Every entry is checked, empty ones too: " , " is no broker at all.
            let valid = brokers.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { broker in
                let parts = broker.trimmingCharacters(in: .whitespaces).split(separator: ":")
                return parts.count == 2 && !parts[0].isEmpty && Int(parts[1]).map { (1...65535).contains($0) } == true
            }
            guard valid else { throw Invalid(key: "TASKPILOT_KAFKA_BROKERS", problem: "'\(brokers)' is not a comma list of host:port") }
        }
        kafkaPartitions = try integer("taskpilot.kafka.partitions", default: 3, in: 1...1000)
        daprEndpoint = text("taskpilot.dapr.http.endpoint") ?? "http://127.0.0.1:3500"
        guard let daprURL = URL(string: daprEndpoint), ["http", "https"].contains(daprURL.scheme?.lowercased() ?? ""), daprURL.host != nil else {
            throw Invalid(key: "TASKPILOT_DAPR_HTTP_ENDPOINT", problem: "'\(daprEndpoint)' is not an http(s) URL like http://127.0.0.1:3500")
        }
        daprPubsub = text("taskpilot.dapr.pubsub") ?? "taskpilot-pubsub"
        // The name goes into the sidecar's URL path (`/v1.0/publish/{pubsub}/{topic}`); Dapr names components so.
        guard daprPubsub.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }), daprPubsub.count <= 253 else {
            throw Invalid(
                key: "TASKPILOT_DAPR_PUBSUB",
                problem: "'\(daprPubsub)' is not a Dapr component name (letters, digits, '.', '_' and '-'; the pubsub component's metadata.name)"
            )
        }
        daprAPIToken = text("taskpilot.dapr.api.token")
        daprAppToken = text("taskpilot.dapr.app.token")
        reminderScheduler = try choice("taskpilot.reminder.scheduler", default: .database, [.database, .daprJobs])
        if reminderScheduler == .daprJobs && eventBus != .dapr {
            throw Invalid(key: "TASKPILOT_REMINDER_SCHEDULER", problem: "dapr-jobs needs TASKPILOT_EVENT_BUS=dapr")
        }
        jwtSecret = text("taskpilot.jwt.secret")
        if let secret = jwtSecret, secret.utf8.count < 32 {
            throw Invalid(key: "TASKPILOT_JWT_SECRET", problem: "must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)")
        }
        jwtLifetime = .seconds(try integer("taskpilot.jwt.lifetime", default: 7 * 86_400, in: 60...(365 * 86_400)))
        maxBodyBytes = try integer("taskpilot.max.body.bytes", default: 1_048_576, in: 1024...(64 * 1_048_576))
        bcryptCost = UInt8(try integer("taskpilot.bcrypt.cost", default: 12, in: 4...16))
        let level = try choice("taskpilot.log.level", default: LevelName.info, LevelName.allCases)
        logLevel = level.level
        logFormat = try choice("taskpilot.log.format", default: .text, [.text, .json])
        if let folder = text("taskpilot.web.dir") {
            guard FileManager.default.fileExists(atPath: folder + "/index.html") else {
                throw Invalid(key: "TASKPILOT_WEB_DIR", problem: "'\(folder)' holds no index.html; point it at the web/ folder of Taskpilot")
            }
            webDirectory = folder
        } else {
            webDirectory = Self.defaultWebDirectory()
        }
        llmBaseURL = text("taskpilot.llm.base.url")
        if let url = llmBaseURL {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw Invalid(key: "TASKPILOT_LLM_BASE_URL", problem: "'\(url)' is not an http(s) URL like https://api.openai.com/v1")
            }
        }
        llmAPIKey = text("taskpilot.llm.api.key")
        llmModel = text("taskpilot.llm.model") ?? "gpt-4o-mini"
        llmTimeout = .seconds(try integer("taskpilot.llm.timeout", default: 60, in: 1...600))
        llmMaxTokens = try integer("taskpilot.llm.max.tokens", default: 1024, in: 16...100_000)
        llmMaxSteps = try integer("taskpilot.llm.max.steps", default: 6, in: 1...50)
        llmToolChoice = text("taskpilot.llm.tool.choice")?.lowercased() ?? "auto"
        let tools = [
            "add_task", "list_tasks", "complete_task", "delete_task", "update_task", "reopen_task", "bulk_tasks", "set_reminder", "list_tags",
        ]
        guard (["auto", "required", "none"] + tools).contains(llmToolChoice) else {
            throw Invalid(key: "TASKPILOT_LLM_TOOL_CHOICE", problem: "'\(llmToolChoice)' is not auto, required, none or a tool name")
        }
        let roles: Set<String> = ["recurring", "reminders", "notifications", "audit"]
        if let list = text("taskpilot.workers") {
            let named = Set(list.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            if named == ["none"] {
                workers = []
            } else if named == ["all"] {
                workers = roles
            } else {
                guard named.isSubset(of: roles) else {
                    throw Invalid(
                        key: "TASKPILOT_WORKERS",
                        problem: "'\(list)' names an unknown role; use a comma list of recurring, reminders, notifications, audit (or all, none)"
                    )
                }
                workers = named
            }
        } else {
            workers = eventBus == .inprocess ? roles : []
        }
        chatPerMinute = try integer("taskpilot.chat.per.minute", default: 30, in: 1...10_000)
        loginAttempts = try integer("taskpilot.login.attempts", default: 10, in: 1...100_000)
        loginWindow = .seconds(try integer("taskpilot.login.window", default: 900, in: 1...86_400))
        if let url = text("taskpilot.smtp.url") {
            do {
                smtp = try SMTPConfiguration(url: url)
            } catch {
                throw Invalid(key: "TASKPILOT_SMTP_URL", problem: error.description)
            }
            guard let from = text("taskpilot.smtp.from"), from.contains("@"), !from.contains("\n"), !from.contains("\r") else {
                let given = text("taskpilot.smtp.from").map { "'\($0)' is not an email address; give" } ?? "is required with TASKPILOT_SMTP_URL:"
                throw Invalid(key: "TASKPILOT_SMTP_FROM", problem: "\(given) the sender, e.g. Taskpilot <taskpilot@example.com>")
            }
            smtpFrom = from
        }
        let retryBase = text("taskpilot.delivery.retry.base") ?? "5"
        guard let seconds = Double(retryBase), (0.01...3600).contains(seconds) else {
            throw Invalid(key: "TASKPILOT_DELIVERY_RETRY_BASE", problem: "'\(retryBase)' is not a number of seconds between 0.01 and 3600")
        }
        deliveryRetryBase = .milliseconds(Int(seconds * 1000))
        webhookAllowPrivate = try flag("taskpilot.webhook.allow.private", default: false)
        let heartbeat = text("taskpilot.ws.heartbeat") ?? "25"
        guard let heartbeatSeconds = Double(heartbeat), (0.1...3600).contains(heartbeatSeconds) else {
            throw Invalid(key: "TASKPILOT_WS_HEARTBEAT", problem: "'\(heartbeat)' is not a number of seconds between 0.1 and 3600")
        }
        webSocketHeartbeat = .milliseconds(Int(heartbeatSeconds * 1000))
        // On PostgreSQL each connection is served on its loop's thread (EventLoopBoundChannel), with that loop's share
        // of the database connections: a loop per core. On SQLite handlers run on the cooperative pool (a thread per
        // core) and the loops only move bytes: more than one loop per two cores only competes with the pool.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        eventLoopThreads = try integer(
            "taskpilot.event.loop.threads",
            default: database.isPostgres ? max(1, cores) : max(1, cores / 2),
            in: 1...256
        )
        settingNames = read
    }

    /// What serving the API needs beyond the settings themselves: with PostgreSQL (several replicas), a JWT secret
    /// they share. Workers and `migrate` sign nothing, so they do not ask for one.
    public func requireSharedSecret() throws(Invalid) {
        if jwtSecret == nil, case .postgres = database {
            throw Invalid(
                key: "TASKPILOT_JWT_SECRET",
                problem: "is required with PostgreSQL, so that every replica signs and accepts the same tokens (e.g. `openssl rand -hex 32`)"
            )
        }
    }

    /// `./web` when run from the repository, else `web` beside or above the executable (`.build/release/../../web`).
    static func defaultWebDirectory() -> String? {
        // The executable as invoked (`.build/release` is a symlink) and as resolved.
        let invoked = URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
        var candidates = [URL(fileURLWithPath: "web")]
        for executable in [invoked, invoked.resolvingSymlinksInPath()].map({ $0.deletingLastPathComponent() }) {
            // ../../web: .build/release/taskpilot; ../../../web: .build/<triple>/release/taskpilot.
            candidates += ["web", "../share/taskpilot/web", "../../web", "../../../web"].map { executable.appendingPathComponent($0) }
        }
        return candidates.map(\.standardizedFileURL.path).first { FileManager.default.fileExists(atPath: $0 + "/index.html") }
    }

    private enum LevelName: String, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
        var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
    }

    /// The environment, a `.env` file in the working directory if there is one (see ``DotEnv``), and nothing else.
    /// The names of the variables and `.env` lines that look like settings (`TASKPILOT_…`) but are none, each with the
    /// setting it most likely means ("TASKPILOT_PROT" → "TASKPILOT_PORT"): a misspelt setting is otherwise silently
    /// ignored. The client's own (`TASKPILOT_SERVER_URL`, `TASKPILOT_TOKEN`), Docker Compose's `TASKPILOT_PUBLISH` and the
    /// test suites' are known too.
    public func unknownSettings(in names: some Sequence<String>) -> [(name: String, meant: String?)] {
        let known = settingNames.union(["TASKPILOT_SERVER_URL", "TASKPILOT_TOKEN", "TASKPILOT_BIN", "TASKPILOT_PUBLISH"])
        return names.filter { $0.hasPrefix("TASKPILOT_") && !$0.hasPrefix("TASKPILOT_TEST_") && !known.contains($0) }.sorted().map { name in
            (name, JSONFields.closest(to: name, among: known.sorted()))
        }
    }

    /// The names of the variables in the environment and `.env` (as `environmentReader` reads them).
    public static func givenNames() -> [String] {
        var names = Array(ProcessInfo.processInfo.environment.keys)
        if let contents = try? String(contentsOfFile: ".env", encoding: .utf8), let parsed = try? DotEnv.parse(contents) {
            names += parsed.keys
        }
        return names
    }

    public static func environmentReader() async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider()]
        if FileManager.default.fileExists(atPath: ".env") {
            let contents: String
            do {
                contents = try String(contentsOfFile: ".env", encoding: .utf8)
            } catch {
                throw Invalid(key: ".env", problem: "cannot be read (\(error.localizedDescription)); fix its permissions or remove it")
            }
            providers.append(EnvironmentVariablesProvider(environmentVariables: try DotEnv.parse(contents)))
        }
        return ConfigReader(providers: providers)
    }
}
