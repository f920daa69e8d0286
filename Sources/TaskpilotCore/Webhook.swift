public import Foundation

/// A user's webhook: an HTTPS (or HTTP) endpoint that receives signed events.
public struct Webhook: Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var url: String
    /// The event names it receives, e.g. `reminder.due`, `task.completed`.
    public var events: [String]
    /// Consecutive deliveries that failed after every retry; reset by a success.
    public var failures: Int
    public var disabledAt: Date?
    public var createdAt: Date

    /// A webhook value.
    public init(id: UUID, userID: UUID, url: String, events: [String], failures: Int, disabledAt: Date?, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.url = url
        self.events = events
        self.failures = failures
        self.disabledAt = disabledAt
        self.createdAt = createdAt
    }
}

/// What a webhook may subscribe to, and how its input is checked.
public enum WebhookRules {
    /// Every event name a webhook can receive.
    public static let eventNames = ["reminder.due", "task.created", "task.updated", "task.completed", "task.reopened", "task.deleted"]
    /// The events of a webhook created without `events`.
    public static let defaultEvents = ["reminder.due"]
    /// The longest accepted URL.
    public static let maxURLLength = 2048
    /// How many webhooks one user may have.
    public static let maxPerUser = 20

    /// The webhook event name of a CloudEvents type (`taskpilot.task.created` → `task.created`); nil for other types.
    public static func eventName(ofType type: String) -> String? {
        guard type.hasPrefix("taskpilot.") else { return nil }
        let name = String(type.dropFirst("taskpilot.".count))
        return eventNames.contains(name) ? name : nil
    }

    /// The URL, checked: http or https, with a host, at most ``maxURLLength`` characters.
    public static func url(_ raw: String) -> Result<String, FieldError> {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard text.codePointCount <= maxURLLength else { return .failure(FieldError("url", "must be at most \(maxURLLength) characters")) }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty
        else { return .failure(FieldError("url", "must be an http or https URL with a host, e.g. https://example.com/hooks/taskpilot")) }
        guard components.user == nil, components.password == nil else {
            return .failure(FieldError("url", "must not carry credentials; verify deliveries with the signature instead"))
        }
        if let problem = problem(of: text, components) { return .failure(FieldError("url", problem)) }
        return .success(text)
    }

    /// What makes an http(s) URL one that cannot be sent to: a port outside 1…65535, a space or control character, a
    /// broken percent escape. Nil when there is none. Deliveries check the stored URL again (one stored before these
    /// checks must fail, not stop the process).
    public static func problem(of text: String, _ components: URLComponents) -> String? {
        if let port = components.port, !(1...65535).contains(port) { return "has port \(port); a port is between 1 and 65535" }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters; percent-encode them (%20)"
        }
        if text.removingPercentEncoding == nil { return "has a broken percent escape; write % as %25" }
        return nil
    }

    /// The event list, checked: known names, at least one; duplicates are dropped and the order kept.
    public static func events(_ raw: [String]) -> Result<[String], FieldError> {
        let unknown = raw.filter { !eventNames.contains($0) }
        guard unknown.isEmpty else {
            return .failure(
                FieldError(
                    "events",
                    "has unknown event \(unknown.map { "'\($0)'" }.joined(separator: ", ")); use \(eventNames.joined(separator: ", "))"
                )
            )
        }
        guard !raw.isEmpty else { return .failure(FieldError("events", "must name at least one event")) }
        var seen: Set<String> = []
        return .success(raw.filter { seen.insert($0).inserted })
    }
}

/// A webhook delivery that is due: what to send and where.
public struct PendingWebhookDelivery: Sendable, Equatable {
    /// The delivery id, sent as `X-Taskpilot-Delivery` and kept across retries.
    public var id: UUID
    public var webhookID: UUID
    public var userID: UUID
    public var url: String
    public var secret: String
    /// The webhook event name, e.g. `task.created`.
    public var event: String
    /// The CloudEvent JSON, sent as the body.
    public var payload: String
    /// 1 for the first attempt.
    public var attempt: Int

    /// A pending delivery.
    public init(id: UUID, webhookID: UUID, userID: UUID, url: String, secret: String, event: String, payload: String, attempt: Int) {
        self.id = id
        self.webhookID = webhookID
        self.userID = userID
        self.url = url
        self.secret = secret
        self.event = event
        self.payload = payload
        self.attempt = attempt
    }
}

/// An email that is due to be sent.
public struct PendingEmail: Sendable, Equatable {
    public var id: UUID
    public var userID: UUID
    public var to: String
    public var subject: String
    public var body: String
    /// 1 for the first attempt.
    public var attempt: Int

