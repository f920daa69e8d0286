import Foundation
import SQLKit
import TaskpilotCore

/// What the two outgoing queues (`webhook_deliveries`, `email_deliveries`) share: claiming due rows under a lease and
/// recording an attempt.
enum SQLDeliveryQueue {
    /// Claims up to `limit` due rows of `table` and returns their ids: one UPDATE moves their next attempt past the lease
    /// and counts the attempt, so a replica that crashes mid-send only delays them; on PostgreSQL rows another replica
    /// is claiming are skipped. `join` narrows the candidates (e.g. to enabled webhooks).
    static func claim(table: String, join: String = "", now: Date, limit: Int, lease: Duration, on store: TaskpilotDatabase) async throws -> [String]
    {
        let lock = store.flavor == .postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""
        let nowMS = now.millisecondsSince1970
        let leaseMS = lease.milliseconds
        return try await store.sql.raw(
            """
            UPDATE \(unsafeRaw: table) SET attempt = attempt + 1, next_attempt_at = \(bind: nowMS + leaseMS)
            WHERE id IN (SELECT d.id FROM \(unsafeRaw: table) d \(unsafeRaw: join) WHERE d.status = 'pending' AND d.next_attempt_at <= \(bind: nowMS)
                ORDER BY d.next_attempt_at LIMIT \(bind: limit)\(unsafeRaw: lock)) RETURNING id
            """
        ).all().map { try $0.decode(column: "id", as: String.self) }
    }

    /// Deletes the rows of `table` that were delivered or failed for good before `cutoff` (by when they were queued:
    /// every row finishes within its retry schedule, hours at most). Returns how many.
    static func prune(table: String, finishedBefore cutoff: Date, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw(
            "DELETE FROM \(unsafeRaw: table) WHERE status IN ('delivered', 'failed') AND created_at < \(bind: cutoff.millisecondsSince1970) RETURNING id"
        ).all().count
    }

    /// Records an attempt of row `id`: delivered, pending again at its retry time, or failed for good.
    static func record(table: String, id: String, _ attempt: DeliveryAttempt, now: Date, on sql: any SQLDatabase) async throws {
        let status = attempt.succeeded ? "delivered" : attempt.retryAt == nil ? "failed" : "pending"
        let deliveredAt = attempt.succeeded ? now.millisecondsSince1970 : nil
        let next = (attempt.retryAt ?? now).millisecondsSince1970
        try await sql.raw(
            """
            UPDATE \(unsafeRaw: table) SET status = \(bind: status), response_code = \(bind: attempt.responseCode),
                error = \(bind: attempt.error.map { String($0.prefix(500)) }), delivered_at = \(bind: deliveredAt), next_attempt_at = \(bind: next)
            WHERE id = \(bind: id)
            """
        ).run()
    }
}
