import Foundation
public import Hummingbird
public import Logging
import ServiceLifecycle
import TaskpilotCore
import TaskpilotEvents
import TaskpilotKafka
import TaskpilotStore
public import TaskpilotWorkers

/// The event bus the settings choose, the outbox relay that feeds it, and the workers that consume it — the same in
/// `serve` and in `taskpilot worker <role>`.
struct EventBackbone: Sendable {
    let bus: any EventBus
    /// The bus itself when it has a life of its own (consumers to start and stop).
    let busService: (any Service)?
    let workflow: SQLWorkflowStore
    let outbox: SQLOutboxStore
    let signal: OutboxSignal
    let logger: Logger
    let reminders: ReminderScheduler
    let webhooks: SQLWebhookStore
    let database: TaskpilotDatabase
    let settings: Settings

    init(settings: Settings, database: TaskpilotDatabase, signal: OutboxSignal, logger: Logger) throws {
        self.signal = signal
        self.logger = logger
        self.settings = settings
        workflow = SQLWorkflowStore(database: database, signal: signal)
        reminders = ReminderScheduler(store: workflow, logger: logger)
        webhooks = SQLWebhookStore(database: database, signal: signal)
        self.database = database
        let outbox = SQLOutboxStore(database: database)
        self.outbox = outbox
        switch settings.eventBus {
        case .inprocess:
            bus = InProcessEventBus()
            busService = nil
        case .kafka:
            let configuration = KafkaConfiguration(
                brokers: settings.kafkaBrokers ?? "",
                topicPrefix: settings.topicPrefix,
                clientID: "taskpilot-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
                partitions: Int32(settings.kafkaPartitions)
            )
            let kafka = try KafkaEventBus(configuration: configuration, epochs: outbox, logger: logger) {
                await OutboxRelay.replay(store: outbox, signal: signal, logger: logger)
            }
            bus = kafka
            busService = kafka
        case .dapr:
            if settings.daprAppToken == nil {
                logger.warning(
                    "TASKPILOT_DAPR_APP_TOKEN is not set: anything that reaches this port can post to /dapr/* and /job/*; set it with Dapr's APP_API_TOKEN"
                )
            }
            bus = DaprEventBus(
                endpoint: settings.daprEndpoint,
                pubsub: settings.daprPubsub,
                topicPrefix: settings.topicPrefix,
                apiToken: settings.daprAPIToken,
                logger: logger
            )
            busService = nil
        }
    }

    /// Subscribes the handlers of `roles` and returns the services to run: the bus, the relay, and the reminder
    /// scheduler when that role is here. (Services stop in reverse order: the scheduler and relay before the bus.)
    func services(running roles: [WorkerRole]) async -> [any Service] {
        if roles.contains(.recurring) { await RecurringWorker.register(on: bus, store: workflow, logger: logger) }
        if roles.contains(.audit) { await AuditWorker.register(on: bus, store: workflow) }
        if roles.contains(.notifications) { await NotificationWorker.register(on: bus, store: workflow) }
        var services: [any Service] = busService.map { [$0] } ?? []
        services.append(OutboxRelay(store: outbox, bus: bus, signal: signal, logger: logger))
        if roles.contains(.notifications) {
            services += await registerDeliveries(on: bus, webhooks: webhooks, database: database, settings: settings, logger: logger)
        }
        if roles.contains(.reminders) {
            if settings.reminderScheduler == .daprJobs, let dapr = bus as? DaprEventBus {
                services.append(DaprJobRegistration(bus: dapr, job: Self.reminderJob, every: "1s"))
            } else {
                services.append(reminders)
            }
        }
        return services
    }

    /// The Dapr job that fires due reminders, when the Jobs API schedules them.
    static let reminderJob = "taskpilot-reminders"

    /// The sidecar's routes, in Dapr mode.
    func addRoutes(to router: Router<AppRequestContext>) {
        guard let dapr = bus as? DaprEventBus else { return }
        let reminders = reminders
        DaprController<AppRequestContext>(
            bus: dapr,
            appToken: settings.daprAppToken,
            jobs: [
                Self.reminderJob: {
                    while try await reminders.fireDue() == ReminderScheduler.batch {}
                }
            ]
        ).addRoutes(to: router)
    }
}

/// Schedules a repeating Dapr job once the sidecar answers, then stays until shutdown.
struct DaprJobRegistration: Service {
    let bus: DaprEventBus
    let job: String
    let every: String

    func run() async throws {
        await cancelWhenGracefulShutdown { await bus.scheduleJob(name: job, every: every) }
        try? await gracefulShutdown()
    }
}

/// `taskpilot worker <role>`: one worker role in a process of its own, consuming from the shared bus, with
/// `/health/live`, `/health/ready` and `/metrics` on TASKPILOT_HOST:TASKPILOT_PORT.
public func buildWorker(
    role: WorkerRole,
    settings: Settings,
    logger: Logger? = nil,
    metrics: ServerMetrics = ServerMetrics()
) async throws
    -> some ApplicationProtocol
{
    var logger = logger ?? Logger(label: "taskpilot")
    logger.logLevel = settings.logLevel
    logger[metadataKey: "worker"] = .string(role.rawValue)
    guard settings.eventBus != .inprocess else {
        throw Settings.Invalid(
            key: "TASKPILOT_EVENT_BUS",
            problem: "worker processes need a shared bus (kafka or dapr); with the in-process bus the workers run inside `serve` (TASKPILOT_WORKERS)"
        )
    }
    let database = try await TaskpilotDatabase(location: settings.database, logger: logger, maxConnections: settings.databaseMaxConnections)
    let events: EventBackbone
    do {
        let applied = try await database.migrate()
        if !applied.isEmpty { logger.info("database migrated", metadata: ["applied": .array(applied.map { .string($0) })]) }
        events = try EventBackbone(settings: settings, database: database, signal: OutboxSignal(), logger: logger)
    } catch {
        // A pool dropped without being shut down stops the process in debug builds (AsyncKit asserts in `deinit`).
        await database.shutdown()
        throw error
    }
    let services = await events.services(running: [role])
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ObservabilityMiddleware(metrics: metrics)
        ErrorMiddleware<AppRequestContext>()
    }
    OperationsController(database: database, metrics: metrics).addRoutes(to: router)
    events.addRoutes(to: router)
    let address = settings.host
    let startLogger = logger
    var application = Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "taskpilot-worker"),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? settings.port
            startLogger.notice(
                "worker is ready",
                metadata: ["role": .string(role.rawValue), "health": .string("http://\(address):\(bound)/health/ready")]
            )
        },
        logger: logger
    )
    application.addServices(database)
    application.addServices(services)
    return application
}
