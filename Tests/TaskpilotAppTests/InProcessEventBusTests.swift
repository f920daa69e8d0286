import Foundation
import Synchronization
import TaskpilotCore
import TaskpilotEvents
import Testing

@Suite("In-process bus: batches handed to handlers")
struct InProcessEventBusTests {
    struct Refused: Error {}

    /// What the handlers saw, in the order they saw it.
    final class Seen: Sendable {
        private let calls = Mutex<[String]>([])
        func add(_ call: String) { calls.withLock { $0.append(call) } }
        var all: [String] { calls.withLock { $0 } }
    }

    func event(_ topic: EventTopic, _ key: String) -> OutboxEvent {
        let type = topic == .reminders ? "taskpilot.reminder.due" : topic == .taskUpdates ? "taskpilot.task.changed" : "taskpilot.task.created"
        return OutboxEvent(topic: topic, key: key, envelope: OutboxEvent.cloudEvent(type: type, subject: key, time: Date(), data: [:]))
    }

    @Test("each handler gets its topic's events in order, a batch handler all at once")
    func delivery() async throws {
        // On the bus's own type; `partial` goes through the protocol, as the workers do.
        let bus = InProcessEventBus()
        let seen = Seen()
        await bus.subscribe(topic: .taskEvents, group: "one") { event in seen.add("one \(event.key)") }
        await bus.subscribe(
            topic: .taskEvents,
            group: "many",
            batchHandler: { events in seen.add("many " + events.map(\.key).joined(separator: ",")) }
        )
        await bus.subscribe(
            topic: .reminders,
            group: "reminders",
            batchHandler: { events in seen.add("reminders " + events.map(\.key).joined(separator: ",")) }
        )
        let batch = [event(.taskEvents, "a"), event(.reminders, "r"), event(.taskEvents, "b"), event(.taskUpdates, "u")]
        #expect(try await bus.publish(batch: batch) == 4)
        #expect(seen.all == ["one a", "one b", "many a,b", "reminders r"])
        // One event through `publish`: a batch handler sees a batch of one.
        try await bus.publish(event(.taskEvents, "c"))
        #expect(seen.all.suffix(2) == ["one c", "many c"])
    }

    @Test("a failing handler: what every handler has comes before the first event one failed on; every handler still runs")
    func partial() async throws {
        let bus: any EventBus = InProcessEventBus()
        let seen = Seen()
        await bus.subscribe(topic: .taskEvents, group: "one") { event in
            if event.key == "c" { throw Refused() }
            seen.add("one \(event.key)")
        }
        await bus.subscribe(
            topic: .reminders,
            group: "many",
            batchHandler: { events in
                if events.contains(where: { $0.key == "r2" }) { throw Refused() }
                seen.add("many " + events.map(\.key).joined(separator: ","))
            }
        )
        await bus.subscribe(topic: .taskEvents, group: "last") { event in seen.add("last \(event.key)") }
        // "one" fails on c (position 4); the reminders' batch handler fails on its batch (first at position 1).
        let batch = [event(.taskEvents, "a"), event(.reminders, "r1"), event(.taskEvents, "b"), event(.reminders, "r2"), event(.taskEvents, "c")]
        await #expect {
            try await bus.publish(batch: batch)
        } throws: { error in
            (error as? PartialPublish)?.published == 1 && (error as? PartialPublish)?.underlying is Refused
        }
        #expect(seen.all == ["one a", "one b", "last a", "last b", "last c"])
        // Without the reminders, the first failure is "one" on c.
        await #expect {
            try await bus.publish(batch: batch.filter { $0.topic == .taskEvents })
        } throws: { error in
            (error as? PartialPublish)?.published == 2
        }
    }
}
