import AsyncHTTPClient
public import Configuration
import Foundation
public import Hummingbird
import HummingbirdWebSocket
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TaskpilotAssistant
import TaskpilotCore
import TaskpilotEvents
public import TaskpilotStore
import TaskpilotWorkers

/// Everything `serve` is made of, so tests can reach the parts they check.
public struct TaskpilotServer: Sendable {
    /// The HTTP application, ready to run.
    public let application: Application<RouterResponder<AppRequestContext>>
    /// The database it writes to.
    public let database: TaskpilotDatabase
}

/// Builds the server from configuration: settings, database and migrations, credentials, routes.
public func buildApplication(reader: ConfigReader, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    try await buildServer(settings: try Settings(reader: reader), logger: logger).application
}

/// Builds the server from settings.
public func buildServer(settings: Settings, logger: Logger? = nil, metrics: ServerMetrics = ServerMetrics()) async throws -> TaskpilotServer {
    var logger = logger ?? Logger(label: "taskpilot")
    logger.logLevel = settings.logLevel
    try settings.requireSharedSecret()
    // Before the database opens: an unusable secret file stops start-up with nothing to close.
    let secret = try settings.jwtSecret ?? JWTSecretStore.secret(for: settings)
    let database = try await TaskpilotDatabase(
        location: settings.database,
        logger: logger,
        maxConnections: settings.databaseMaxConnections,
        eventLoopGroup: ServerEventLoops.group(threads: settings.eventLoopThreads)
    )
    do {
        return try await assembleServer(settings: settings, logger: logger, metrics: metrics, database: database, secret: secret)
    } catch {
        // A pool dropped without being shut down stops the process in debug builds (AsyncKit asserts in `deinit`).
        await database.shutdown()
        throw error
    }
}

/// The server over an open database: migrations, repositories, workers and routes.
private func assembleServer(
    settings: Settings,
    logger: Logger,
    metrics: ServerMetrics,
    database: TaskpilotDatabase,
    secret: String
) async throws -> TaskpilotServer {
    let applied = try await database.migrate()
    if !applied.isEmpty { logger.info("database migrated", metadata: ["applied": .array(applied.map { .string($0) })]) }
    let accounts = SQLAccountRepository(database: database)
    let credentials = await Credentials(
        secret: secret,
        lifetime: settings.jwtLifetime,
        bcryptCost: settings.bcryptCost,
        users: accounts,
        tokens: accounts
    )
    let signal = OutboxSignal()
    let events = try EventBackbone(settings: settings, database: database, signal: signal, logger: logger)
    let store = SQLTaskRepository(database: database, source: .api, signal: signal)
    let tasks = MeasuredTaskRepository(store)
    let agent = settings.llmBaseURL.map { url in
        LLMAgent(
            configuration: .init(
                baseURL: url,
                apiKey: settings.llmAPIKey,
                model: settings.llmModel,
                timeout: settings.llmTimeout,
                maxSteps: settings.llmMaxSteps,
                maxTokens: settings.llmMaxTokens,
                firstToolChoice: settings.llmToolChoice
            ),
            logger: logger
        )
    }
    logger.info("assistant mode", metadata: ["mode": .string(agent == nil ? "offline interpreter" : "language model \(settings.llmModel)")])
    if settings.webDirectory == nil {
        logger.warning(
            "no web app found (no web/index.html here or beside the executable): serving the API only; set TASKPILOT_WEB_DIR to the web/ folder"
        )
    }
    let chat = ChatService(
        conversations: SQLConversationRepository(database: database),
        tasks: MeasuredTaskRepository(store.from(.assistant)),
        agent: agent
    )

    // Workers run in this process as TASKPILOT_WORKERS says; the realtime fan-out always does.
    let roles = settings.workers.compactMap(WorkerRole.init(rawValue:))
    let hub = RealtimeHub()
    await events.bus.subscribeLive(topic: .taskUpdates) { event in await hub.deliver(event) }
    let services = await events.services(running: roles)
    logger.info(
        "workers",
        metadata: ["in_process": .array(settings.workers.sorted().map { .string($0) }), "event_bus": .string(settings.eventBus.rawValue)]
    )

    let router = buildRouter(
        database: database,
        credentials: credentials,
        tasks: tasks,
        accounts: accounts,
        chat: chat,
        conversations: SQLConversationRepository(database: database),
        activity: events.workflow,
        webhooks: events.webhooks,
        settings: settings,
        metrics: metrics
    )
    events.addRoutes(to: router)
    let address = settings.host
    let port = settings.port
    let startLogger = logger
    var application = Application(
        router: router,
        server: RealtimeHub.serverBuilder(
            hub: hub,
            credentials: credentials,
            heartbeat: settings.webSocketHeartbeat,
            bindToEventLoops: settings.database.isPostgres
        ),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "taskpilot"),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            startLogger.notice(
                "Taskpilot is ready",
                metadata: ["url": .string("http://\(address):\(bound)"), "database": .string(settings.database.redacted)]
            )
        },
        eventLoopGroupProvider: .shared(ServerEventLoops.group(threads: settings.eventLoopThreads)),
        logger: logger
    )
    // Services stop in reverse order: the relay and the scheduler before the database.
    application.addServices(database)
    application.addServices(services)
    return TaskpilotServer(application: application, database: database)
}

