import CRdkafka
import Foundation
import Logging
import Synchronization
import TaskpilotCore
import TaskpilotEvents

/// How one message fared, from its delivery report.
struct DeliveryReport: Sendable {
    let error: rd_kafka_resp_err_t
    let partition: Int32
    let offset: Int64
}

/// Where the delivery callback puts the report of one message.
final class PendingDelivery: Sendable {
    let report = Promise<DeliveryReport>()
    let topic: String

    init(topic: String) { self.topic = topic }
}

/// A producer with acks from all in-sync replicas, one request in flight per broker (no reordering on retry) and
/// delivery reports; its callbacks and a broker data-loss check run on a thread of its own.
final class KafkaProducer: @unchecked Sendable {
    // librdkafka handles are thread-safe; the topic handles are guarded by `topics`.
    private let client: OpaquePointer
    /// Calls into `client` under way, and whether `close` began: it waits for them, and refuses new ones.
    private let usage = Mutex((calls: 0, closing: false))
    private let topics = Mutex([String: OpaquePointer]())
    private let logger: Logger
    private var loop: BlockingLoop?
    /// Fulfilled once the topics were created (or that failed): publishing waits for it.
    private let ready = Promise<Void>()
    private let epochTopic: String
    /// Messages queued and not yet reported, so closing can answer every waiting publish.
    private let outstanding = Mutex([ObjectIdentifier: PendingDelivery]())
    /// The producer hit a fatal error or timed out: it must be replaced.
    let failedFatally = Atomic<Bool>(false)

