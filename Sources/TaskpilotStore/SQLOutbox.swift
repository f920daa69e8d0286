import FluentKit
public import Foundation
import Logging
import SQLKit
public import TaskpilotCore

/// Writes events in the caller's transaction and hands them to the relay.
enum OutboxWriter {
    /// Appends events to the outbox on the transaction's connection.
    static func append(_ events: [OutboxEvent], on sql: any SQLDatabase, now: Date) async throws {
        for insert in inserts(events, now: now) {
            try await sql.raw(insert).run()
        }
    }

    /// The INSERTs of `events`, in chunks that keep each statement well under the bind-parameter limits of both
    /// dialects.
    static func inserts(_ events: [OutboxEvent], now: Date) -> [SQLQueryString] {
        stride(from: 0, to: events.count, by: 500).map { start in
            let values: [SQLQueryString] = events[start..<min(start + 500, events.count)].map {
                "(\(bind: $0.topic.rawValue), \(bind: $0.key), \(bind: $0.envelope.jsonText), \(bind: now.millisecondsSince1970))"
            }
            return "INSERT INTO outbox (topic, event_key, event, created_at) VALUES " + values.joined(separator: ", ")
        }
    }
}

/// The outbox as the relay reads it, and the bus epochs.
public struct SQLOutboxStore: OutboxStore, BusEpochStore {
    private let store: TaskpilotDatabase

    /// The outbox of the database.
    public init(database: TaskpilotDatabase) { store = database }

    public func claimUnpublished(limit: Int, publish: @escaping @Sendable ([OutboxEvent]) async throws -> Int) async throws -> Int {
        let outcome: RelayOutcome
        if store.flavor == .postgres {
            // One relay at a time across replicas (an advisory lock held by the transaction), so events keep their order.
            outcome = try await store.transaction { sql in
                let locked = try await sql.raw("SELECT pg_try_advisory_xact_lock(7140001) AS locked").first()?.decode(column: "locked", as: Bool.self)
                guard locked == true else { return RelayOutcome(published: 0, failure: nil) }
                return try await relay(on: sql, limit: limit, publish: publish)
            }
        } else {
            // SQLite has one writer and one process: no lock is needed, and holding its only connection while
            // in-process handlers write would stall them.
            outcome = try await relay(on: store.sql, limit: limit, publish: publish)
        }
        // The marks are committed before a failure is reported, so nothing published is published again.
        if let failure = outcome.failure { throw failure }
        return outcome.published
    }

    /// The topics the relay publishes.
    private static let topics = EventTopic.allCases.map(\.rawValue)
    private static let logger = Logger(label: "taskpilot.outbox")

    private struct RelayOutcome: Sendable {
        let published: Int
        let failure: (any Error)?
    }

    private func relay(on sql: any SQLDatabase, limit: Int, publish: @Sendable ([OutboxEvent]) async throws -> Int) async throws -> RelayOutcome {
        // Only the topics this version knows: an event of a newer one (a replica of the next version writing it during
        // a rolling upgrade) waits for a relay that knows it, without holding up the others.
        let rows = try await sql.raw(
            "SELECT id, topic, event_key, event FROM outbox WHERE published_at IS NULL AND topic IN (\(binds: Self.topics)) "
                + "ORDER BY id LIMIT \(bind: limit)"
        ).all()
        var events: [OutboxEvent] = []
        var unreadable: [Int64] = []
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            guard let topic = EventTopic(rawValue: try row.decode(column: "topic", as: String.self)),
                let envelope = JSONValue.parse(try row.decode(column: "event", as: String.self)), envelope.objectValue != nil
            else {
                unreadable.append(id)
                continue
            }
            events.append(OutboxEvent(sequence: id, topic: topic, key: try row.decode(column: "event_key", as: String.self), envelope: envelope))
        }
        if !unreadable.isEmpty {
            // A row that is not a JSON event (written by hand, or damaged) can never be published: left unpublished it would
            // be read again at every turn, and a relay's worth of them would stop the outbox for good.
            Self.logger.error(
                "outbox rows that are not a JSON event were skipped; they stay in the outbox, marked published",
                metadata: ["ids": .string(unreadable.map(String.init).joined(separator: ","))]
            )
            try await mark(unreadable, on: sql)
        }
        guard !events.isEmpty else { return RelayOutcome(published: 0, failure: nil) }
        // Publish in order; what was published before a failure is marked, the rest waits for the next attempt.
        do {
            let published = try await publish(events)
            try await mark(events.prefix(published).map(\.sequence), on: sql)
            return RelayOutcome(published: published, failure: nil)
        } catch let failure as PartialPublish {
            try await mark(events.prefix(failure.published).map(\.sequence), on: sql)
            return RelayOutcome(published: failure.published, failure: failure.underlying)
        } catch {
            return RelayOutcome(published: 0, failure: error)
        }
    }

    private func mark(_ ids: [Int64], on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        let now = Date().millisecondsSince1970
        // On PostgreSQL one text for any number of ids, prepared once (a named write).
        try await sql.raw(
            store.flavor == .postgres
                ? "\(unsafeRaw: NamedStatements.write)UPDATE outbox SET published_at = \(bind: now) WHERE id = ANY(\(bind: ids))"
                : "UPDATE outbox SET published_at = \(bind: now) WHERE id IN (\(binds: ids))"
        ).run()
    }

    public func depth() async throws -> Int {
        try await store.sql.raw("SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public func prune(publishedBefore cutoff: Date) async throws -> Int {
        try await store.sql.raw(
            "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < \(bind: cutoff.millisecondsSince1970) RETURNING id"
        ).all().count
    }

    public func replay(publishedSince cutoff: Date) async throws -> Int {
        try await store.sql.raw(
            "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL AND published_at >= \(bind: cutoff.millisecondsSince1970) RETURNING id"
        ).all().count
    }

    public func epoch(of bus: String) async throws -> String? {
        try await ReadableDatabaseError.describing {
            try await store.sql.raw("SELECT epoch FROM bus_epochs WHERE bus = \(bind: bus)").first()?.decode(column: "epoch", as: String.self)
        }
    }

    public func advanceEpoch(of bus: String, from expected: String?, to new: String) async throws -> Bool {
        let now = Date().millisecondsSince1970
        let changed: SQLQueryString =
            if let expected {
                "UPDATE bus_epochs SET epoch = \(bind: new), changed_at = \(bind: now) WHERE bus = \(bind: bus) AND epoch = \(bind: expected) RETURNING bus"
            } else {
                "INSERT INTO bus_epochs (bus, epoch, changed_at) VALUES (\(bind: bus), \(bind: new), \(bind: now)) ON CONFLICT (bus) DO NOTHING RETURNING bus"
            }
        return try await ReadableDatabaseError.describing { try await !store.sql.raw(changed).all().isEmpty }
    }
}
