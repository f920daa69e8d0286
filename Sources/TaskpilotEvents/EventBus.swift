public import TaskpilotCore

/// Handles one event; throwing asks for redelivery.
public typealias EventHandler = @Sendable (OutboxEvent) async throws -> Void

/// Carries events from the outbox relay to the workers and the realtime fan-out.
public protocol EventBus: Sendable {
    /// Delivers one event; returns once the bus has accepted it (in-process: once every handler has run).
    func publish(_ event: OutboxEvent) async throws
    /// Registers a handler of a topic for a consumer group.
    func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) async
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