    /// Creates the producer and, on its own thread, the topics that are missing; publishing waits for that.
    init(configuration: KafkaConfiguration, logger: Logger) throws {
        let topicNames = EventTopic.allCases.map { $0.name(prefix: configuration.topicPrefix) } + [configuration.topicPrefix + Self.epochTopic]
        let partitions = configuration.partitions
        self.logger = logger
        epochTopic = configuration.topicPrefix + Self.epochTopic
        var values = configuration.common
        // Not idempotent on purpose: a producer id means nothing to a broker that lost its state. tansu hands the same
        // ids out again after a restart, and two clients sharing one have each other's batches refused as duplicates,
        // which librdkafka reports as delivered: silent loss. One request in flight per broker keeps each partition in
        // order across retries; a retry may repeat an event, and consumers drop repeats by event id.
        values["enable.idempotence"] = "false"
        values["max.in.flight.requests.per.connection"] = "1"
        values["acks"] = "all"
        values["linger.ms"] = "2"
        values["message.timeout.ms"] = String(Int(configuration.deliveryTimeout.components.seconds * 1000))
        let conf = try makeConfiguration(values)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let pending = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
            pending.report.fulfil(DeliveryReport(error: message.pointee.err, partition: message.pointee.partition, offset: message.pointee.offset))
        }
        client = try makeClient(RD_KAFKA_PRODUCER, configuration: conf)
        let handle = UncheckedClient(pointer: client)
        let ready = ready
        loop = BlockingLoop(name: "kafka-producer") { loop in
            // Topics made here get our partition count; a broker that auto-creates them would pick its own.
            let failures = Self.createTopicsBlocking(client: handle.pointer, names: topicNames, partitions: partitions)
            if !failures.isEmpty {
                logger.warning("could not create the topics; brokers that auto-create them still work", metadata: ["errors": "\(failures)"])
            }
            ready.fulfil(())
            while loop.isRunning { rd_kafka_poll(handle.pointer, 100) }
        }
    }

    /// Whether the epoch marker is on the broker: gone means the broker lost its log.
    enum MarkerPresence: Sendable { case present, missing, unknown }

    /// Asks the broker whether the epoch topic holds a marker.
    func markerPresence() async -> MarkerPresence {
        await ready.value
        let handle = UncheckedClient(pointer: client)
        let topic = epochTopic
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var low: Int64 = 0
                var high: Int64 = 0
                guard let error = try? self.using({ _ in rd_kafka_query_watermark_offsets(handle.pointer, topic, 0, &low, &high, 2000) }) else {
                    return continuation.resume(returning: .unknown)
                }
                let presence: MarkerPresence =
                    switch error {
                    case RD_KAFKA_RESP_ERR_NO_ERROR: high > 0 ? .present : .missing
                    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: .missing
                    default: .unknown
                    }
                continuation.resume(returning: presence)
            }
        }
    }

    /// Leaves an epoch marker; true once the broker acknowledged it.
    func leaveMarker(epoch: String) async -> Bool {
        await ready.value
        let marker = OutboxEvent(topic: .taskEvents, key: "epoch", envelope: ["type": "taskpilot.epoch", "epoch": .string(epoch)])
        guard let pending = try? produce(marker, topic: epochTopic, partition: 0) else { return false }
        defer { outstanding.withLock { $0[ObjectIdentifier(pending)] = nil } }
        return await pending.report.value.error == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Sends events in order and waits for their delivery reports; returns how many, from the start, were delivered.
    func send(_ events: [OutboxEvent], prefix: String) async throws -> Int {
        await ready.value
        var pending: [PendingDelivery] = []
        var produceFailure: (any Error)?
        for event in events {
            do {
                pending.append(try produce(event, topic: event.topic.name(prefix: prefix)))
            } catch {
                produceFailure = error
                break
            }
        }
        defer { outstanding.withLock { outstanding in for delivery in pending { outstanding[ObjectIdentifier(delivery)] = nil } } }
        for (index, delivery) in pending.enumerated() {
            let report = await delivery.report.value
            guard report.error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                // After a fatal error, or a delivery that timed out (a client may keep stale connections or metadata
                // of a broker that restarted), the bus replaces this producer; the outbox sends the rest again.
                if report.error == RD_KAFKA_RESP_ERR__FATAL || report.error == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT {
                    failedFatally.store(true, ordering: .releasing)
                }
                // Later messages of the batch may still arrive; they are published again and consumers drop repeats.
                for rest in pending[(index + 1)...] { _ = await rest.report.value }
                throw PartialPublish(published: index, underlying: KafkaError(code: report.error, context: "delivery to \(delivery.topic) failed"))
            }
        }
        if let produceFailure { throw PartialPublish(published: pending.count, underlying: produceFailure) }
        return pending.count
    }

    /// Runs `body` with the client unless the producer is closing (then it throws: the caller's events are sent again).
    private func using<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        let admitted = usage.withLock { usage -> Bool in
            guard !usage.closing else { return false }
            usage.calls += 1
            return true
        }
        guard admitted else { throw KafkaError("the producer was replaced") }
        defer { usage.withLock { $0.calls -= 1 } }
        return try body(client)
    }

    private func produce(_ event: OutboxEvent, topic name: String, partition: Int32 = KafkaProducer.anyPartition) throws -> PendingDelivery {
        try using { _ in try produceUnguarded(event, topic: name, partition: partition) }
    }

    private func produceUnguarded(_ event: OutboxEvent, topic name: String, partition: Int32) throws -> PendingDelivery {
        let topic = try topicHandle(name)
        let pending = PendingDelivery(topic: name)
        var payload = Array(event.envelope.jsonText.utf8)
        let key = Array(event.key.utf8)
        for attempt in 0..<50 {
            let opaque = Unmanaged.passRetained(pending).toOpaque()
            let status = payload.withUnsafeMutableBytes { body in
                key.withUnsafeBytes { keyBytes in
                    rd_kafka_produce(topic, partition, Self.copyPayload, body.baseAddress, body.count, keyBytes.baseAddress, keyBytes.count, opaque)
                }
            }
            if status == 0 {
                outstanding.withLock { $0[ObjectIdentifier(pending)] = pending }
                return pending
            }
            Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
            let error = rd_kafka_last_error()
            // A full local queue drains as delivery reports are served; anything else is a real failure.
            guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL, attempt < 49 else {
                throw KafkaError(code: error, context: "could not queue an event for \(name)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw KafkaError("the producer queue stayed full")
    }

    private func topicHandle(_ name: String) throws -> OpaquePointer {
        try topics.withLock { topics in
            if let handle = topics[name] { return handle }
            guard let handle = rd_kafka_topic_new(client, name, nil) else {
                throw KafkaError(code: rd_kafka_last_error(), context: "could not open topic \(name)")
            }
            topics[name] = handle
            return handle
        }
    }

    /// Waits for what is queued to be delivered (up to `timeout`), fails the rest (their publishes are answered with
    /// an error, and the outbox sends them again), then releases the client.
    func close(timeout: Duration = .seconds(5)) async {
        let handle = UncheckedClient(pointer: client)
        usage.withLock { $0.closing = true }
        let remaining = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async {
                // Calls already inside librdkafka (a produce, a watermark query) finish first.
                while self.usage.withLock({ $0.calls }) > 0 { Thread.sleep(forTimeInterval: 0.005) }
                _ = rd_kafka_flush(handle.pointer, Int32(timeout.components.seconds * 1000))
                let left = rd_kafka_outq_len(handle.pointer)
                _ = rd_kafka_purge(handle.pointer, Self.purgeQueued | Self.purgeInFlight)
                _ = rd_kafka_poll(handle.pointer, 100)
                continuation.resume(returning: left)
            }
        }
        if remaining > 0 {
            logger.warning("events left undelivered at shutdown; the outbox publishes them again", metadata: ["count": "\(remaining)"])
        }
        await loop?.stop()
        topics.withLock { topics in
            for handle in topics.values { rd_kafka_topic_destroy(handle) }
            topics.removeAll()
        }
        rd_kafka_destroy(client)
        let unanswered = outstanding.withLock { outstanding in
            defer { outstanding.removeAll() }
            return Array(outstanding.values)
        }
        for delivery in unanswered { delivery.report.fulfil(DeliveryReport(error: RD_KAFKA_RESP_ERR__DESTROY, partition: -1, offset: -1)) }
    }

    /// One-partition topic holding the epoch markers.
    static let epochTopic = "taskpilot-epoch"
    /// `RD_KAFKA_PARTITION_UA`: let the partitioner pick by key.
    static let anyPartition: Int32 = -1
    /// `RD_KAFKA_PURGE_F_QUEUE` and `RD_KAFKA_PURGE_F_INFLIGHT`.
    static let purgeQueued: Int32 = 0x1
    static let purgeInFlight: Int32 = 0x2
    /// `RD_KAFKA_MSG_F_COPY`: librdkafka copies the payload, so Swift may free it at once.
    static let copyPayload: Int32 = 0x2
}

/// A librdkafka client pointer that may cross into the client's own thread.
struct UncheckedClient: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension KafkaProducer {
    /// Creates the topics that do not exist yet (with `partitions` partitions and the broker's default replication);
    /// existing topics are left as they are. Returns what failed.
    private static func createTopicsBlocking(client: OpaquePointer, names: [String], partitions: Int32) -> [String] {
        var message = [CChar](repeating: 0, count: 512)
        var topics: [OpaquePointer?] = names.map { rd_kafka_NewTopic_new($0, partitions, -1, &message, message.count) }
        defer { for topic in topics { rd_kafka_NewTopic_destroy(topic) } }
        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, 10_000, &message, message.count)
        rd_kafka_CreateTopics(client, &topics, topics.count, options, queue)
        guard let event = rd_kafka_queue_poll(queue, 15_000) else { return ["the brokers did not answer within 15 s"] }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            return [KafkaError(code: rd_kafka_event_error(event), context: "CreateTopics").description]
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return ["unexpected admin result"] }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
        var failures: [String] = []
        for index in 0..<count {
            let error = rd_kafka_topic_result_error(results[index])
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                failures.append(KafkaError(code: error, context: String(cString: rd_kafka_topic_result_name(results[index]))).description)
            }
        }
        return failures
    }
}
