import FluentKit
public import Foundation
import SQLKit
public import TaskpilotCore

/// Webhooks and their delivery queue.
public struct SQLWebhookStore: WebhookRepository, WebhookDeliveryStore {
    private let store: TaskpilotDatabase
    private let signal: OutboxSignal?

    /// The webhook tables of the database; `signal` wakes the relay after a disabled webhook's notification is queued.
    public init(database: TaskpilotDatabase, signal: OutboxSignal? = nil) {
        self.store = database
        self.signal = signal
    }

    // MARK: - The API

    public func create(userID: UUID, url: String, events: [String], secret: String, now: Date) async throws -> Webhook {
        // As a read gives it back: to the stored millisecond.
        let webhook = Webhook(id: UUID(), userID: userID, url: url, events: events, failures: 0, disabledAt: nil, createdAt: now.storedPrecision)
        let lock: SQLQueryString = store.flavor == .postgres ? " FOR UPDATE" : ""
        try await store.transaction { sql in
            // Locking the user row makes the count and the insert one step for concurrent requests of that user.
            _ = try await sql.raw("SELECT id FROM users WHERE id = \(bind: userID.storageKey)" + lock).first()
            let count =
                try await sql.raw("SELECT COUNT(*) AS n FROM webhooks WHERE user_id = \(bind: userID.storageKey)").first()?.decode(
                    column: "n",
                    as: Int.self
                ) ?? 0
            guard count < WebhookRules.maxPerUser else {
                throw TaskpilotError.invalid(
                    "webhooks",
                    "are at most \(WebhookRules.maxPerUser) per account, and you have that many; delete one first"
                )
            }
            try await sql.raw(
                """
                INSERT INTO webhooks (id, user_id, url, secret, events, failures, created_at)
                VALUES (\(bind: webhook.id.storageKey), \(bind: userID.storageKey), \(bind: url), \(bind: secret),
                    \(bind: JSONValue.array(events.map(JSONValue.string)).jsonText), 0, \(bind: now.millisecondsSince1970))
                """
            ).run()
        }
        return webhook
    }

    public func list(userID: UUID) async throws -> [Webhook] {
        try await store.sql.raw("SELECT * FROM webhooks WHERE user_id = \(bind: userID.storageKey) ORDER BY created_at, id").all().map(
            Self.webhook(from:)
        )
    }

    public func delete(id: UUID, userID: UUID) async throws {
        let rows = try await store.sql.raw(
            "DELETE FROM webhooks WHERE id = \(bind: id.storageKey) AND user_id = \(bind: userID.storageKey) RETURNING id"
        ).all()
        guard !rows.isEmpty else { throw Self.notFound(id) }
    }

    public func enable(id: UUID, userID: UUID) async throws -> Webhook {
        guard
            let row = try await store.sql.raw(
                """
                UPDATE webhooks SET disabled_at = NULL, failures = 0 WHERE id = \(bind: id.storageKey) AND user_id = \(bind: userID.storageKey)
                RETURNING *
                """
            ).first()
        else { throw Self.notFound(id) }
        return try Self.webhook(from: row)
    }

    // MARK: - Deliveries

    public func enqueueWebhookDeliveries(for events: [OutboxEvent], now: Date) async throws -> Int {
        let wanted = events.compactMap { event -> (event: OutboxEvent, name: String, user: String)? in
            guard let name = WebhookRules.eventName(ofType: event.type),
                let user = event.data["user_id"]?.stringValue.flatMap(UUID.init(uuidString:))
            else { return nil }
            return (event, name, user.storageKey)
        }
        guard !wanted.isEmpty else { return 0 }
        // One look for the webhooks of every user in the batch; most users have none, and asking a read connection keeps
        // the look off the one writing connection.
        let users = JSONValue.array(Array(Set(wanted.map(\.user))).sorted().map(JSONValue.string)).jsonText
        let elements: SQLQueryString =
            store.flavor == .postgres ? "SELECT jsonb_array_elements_text(\(bind: users)::jsonb)" : "SELECT value FROM json_each(\(bind: users))"
        let rows = try await store.read { sql in
            try await sql.raw("SELECT id, user_id, events FROM webhooks WHERE user_id IN (" + elements + ") AND disabled_at IS NULL ORDER BY id")
                .all()
        }
        var targets: [String: [(id: String, events: [JSONValue])]] = [:]
        for row in rows {
            let events = JSONValue.parse(try row.decode(column: "events", as: String.self))?.arrayValue ?? []
            targets[try row.decode(column: "user_id", as: String.self), default: []].append((try row.decode(column: "id", as: String.self), events))
        }
        var queued = 0
        for (event, name, user) in wanted {
            for target in targets[user] ?? [] where target.events.contains(.string(name)) {
                let inserted = try await store.sql.raw(
                    """
                    INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, attempt, status, next_attempt_at, created_at)
                    VALUES (\(bind: UUID.timeOrdered().storageKey), \(bind: target.id), \(bind: event.id), \(bind: name), \(bind: event.envelope.jsonText), 0, 'pending',
                        \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
                    ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id
                    """
                ).all()
                queued += inserted.count
            }
        }
        return queued
    }

