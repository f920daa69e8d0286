import Foundation
public import TaskpilotCore

/// Handles one event; throwing asks for redelivery.
public typealias EventHandler = @Sendable (OutboxEvent) async throws -> Void

/// Carries events from the outbox relay to the workers and the realtime fan-out.
public protocol EventBus: Sendable {
    /// Delivers one event; returns once the bus has accepted it (in-process: once every handler has run).
    func publish(_ event: OutboxEvent) async throws
    /// Delivers events in order; returns how many, from the start, the bus accepted, throwing `PartialPublish` when
    /// it stopped before the end.
    func publish(batch events: [OutboxEvent]) async throws -> Int
    /// Registers a handler of a topic for a consumer group: replicas in one group share the work, and every event
    /// reaches each group until one of its handlers succeeds.
    func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) async
    /// Registers a handler that sees every event published from now on in this process (realtime fan-out: each
    /// replica pushes to its own WebSocket sessions).
    func subscribeLive(topic: EventTopic, handler: @escaping EventHandler) async
}

extension EventBus {
    /// One event after the other.
    public func publish(batch events: [OutboxEvent]) async throws -> Int {
        for (index, event) in events.enumerated() {
            do {
                try await publish(event)
            } catch {
                throw PartialPublish(published: index, underlying: error)
            }
        }
        return events.count
    }

    public func subscribeLive(topic: EventTopic, handler: @escaping EventHandler) async {
        await subscribe(topic: topic, group: "taskpilot-live-\(UUID().uuidString.lowercased())", handler: handler)
    }
}

extension EventTopic {
    /// The topic name on the bus, with the configured prefix.
    public func name(prefix: String) -> String { prefix + rawValue }

    /// Whether a CloudEvent of this type belongs on this topic (anything else is dropped, never handled).
    public func carries(type: String) -> Bool {
        switch self {
        case .taskEvents: type.hasPrefix("taskpilot.task.") && type != "taskpilot.task.changed"
        case .reminders: type.hasPrefix("taskpilot.reminder.")
        case .taskUpdates: type == "taskpilot.task.changed" || type.hasPrefix("taskpilot.notification.")
        }
    }

    /// The topic of a name on the bus, or nil when it is not one of ours.
    public init?(name: String, prefix: String) {
        guard name.hasPrefix(prefix) else { return nil }
        self.init(rawValue: String(name.dropFirst(prefix.count)))
    }
}

/// The embedded default: events are handed to the handlers of this process. Durability comes from the outbox: an
/// event is marked published only after every handler succeeded, so a crash or a failing handler means redelivery
/// (handlers are idempotent).
public actor InProcessEventBus: EventBus {
    private var handlers: [EventTopic: [(group: String, handler: EventHandler)]] = [:]

    /// An empty bus.
    public init() {}

    public func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) {
        handlers[topic, default: []].append((group, handler))
    }

    public func publish(_ event: OutboxEvent) async throws {
        for subscriber in handlers[event.topic] ?? [] {
            try await subscriber.handler(event)
        }
    }
}
