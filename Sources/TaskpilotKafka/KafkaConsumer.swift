import CRdkafka
import Foundation
import Logging
import Metrics
import Synchronization
import TaskpilotCore
import TaskpilotEvents

/// One member of a consumer group reading one topic on a thread of its own. An offset is committed only after the
/// handler succeeded: a crash, a kill or a rebalance mid-event means redelivery, never loss (handlers are idempotent).
final class KafkaConsumer: Sendable {
    private let loop: BlockingLoop
    /// Referenced by librdkafka's callbacks for as long as the consumer lives.
    private let positions: StartPositions
    /// Set when the consumer is dropped without leaving its group.
    private let abandoned = AtomicFlag()

    /// Joins `group` and starts handling `topic`; `live` consumers never commit. With `newLog`, the broker has just
    /// started a new log: every assignment of the next minute starts from its beginning.
    init(
        configuration: KafkaConfiguration,
        topic: EventTopic,
        group: String,
        live: Bool,
        newLog: Bool = false,
        handler: @escaping EventHandler,
        logger: Logger
    ) throws {
        var values = configuration.common
        values["group.id"] = configuration.topicPrefix + group
        values["enable.auto.commit"] = "false"
        values["auto.offset.reset"] = live ? "latest" : "earliest"
        // Kafka's smallest default (group.min.session.timeout.ms): a member that died gives its partitions up after
        // 6 s; heartbeats come from librdkafka's own thread every second, so a busy process does not miss them.
        values["session.timeout.ms"] = "6000"
        values["heartbeat.interval.ms"] = "1000"
        values["max.poll.interval.ms"] = "60000"
        values["enable.partition.eof"] = "false"
        // Librdkafka's default lets a fetch wait up to 500 ms for more data; events should move at once.
        values["fetch.wait.max.ms"] = "20"
        let conf = try makeConfiguration(values)
        let positions = StartPositions(live: live)
        if newLog { positions.forget(window: .seconds(60)) }
        self.positions = positions
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(positions).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { client, error, partitions, opaque in
            guard let client else { return }
            // Eager protocol (range assignor): take the whole new assignment, or give everything back.
            if error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                if let opaque, let partitions {
                    Unmanaged<StartPositions>.fromOpaque(opaque).takeUnretainedValue().position(client: client, partitions)
                }
                rd_kafka_assign(client, partitions)
            } else {
                rd_kafka_assign(client, nil)
            }
            KafkaConsumer.logRebalance(assigned: error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, partitions: partitions)
        }
        let client = UncheckedClient(pointer: try makeClient(RD_KAFKA_CONSUMER, configuration: conf))
        rd_kafka_poll_set_consumer(client.pointer)
        let name = topic.name(prefix: configuration.topicPrefix)
        let list = rd_kafka_topic_partition_list_new(1)
        rd_kafka_topic_partition_list_add(list, name, KafkaProducer.anyPartition)
        let subscribed = rd_kafka_subscribe(client.pointer, list)
        rd_kafka_topic_partition_list_destroy(list)
        guard subscribed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_destroy(client.pointer)
            throw KafkaError(code: subscribed, context: "could not subscribe to \(name)")
        }
        var logger = logger
        logger[metadataKey: "topic"] = .string(name)
        logger[metadataKey: "group"] = .string(group)
        let consumerLogger = logger
        let abandoned = abandoned
        loop = BlockingLoop(name: "kafka-\(group)") { loop in
            KafkaConsumer.consume(
                client: client.pointer,
                topic: topic,
                group: group,
                live: live,
                positions: positions,
                handler: handler,
                loop: loop,
                logger: consumerLogger
            )
            if abandoned.isSet {
                // The broker lost its log and with it this member's group: leaving could wait on it forever.
                rd_kafka_destroy_flags(client.pointer, KafkaConsumer.skipConsumerClose)
            } else {
                // Leaves the group cleanly so the partitions move to the other members at once.
                rd_kafka_consumer_close(client.pointer)
                rd_kafka_destroy(client.pointer)
            }
            consumerLogger.debug("consumer closed")
        }
    }

    /// Stops after the event in hand (its offset is committed only if it was handled) and leaves the group.
    func stop() async { await loop.stop() }

    /// Stops without leaving the group (its coordinator forgot it), in the background.
    func abandon() {
        abandoned.set()
        Task { await loop.stop() }
    }

    private static func consume(
        client: OpaquePointer,
        topic: EventTopic,
        group: String,
        live: Bool,
        positions: StartPositions,
        handler: @escaping EventHandler,
        loop: BlockingLoop,
        logger: Logger
    ) {
        // The label is the group (docs/metrics.md): summed over processes, the lag of the group.
        let consumer = group
        let consumed = Counter(label: "taskpilot_events_received_total", dimensions: [("topic", topic.rawValue), ("consumer", consumer)])
        let lagGauge = Gauge(label: "taskpilot_consumer_lag", dimensions: [("topic", topic.rawValue), ("consumer", consumer)])
        var lag: [Int32: Int64] = [:]
        var lastWarning = ContinuousClock.now - .seconds(60)
        while loop.isRunning {
            guard let message = rd_kafka_consumer_poll(client, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                // Transport errors are retried by librdkafka itself; say so once in a while, not per poll.
                if ContinuousClock.now - lastWarning > .seconds(10) {
                    lastWarning = .now
                    logger.warning(
                        "Kafka consumer error; librdkafka keeps retrying",
                        metadata: ["error": "\(KafkaError(code: error, context: "consume"))"]
                    )
                }
                continue
            }
            consumed.increment()
            let partition = message.pointee.partition
            positions.consumed(partition: partition, offset: message.pointee.offset)
            var low: Int64 = 0
            var high: Int64 = 0
            if rd_kafka_get_watermark_offsets(client, rd_kafka_topic_name(message.pointee.rkt), partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            {
                lag[partition] = max(0, high - message.pointee.offset - 1)
                lagGauge.record(lag.values.reduce(0, +))
            }
            guard let event = Self.event(in: message.pointee, topic: topic) else {
                logger.error(
                    "dropping a message that is not a Taskpilot CloudEvent",
                    metadata: ["offset": "\(message.pointee.offset)", "partition": "\(partition)"]
                )
                if !live { rd_kafka_commit_message(client, message, 1) }
                continue
            }
            var attempt = 0
            while loop.isRunning {
                if let failure = Self.handle(event, with: handler) {
                    attempt += 1
                    let wait = Duration.milliseconds(min(5000, 100 << min(attempt, 6)))
                    logger.warning(
                        "handling an event failed; retrying",
                        metadata: ["event_id": .string(event.id), "attempt": "\(attempt)", "error": "\(failure)"]
                    )
                    loop.sleep(wait)
                    continue
                }
                // Asynchronous commit after handling: a crash before it lands only means a repeat, which is dropped.
                if !live { rd_kafka_commit_message(client, message, 1) }
                break
            }
        }
    }

    /// Runs the async handler from this thread and waits for it; returns the failure, if any.
    private static func handle(_ event: OutboxEvent, with handler: @escaping EventHandler) -> (any Error)? {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<(any Error)?>(nil)
        Task {
            do { try await handler(event) } catch { outcome.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0 }
    }

    private static func event(in message: rd_kafka_message_t, topic: EventTopic) -> OutboxEvent? {
        guard let payload = message.payload else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(start: payload, count: message.len), as: UTF8.self)
        guard let envelope = JSONValue.parse(text), envelope["id"]?.stringValue?.isEmpty == false, let type = envelope["type"]?.stringValue,
            topic.carries(type: type)
        else { return nil }
        var key = ""
        if let keyBytes = message.key { key = String(decoding: UnsafeRawBufferPointer(start: keyBytes, count: message.key_len), as: UTF8.self) }
        return OutboxEvent(topic: topic, key: key, envelope: envelope)
    }

    private static func logRebalance(assigned: Bool, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        var names: [String] = []
        if let partitions {
            for index in 0..<Int(partitions.pointee.cnt) {
                let element = partitions.pointee.elems[index]
                names.append("\(String(cString: element.topic))[\(element.partition)]")
            }
        }
        Logger(label: "taskpilot.kafka").info(
            assigned ? "partitions assigned" : "partitions revoked",
            metadata: ["partitions": .array(names.map { .string($0) })]
        )
    }
}

