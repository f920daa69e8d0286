import Foundation
public import TaskpilotCore

/// Handles one event; throwing asks for redelivery.
public typealias EventHandler = @Sendable (OutboxEvent) async throws -> Void
/// Handles events of one topic, in order, as a whole: throwing asks for redelivery of them all (handlers are
/// idempotent).
public typealias EventBatchHandler = @Sendable ([OutboxEvent]) async throws -> Void

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
    /// Registers a handler as `subscribe(topic:group:handler:)` does, called with as many events at once as the bus
    /// has at hand (one statement for a relay batch instead of one per event); a bus that delivers one event at a time
    /// calls it with one.
    func subscribe(topic: EventTopic, group: String, batchHandler: @escaping EventBatchHandler) async
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

    /// One event at a time.
    public func subscribe(topic: EventTopic, group: String, batchHandler: @escaping EventBatchHandler) async {
        await subscribe(topic: topic, group: group) { event in try await batchHandler([event]) }
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
    /// A subscriber's handler: one event at a time, or all of a batch's events of its topic at once.
    private enum Handler {
        case single(EventHandler)
        case batch(EventBatchHandler)

        /// Hands `events` over in order; `handled` counts those done before a failure.
        func handle(_ events: [OutboxEvent], handled: inout Int) async throws {
            switch self {
            case .single(let handle):
                for event in events {
                    try await handle(event)
                    handled += 1
                }
            case .batch(let handle):
                try await handle(events)
                handled = events.count
            }
        }
    }

    private var handlers: [EventTopic: [Handler]] = [:]

    /// An empty bus.
    public init() {}

    public func subscribe(topic: EventTopic, group: String, handler: @escaping EventHandler) async {
        handlers[topic, default: []].append(.single(handler))
    }

    // Declared `async` like the protocol extension's one-at-a-time version, so that a call on this type picks this one.
    public func subscribe(topic: EventTopic, group: String, batchHandler: @escaping EventBatchHandler) async {
        handlers[topic, default: []].append(.batch(batchHandler))
    }

    public func publish(_ event: OutboxEvent) async throws {
        var handled = 0
        for handler in handlers[event.topic] ?? [] {
            try await handler.handle([event], handled: &handled)
        }
    }

    /// Hands each handler its topic's events of the batch in order — a batch handler all at once, topics in the order
    /// they first appear — and every handler the whole batch even when one fails: what comes before the first event
    /// some handler failed on counts as published (every handler has it), the rest comes again (handlers are
    /// idempotent).
    public func publish(batch events: [OutboxEvent]) async throws -> Int {
        var published = events.count
        var failure: (any Error)?
        var topics: [EventTopic] = []
        for event in events where !topics.contains(event.topic) { topics.append(event.topic) }
        for topic in topics {
            guard let subscribers = handlers[topic] else { continue }
            let positions = events.indices.filter { events[$0].topic == topic }
            let mine = positions.map { events[$0] }
            for subscriber in subscribers {
                // How many of `mine` the subscriber handled before it failed.
                var handled = 0
                do {
                    try await subscriber.handle(mine, handled: &handled)
                } catch {
                    published = min(published, positions[handled])
                    failure = failure ?? error
                }
            }
        }
        if let failure { throw PartialPublish(published: published, underlying: failure) }
        return events.count
    }
}