    public func claimDueWebhookDeliveries(now: Date, limit: Int, lease: Duration) async throws -> [PendingWebhookDelivery] {
        let ids = try await SQLDeliveryQueue.claim(
            table: "webhook_deliveries",
            join: "JOIN webhooks w ON w.id = d.webhook_id AND w.disabled_at IS NULL",
            now: now,
            limit: limit,
            lease: lease,
            on: store
        )
        guard !ids.isEmpty else { return [] }
        return try await store.sql.raw(
            """
            SELECT d.id, d.webhook_id, d.event_type, d.payload, d.attempt, w.user_id, w.url, w.secret
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN (\(binds: ids)) ORDER BY d.next_attempt_at, d.id
            """
        ).all().map { row in
            PendingWebhookDelivery(
                id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
                webhookID: UUID(uuidString: try row.decode(column: "webhook_id", as: String.self)) ?? UUID(),
                userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
                url: try row.decode(column: "url", as: String.self),
                secret: try row.decode(column: "secret", as: String.self),
                event: try row.decode(column: "event_type", as: String.self),
                payload: try row.decode(column: "payload", as: String.self),
                attempt: try row.decode(column: "attempt", as: Int.self)
            )
        }
    }

    public func pruneWebhookDeliveries(finishedBefore cutoff: Date) async throws -> Int {
        try await SQLDeliveryQueue.prune(table: "webhook_deliveries", finishedBefore: cutoff, on: store.sql)
    }

    public func recordWebhookAttempt(
        _ delivery: PendingWebhookDelivery,
        _ attempt: DeliveryAttempt,
        disableAfter: Int,
        now: Date
    ) async throws
        -> AppNotification?
    {
        let webhookID = delivery.webhookID.storageKey
        let notification: AppNotification? = try await store.transaction { sql in
            try await SQLDeliveryQueue.record(table: "webhook_deliveries", id: delivery.id.storageKey, attempt, now: now, on: sql)
            if attempt.succeeded {
                try await sql.raw("UPDATE webhooks SET failures = 0 WHERE id = \(bind: webhookID) AND failures <> 0").run()
                return nil
            }
            guard attempt.retryAt == nil else { return nil }
            // The delivery exhausted its retries: one more consecutive failure of the webhook.
            guard
                let row = try await sql.raw(
                    "UPDATE webhooks SET failures = failures + 1 WHERE id = \(bind: webhookID) AND disabled_at IS NULL RETURNING failures, url, user_id"
                ).first(),
                try row.decode(column: "failures", as: Int.self) >= disableAfter
            else { return nil }
            try await sql.raw("UPDATE webhooks SET disabled_at = \(bind: now.millisecondsSince1970) WHERE id = \(bind: webhookID)").run()
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET status = 'skipped', error = 'the webhook was disabled'
                WHERE webhook_id = \(bind: webhookID) AND status = 'pending'
                """
            ).run()
            let url = try row.decode(column: "url", as: String.self)
            let failures = try row.decode(column: "failures", as: Int.self)
            return try await SQLWorkflowStore.insertNotification(
                userID: delivery.userID,
                kind: "webhook.disabled",
                taskID: nil,
                title: "Webhook disabled",
                body: "Taskpilot stopped sending events to \(url) after \(failures) deliveries in a row failed (last error: "
                    + "\(attempt.error ?? "unknown")). Fix the endpoint, then enable the webhook again.",
                eventData: ["change": "notification", "webhook_id": .string(webhookID)],
                on: sql,
                now: now
            )
        }
        if notification != nil { signal?.notify() }
        return notification
    }

    // MARK: - Rows

    private static func notFound(_ id: UUID) -> TaskpilotError { .notFound("Webhook \(id.storageKey) was not found.") }

    private static func webhook(from row: any SQLRow) throws -> Webhook {
        let events = JSONValue.parse(try row.decode(column: "events", as: String.self))?.arrayValue?.compactMap(\.stringValue) ?? []
        return Webhook(
            id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
            userID: UUID(uuidString: try row.decode(column: "user_id", as: String.self)) ?? UUID(),
            url: try row.decode(column: "url", as: String.self),
            events: events,
            failures: try row.decode(column: "failures", as: Int.self),
            disabledAt: try row.decode(column: "disabled_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }
}