/// Where a consumer starts reading the partitions it is given. Durable consumers start from their committed offsets,
/// except for a while after the broker lost its log: then committed offsets may belong to the old log, so every
/// assignment starts from the beginning (handlers drop repeats). A live consumer (one member, no commits) starts after
/// the last message it read, or — the first time — at the first message published since the process started, so
/// nothing published while the group was forming is missed.
final class StartPositions: Sendable {
    private let live: Bool
    private let started = Mutex(Int64(Date().timeIntervalSince1970 * 1000))
    private let next = Mutex([Int32: Int64]())
    private let rewindUntil = Mutex<ContinuousClock.Instant?>(nil)

    init(live: Bool) { self.live = live }

    /// The broker started a new log: positions from the old one mean nothing; for `window`, every assignment
    /// starts from the beginning of the new log.
    func forget(window: Duration) {
        next.withLock { $0.removeAll() }
        started.withLock { $0 = 0 }
        rewindUntil.withLock { $0 = .now + window }
    }

    func consumed(partition: Int32, offset: Int64) {
        guard live else { return }
        next.withLock { $0[partition] = offset + 1 }
    }

    /// Sets the start offset of each partition (called from the rebalance callback, on the consumer's thread).
    func position(client: OpaquePointer, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        if let until = rewindUntil.withLock({ $0 }), ContinuousClock.now < until {
            for index in 0..<Int(partitions.pointee.cnt) { partitions.pointee.elems[index].offset = KafkaConsumer.beginningOfLog }
            Logger(label: "taskpilot.kafka").notice("assignment starts from the beginning: the broker started a new log")
            return
        }
        guard live else { return }
        let known = next.withLock { $0 }
        var unknown = false
        for index in 0..<Int(partitions.pointee.cnt) {
            if let offset = known[partitions.pointee.elems[index].partition] {
                partitions.pointee.elems[index].offset = offset
            } else {
                // offsets_for_times reads the timestamp from the offset field and writes the offset back.
                partitions.pointee.elems[index].offset = started.withLock { $0 }
                unknown = true
            }
        }
        guard unknown else { return }
        if rd_kafka_offsets_for_times(client, partitions, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR {
            for index in 0..<Int(partitions.pointee.cnt) where known[partitions.pointee.elems[index].partition] == nil {
                partitions.pointee.elems[index].offset = KafkaConsumer.endOfLog
            }
        }
    }
}

/// A Boolean shared with the consumer's thread.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}

extension KafkaConsumer {
    /// `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`.
    static let skipConsumerClose: Int32 = 0x8
    /// `RD_KAFKA_OFFSET_END`.
    static let endOfLog: Int64 = -1
    /// `RD_KAFKA_OFFSET_BEGINNING`.
    static let beginningOfLog: Int64 = -2
}