/// The event loops that serve HTTP: one group per thread count for the life of the process, like NIO's singleton, so
/// building the application again (as the tests do) reuses their threads instead of leaving new ones behind.
enum ServerEventLoops {
    private static let groups = Mutex<[Int: MultiThreadedEventLoopGroup]>([:])

    /// The group with `threads` threads.
    static func group(threads: Int) -> MultiThreadedEventLoopGroup {
        groups.withLock { groups in
            if let group = groups[threads] { return group }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            groups[threads] = group
            return group
        }
    }
}

/// The routes and middleware of the HTTP API.
func buildRouter(
    database: TaskpilotDatabase,
    credentials: Credentials,
    tasks: any TaskRepository,
    accounts: SQLAccountRepository,
    chat: ChatService,
    conversations: any ConversationRepository,
    activity: any ActivityRepository,
    webhooks: any WebhookRepository,
    settings: Settings,
    metrics: ServerMetrics
) -> Router<AppRequestContext> {
    // HEAD answers like GET without the body (monitors and `curl -I` use it); the file middleware does its own.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let allowed = AllowedMethods()
    router.addMiddleware {
        FairTurnMiddleware<AppRequestContext>()
        ObservabilityMiddleware(metrics: metrics)
        SecurityHeadersMiddleware()
        ErrorMiddleware<AppRequestContext>(allowed: allowed)
    }
    if let web = settings.webDirectory {
        // Files are served when no route matches; no-cache plus the ETag makes browsers revalidate cheaply.
        router.add(
            middleware: FileMiddleware(
                web,
                cacheControl: .init([(MediaType(type: .any), [.noCache])]),
                searchForIndexHtml: true,
                logger: Logger(label: "taskpilot.web")
            )
        )
    }
    OperationsController(database: database, metrics: metrics).addRoutes(to: router)
    let accountController = AccountController(
        users: accounts,
        tokens: accounts,
        credentials: credentials,
        limiter: LoginRateLimiter(limit: settings.loginAttempts, window: settings.loginWindow),
        maxBodyBytes: settings.maxBodyBytes
    )
    let taskController = TaskController(tasks: tasks, maxBodyBytes: settings.maxBodyBytes)

    let v1 = router.group("api/v1")
    accountController.addPublicRoutes(to: v1)
    RealtimeHub.addRoute(to: v1, credentials: credentials)
    let authenticated = v1.add(middleware: AuthenticationMiddleware(credentials: credentials)).group(context: AuthenticatedContext.self)
    accountController.addRoutes(to: authenticated)
    taskController.addRoutes(to: authenticated)
    let chatController = ChatController(
        chat: chat,
        conversations: conversations,
        limiter: ChatRateLimiter(perMinute: settings.chatPerMinute),
        maxBodyBytes: settings.maxBodyBytes
    )
    chatController.addRoutes(to: authenticated)
    ActivityController(activity: activity, tasks: tasks).addRoutes(to: authenticated)
    WebhookController(
        webhooks: webhooks,
        targets: WebhookTargetPolicy(allowPrivate: settings.webhookAllowPrivate),
        maxBodyBytes: settings.maxBodyBytes
    )
    .addRoutes(to: authenticated)

    let mcp = router.group("mcp").add(middleware: AuthenticationMiddleware(credentials: credentials)).group(context: AuthenticatedContext.self)
    let mcpTasks = (tasks as? MeasuredTaskRepository)?.from(.mcp) ?? (tasks as? SQLTaskRepository)?.from(.mcp) ?? tasks
    MCPController(tasks: mcpTasks, maxBodyBytes: settings.maxBodyBytes).addRoutes(to: mcp)

    let compatibility = router.group("api").add(middleware: AuthenticationMiddleware(credentials: credentials))
        .group(context: AuthenticatedContext.self)
    CompatibilityController(taskController: taskController).addRoutes(to: compatibility)
    chatController.addCompatibilityRoutes(to: compatibility)
    allowed.record(router)
    return router
}

/// The JWT secret of the embedded default: generated once and kept in the data folder, so tokens survive restarts.
enum JWTSecretStore {
    static func secret(for settings: Settings) throws -> String {
        let fresh = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        // An in-memory database lives as long as the process; so may its secret.
        guard case .sqliteFile = settings.database else { return fresh }
        let folder = URL(fileURLWithPath: settings.dataDirectory)
        let file = folder.appendingPathComponent("jwt-secret")
        if FileManager.default.fileExists(atPath: file.path) {
            // A secret that is there but cannot be used is not replaced: a new one would log every user out, and the
            // operator should know why.
            let what = "\(file.path) (the secret that signs access tokens)"
            guard let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw Settings.Invalid(key: "TASKPILOT_JWT_SECRET", problem: "\(what) cannot be read by this user: fix its owner or mode")
            }
            guard existing.count >= 32 else {
                throw Settings.Invalid(
                    key: "TASKPILOT_JWT_SECRET",
                    problem: "\(what) holds \(existing.count) characters, at least 32 are needed: put the secret back, or delete the "
                        + "file to make a new one (everyone then logs in again)"
                )
            }
            return existing
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Not kept, a new secret at every start would log everyone out at every restart.
        guard FileManager.default.createFile(atPath: file.path, contents: Data(fresh.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Settings.Invalid(
                key: "TASKPILOT_JWT_SECRET",
                problem: "\(file.path) (the secret that signs access tokens) cannot be written: make \(folder.path) writable by this user"
            )
        }
        return fresh
    }
}
