import CRdkafka
import Foundation
import Logging
import Synchronization

/// A failure reported by librdkafka, with its error name (e.g. `_MSG_TIMED_OUT`) and text.
public struct KafkaError: Error, CustomStringConvertible {
    /// What librdkafka said.
    public let description: String

    init(_ description: String) { self.description = description }

    init(code: rd_kafka_resp_err_t, context: String) {
        let name = rd_kafka_err2name(code).map { String(cString: $0) } ?? "\(code.rawValue)"
        let text = rd_kafka_err2str(code).map { String(cString: $0) } ?? ""
        description = "\(context): \(name) (\(text))"
    }
}

/// The settings every client of this process shares.
public struct KafkaConfiguration: Sendable {
    /// `host:port[,host:port…]`.
    public var brokers: String
    /// Put in front of every topic name.
    public var topicPrefix: String
    /// Names this process to the brokers (shows in broker logs and group listings).
    public var clientID: String
    /// Partitions of the topics this process creates when they do not exist.
    public var partitions: Int32
    /// How long a publish may wait for the broker before it fails and the outbox retries it.
    public var deliveryTimeout: Duration

    /// Settings for the given brokers.
    public init(
        brokers: String,
        topicPrefix: String = "",
        clientID: String = "taskpilot",
        partitions: Int32 = 3,
        deliveryTimeout: Duration = .seconds(10)
    ) {
        self.brokers = brokers
        self.topicPrefix = topicPrefix
        self.clientID = clientID
        self.partitions = partitions
        self.deliveryTimeout = deliveryTimeout
    }

    /// Settings common to producers and consumers: quick reconnects, so an outage ends as soon as the broker is back.
    var common: [String: String] {
        [
            "bootstrap.servers": brokers, "client.id": clientID, "reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "1000",
            "topic.metadata.refresh.interval.ms": "10000", "log.connection.close": "false",
        ]
    }
}

/// librdkafka's own log lines (connection refused every second during an outage, …) go to debug level: Taskpilot
/// logs what they mean for events — publishing failed and is retried, a consumer cannot reach the broker.
let librdkafkaLogger = Logger(label: "taskpilot.librdkafka")

/// A librdkafka configuration object filled from a dictionary; a bad key or value names itself.
func makeConfiguration(_ values: [String: String]) throws -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    rd_kafka_conf_set_log_cb(conf) { _, level, facility, text in
        let line = "\(facility.map { String(cString: $0) } ?? ""): \(text.map { String(cString: $0) } ?? "")"
        librdkafkaLogger.log(level: level <= 2 ? .error : .debug, "\(line)")
    }
    var message = [CChar](repeating: 0, count: 512)
    for (key, value) in values.sorted(by: { $0.key < $1.key }) where rd_kafka_conf_set(conf, key, value, &message, message.count) != RD_KAFKA_CONF_OK
    {
        rd_kafka_conf_destroy(conf)
        throw KafkaError("librdkafka rejected \(key)=\(value): \(text(of: message))")
    }
    return conf
}

/// Creates a client; librdkafka takes the configuration over when it succeeds.
func makeClient(_ type: rd_kafka_type_t, configuration conf: OpaquePointer) throws -> OpaquePointer {
    var message = [CChar](repeating: 0, count: 512)
    guard let client = rd_kafka_new(type, conf, &message, message.count) else {
        rd_kafka_conf_destroy(conf)
        throw KafkaError("could not create a Kafka client: \(text(of: message))")
    }
    return client
}

/// The text in a NUL-terminated C buffer.
func text(of buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A value filled in once, later, by a librdkafka callback; awaited by the producer, by any number of tasks at once
/// (publishing and the epoch check both wait for the topics while the broker is down: with room for one waiter, the
/// second replaced the first, whose task then waited for ever).
final class Promise<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value, Never>])
        case done(Value)
    }

    private let state = Mutex(State.waiting([]))

    /// Sets the value and wakes every waiter; later calls are ignored.
    func fulfil(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(value)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, if it is there already.
    var current: Value? {
        state.withLock { state in
            if case .done(let value) = state { return value }
            return nil
        }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Value? in
                    switch state {
                    case .done(let value):
                        return value
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

/// A thread of its own for librdkafka's blocking calls, so they never hold one of the few cooperative threads.
final class BlockingLoop: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread; it should return soon after `isRunning` turns false.
    init(name: String, body: @escaping @Sendable (BlockingLoop) -> Void) {
        let thread = Thread { [finished] in
            body(self)
            finished.signal()
        }
        thread.name = name
        // `self` is fully initialised here: the thread may start.
        thread.start()
    }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Asks the loop to end and waits (off the cooperative pool) until it has.
    func stop() async {
        running.store(false, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.finished.wait()
                continuation.resume()
            }
        }
    }

    /// Sleeps up to `duration` in short steps, returning early when the loop is stopping.
    func sleep(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while isRunning && ContinuousClock.now < end { Thread.sleep(forTimeInterval: 0.02) }
    }
}
