public import Foundation
import Synchronization

/// Where a change came from, recorded with events and audit entries.
public enum ChangeSource: String, Sendable, Codable {
    case api, assistant, mcp, system
}

/// What happened to a task.
public enum TaskEventKind: String, Sendable, Codable, CaseIterable {
    case created, updated, completed, reopened, deleted
}

/// The topics of DESIGN §5 (before any configured prefix).
public enum EventTopic: String, Sendable, CaseIterable {
    case taskEvents = "task-events"
    case reminders = "reminders"
    case taskUpdates = "task-updates"
}

/// An event waiting in the outbox or travelling on a bus: a CloudEvents 1.0 JSON envelope with its topic and key.
public struct OutboxEvent: Sendable, Equatable {
    /// The outbox row id (0 before it is stored).
    public var sequence: Int64
    public var topic: EventTopic
    /// The partition key: the task id, so events of one task stay in order.
    public var key: String
    /// The CloudEvents envelope.
    public var envelope: JSONValue

    /// An event.
    public init(sequence: Int64 = 0, topic: EventTopic, key: String, envelope: JSONValue) {
        self.sequence = sequence
        self.topic = topic
        self.key = key
        self.envelope = envelope
    }

    /// The CloudEvents id.
    public var id: String { envelope["id"]?.stringValue ?? "" }
    /// The CloudEvents type, e.g. `taskpilot.task.completed`.
    public var type: String { envelope["type"]?.stringValue ?? "" }
    /// The payload.
    public var data: JSONValue { envelope["data"] ?? .null }

    /// A CloudEvents 1.0 envelope.
    public static func cloudEvent(type: String, subject: String, time: Date, data: JSONValue) -> JSONValue {
        [
            "specversion": "1.0", "id": .string(UUID.timeOrdered().uuidString.lowercased()), "source": "/taskpilot", "type": .string(type),
            "subject": .string(subject), "time": .string(Timestamp.format(time)), "datacontenttype": "application/json", "data": data,
        ]
    }

    /// The events of a new task: it was created, and a recurring task created already completed was also completed, so
    /// that its series goes on (the recurring worker creates the next occurrence, as for any completion).
    public static func taskCreated(_ task: TaskItem, source: ChangeSource) -> [OutboxEvent] {
        let created = taskChange(.created, task: task, before: nil, source: source, now: task.updatedAt)
        guard task.status == .completed, task.recurrence != nil else { return created }
        return created + taskChange(.completed, task: task, before: nil, source: source, now: task.updatedAt)
    }

    /// The two events of a task change: `task-events` for workers and audit, `task-updates` for live updates.
    public static func taskChange(
        _ kind: TaskEventKind,
        task: TaskItem,
        before: TaskItem?,
        source: ChangeSource,
        now: Date
    ) -> [OutboxEvent] {
        let taskJSON = task.apiJSON(now: now, timeZone: TimeZone(identifier: "UTC")!)
        var data: [String: JSONValue] = [
            "event_type": .string(kind.rawValue), "task_id": .number(Double(task.id)), "task_data": taskJSON,
            "user_id": .string(task.userID.uuidString.lowercased()), "timestamp": .string(Timestamp.format(now)), "source": .string(source.rawValue),
        ]
        if let before { data["previous"] = before.apiJSON(now: now, timeZone: TimeZone(identifier: "UTC")!) }
        let key = String(task.id)
        let taskEvent = OutboxEvent(
            topic: .taskEvents,
            key: key,
            envelope: cloudEvent(type: "taskpilot.task.\(kind.rawValue)", subject: "task/\(task.id)", time: now, data: .object(data))
        )
        let update = OutboxEvent(
            topic: .taskUpdates,
            key: key,
            envelope: cloudEvent(
                type: "taskpilot.task.changed",
                subject: "task/\(task.id)",
                time: now,
                data: [
                    "task_id": .number(Double(task.id)), "user_id": .string(task.userID.uuidString.lowercased()), "change": .string(kind.rawValue),
                    "task": taskJSON,
                ]
            )
        )
        return [taskEvent, update]
    }
}

/// Storage of the transactional outbox, read by the relay.
public protocol OutboxStore: Sendable {
    /// The oldest unpublished events, in order; on PostgreSQL rows locked by another relay are skipped.
    func claimUnpublished(limit: Int, publish: @escaping @Sendable ([OutboxEvent]) async throws -> Int) async throws -> Int
    /// How many events wait to be published.
    func depth() async throws -> Int
    /// Forgets published events older than the cutoff.
    func prune(publishedBefore cutoff: Date) async throws -> Int
    /// Marks events published since `cutoff` as unpublished again, so the relay sends them once more in order (after
    /// a broker lost them; consumers drop the ones they already handled). Returns how many.
    func replay(publishedSince cutoff: Date) async throws -> Int
}

/// The shared record of each bus's log generation. When a broker comes back without its log, the first process to
/// notice advances the epoch (and replays the outbox); every process that sees the epoch change rewinds its consumers.
public protocol BusEpochStore: Sendable {
    /// The current epoch of `bus`, if one was recorded.
    func epoch(of bus: String) async throws -> String?
    /// Sets the epoch of `bus` to `new` if it still is `expected` (nil: none recorded yet); true when this call did.
    func advanceEpoch(of bus: String, from expected: String?, to new: String) async throws -> Bool
}

/// Publishing stopped after some events of a batch: those are done, the error says why the rest are not.
public struct PartialPublish: Error {
    /// How many events, from the start of the batch, were published.
    public let published: Int
    /// Why the next one failed.
    public let underlying: any Error

    /// A partial publish.
    public init(published: Int, underlying: any Error) {
        self.published = published
        self.underlying = underlying
    }
}

/// Wakes the outbox relay as soon as a transaction that wrote events commits (polling covers other processes).
public final class OutboxSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// A signal.
    public init() {}

    /// Something was written to the outbox.
    public func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after the next notification (at once if one is pending), or after `timeout`.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextNotification() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func nextNotification() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    // The cancellation handler may already have run: then nobody would resume a stored waiter.
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