    /// A pending email.
    public init(id: UUID, userID: UUID, to: String, subject: String, body: String, attempt: Int) {
        self.id = id
        self.userID = userID
        self.to = to
        self.subject = subject
        self.body = body
        self.attempt = attempt
    }
}

/// How one attempt to deliver something ended.
public struct DeliveryAttempt: Sendable, Equatable {
    /// Whether it was delivered.
    public var succeeded: Bool
    /// The HTTP status or SMTP reply code, when there was one.
    public var responseCode: Int?
    /// What went wrong, for the log and the delivery row.
    public var error: String?
    /// When to try again; nil means no more attempts.
    public var retryAt: Date?

    /// A delivery that succeeded.
    public static func delivered(code: Int?) -> DeliveryAttempt { DeliveryAttempt(succeeded: true, responseCode: code, error: nil, retryAt: nil) }

    /// A failed attempt, retried at `retryAt` unless nil.
    public static func failed(code: Int?, error: String, retryAt: Date?) -> DeliveryAttempt {
        DeliveryAttempt(succeeded: false, responseCode: code, error: error, retryAt: retryAt)
    }
}

/// When to retry: one delay per retry, then give up.
public struct RetrySchedule: Sendable, Equatable {
    /// The delay before retry 1, 2, …; its count is the number of retries.
    public var delays: [Duration]

    /// A schedule of delays.
    public init(delays: [Duration]) {
        self.delays = delays
    }

    /// Webhooks: 5 s, 30 s, 2 min, 10 min, 1 h, scaled by `base` (5 s by default).
    public static func webhooks(base: Duration = .seconds(5)) -> RetrySchedule {
        RetrySchedule(delays: [1, 6, 24, 120, 720].map { base * $0 })
    }

    /// Email: 10 s, 1 min, 5 min, scaled by `base` (5 s by default).
    public static func email(base: Duration = .seconds(5)) -> RetrySchedule {
        RetrySchedule(delays: [2, 12, 60].map { base * $0 })
    }

    /// The time of the next attempt after failed attempt number `attempt` (1-based), or nil when it was the last.
    public func retryAt(afterAttempt attempt: Int, now: Date) -> Date? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let delay = delays[attempt - 1].components
        return now.addingTimeInterval(Double(delay.seconds) + Double(delay.attoseconds) / 1e18)
    }
}

/// Webhooks as the API manages them; every method is scoped to one user.
public protocol WebhookRepository: Sendable {
    /// Stores a new webhook with its secret; throws a validation failure beyond ``WebhookRules/maxPerUser``.
    func create(userID: UUID, url: String, events: [String], secret: String, now: Date) async throws -> Webhook
    /// The user's webhooks, oldest first.
    func list(userID: UUID) async throws -> [Webhook]
    /// Deletes one of the user's webhooks and its deliveries.
    func delete(id: UUID, userID: UUID) async throws
    /// Re-enables one of the user's webhooks and resets its failure count.
    func enable(id: UUID, userID: UUID) async throws -> Webhook
}

/// The durable queue of webhook deliveries: filled by the event consumer, drained by the delivery service.
public protocol WebhookDeliveryStore: Sendable {
    /// Queues one delivery per enabled webhook of each event's user that wants it, once per webhook and event id;
    /// returns how many were new.
    func enqueueWebhookDeliveries(for events: [OutboxEvent], now: Date) async throws -> Int
    /// Claims due deliveries for `lease`, so no other replica sends them meanwhile.
    func claimDueWebhookDeliveries(now: Date, limit: Int, lease: Duration) async throws -> [PendingWebhookDelivery]
    /// Records an attempt; after `disableAfter` consecutive exhausted deliveries disables the webhook and notifies the user.
    /// Returns the notification when it did.
    func recordWebhookAttempt(
        _ delivery: PendingWebhookDelivery,
        _ attempt: DeliveryAttempt,
        disableAfter: Int,
        now: Date
    ) async throws
        -> AppNotification?
    /// Deletes deliveries that were delivered or gave up before `cutoff`; returns how many.
    func pruneWebhookDeliveries(finishedBefore cutoff: Date) async throws -> Int
}

/// The durable queue of reminder emails.
public protocol EmailQueue: Sendable {
    /// Queues the email of a `reminder.due` event to the task owner, once per event; false when it was queued before or
    /// the user is gone.
    func enqueueReminderEmail(for event: OutboxEvent, now: Date) async throws -> Bool
    /// Claims due emails for `lease`.
    func claimDueEmails(now: Date, limit: Int, lease: Duration) async throws -> [PendingEmail]
    /// Records an attempt.
    func recordEmailAttempt(_ email: PendingEmail, _ attempt: DeliveryAttempt, now: Date) async throws
    /// Deletes emails that were sent or gave up before `cutoff`; returns how many.
    func pruneEmails(finishedBefore cutoff: Date) async throws -> Int
}
