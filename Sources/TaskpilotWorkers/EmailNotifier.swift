import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
public import TaskpilotCore
public import TaskpilotEvents

/// Reminder emails, the consuming half: each `reminder.due` event queues one email to the task's owner.
/// Its own consumer group, so a mail server outage never holds up in-app notifications.
public struct EmailWorker: Sendable {
    /// Subscribes to `reminders`; `signal` wakes the ``EmailNotifier``.
    public static func register(on bus: any EventBus, queue: any EmailQueue, signal: OutboxSignal, logger: Logger) async {
        await bus.subscribe(topic: .reminders, group: "taskpilot-email") { event in
            guard event.type == "taskpilot.reminder.due" else { return }
            let queued = try await queue.enqueueReminderEmail(for: event, now: Date())
            Counter(
                label: "taskpilot_events_consumed_total",
                dimensions: [("topic", "reminders"), ("consumer", "taskpilot-email"), ("outcome", queued ? "ok" : "duplicate")]
            ).increment()
            if queued {
                logger.debug("reminder email queued", metadata: ["event_id": .string(event.id)])
                signal.notify()
            }
        }
    }
}

/// Sends queued emails over SMTP: a transient failure (a 4xx reply, a network problem) is retried with backoff, a
/// permanent one (5xx) is recorded and logged. Safe to run on several replicas.
public struct EmailNotifier: Service {
    let queue: any EmailQueue
    let client: SMTPClient
    let from: String
    let retries: RetrySchedule
    let signal: OutboxSignal
    let logger: Logger

    /// A notifier sending as `from` through the server `smtp`.
    public init(queue: any EmailQueue, smtp: SMTPConfiguration, from: String, retries: RetrySchedule = .email(), signal: OutboxSignal, logger: Logger)
    {
        self.queue = queue
        self.client = SMTPClient(configuration: smtp)
        self.from = from
        self.retries = retries
        self.signal = signal
        self.logger = logger
    }

    public func run() async throws {
        let queue = queue
        let lease = client.configuration.timeout * 2 + .seconds(30)
        await DeliveryLoop(
            concurrency: 2,
            pollInterval: .seconds(1),
            signal: signal,
            logger: logger,
            claim: { limit in try await queue.claimDueEmails(now: Date(), limit: limit, lease: lease) },
            send: { email in await send(email) },
            prune: { cutoff in try await queue.pruneEmails(finishedBefore: cutoff) }
        ).run()
    }

    func send(_ email: PendingEmail) async {
        var metadata: Logger.Metadata = [
            "email_id": .string(email.id.uuidString.lowercased()), "user_id": .string(email.userID.uuidString.lowercased()),
            "attempt": .stringConvertible(email.attempt),
        ]
        let attempt: DeliveryAttempt
        do {
            try await client.send(EmailMessage(from: from, to: email.to, subject: email.subject, body: email.body))
            attempt = .delivered(code: 250)
        } catch {
            let smtpError = error as? SMTPError ?? .connection(String(describing: error))
            var code: Int?
            if case .reply(let replyCode, _, _) = smtpError { code = replyCode }
            let retryAt = smtpError.isTransient ? retries.retryAt(afterAttempt: email.attempt, now: Date()) : nil
            attempt = .failed(code: code, error: smtpError.description, retryAt: retryAt)
        }
        let outcome = attempt.succeeded ? "sent" : attempt.retryAt == nil ? "failed" : "retry"
        Counter(label: "taskpilot_emails_sent_total", dimensions: [("outcome", outcome)]).increment()
        metadata["outcome"] = .string(outcome)
        if let error = attempt.error { metadata["error"] = .string(error) }
        if attempt.succeeded {
            logger.info("reminder email sent", metadata: metadata)
        } else {
            logger.warning("reminder email failed", metadata: metadata)
        }
        do {
            try await queue.recordEmailAttempt(email, attempt, now: Date())
        } catch {
            logger.error("recording an email attempt failed", metadata: metadata.merging(["store_error": .string(String(describing: error))]) { $1 })
        }
    }
}
