import Logging
import ServiceLifecycle
import TaskpilotCore
import TaskpilotEvents
import TaskpilotStore
import TaskpilotWorkers

/// Webhooks and email, the outgoing half of the `notifications` role: registers their consumers on the bus and
/// answers the services that send.
func registerDeliveries(
    on bus: any EventBus,
    webhooks: SQLWebhookStore,
    database: TaskpilotDatabase,
    settings: Settings,
    logger: Logger
) async -> [any Service] {
    let webhookSignal = OutboxSignal()
    await WebhookWorker.register(on: bus, store: webhooks, signal: webhookSignal, logger: logger)
    var services: [any Service] = [
        WebhookDeliveryService(
            store: webhooks,
            signal: webhookSignal,
            policy: .init(
                retries: .webhooks(base: settings.deliveryRetryBase),
                targets: WebhookTargetPolicy(allowPrivate: settings.webhookAllowPrivate)
            ),
            logger: logger
        )
    ]
    if let smtp = settings.smtp, let from = settings.smtpFrom {
        let emailSignal = OutboxSignal()
        let queue = SQLEmailQueue(database: database)
        await EmailWorker.register(on: bus, queue: queue, signal: emailSignal, logger: logger)
        services.append(
            EmailNotifier(
                queue: queue,
                smtp: smtp,
                from: from,
                retries: .email(base: settings.deliveryRetryBase),
                signal: emailSignal,
                logger: logger
            )
        )
        logger.info("reminder emails", metadata: ["smtp": .string("\(smtp.host):\(smtp.port)"), "security": .string(smtp.security.rawValue)])
    }
    return services
}
