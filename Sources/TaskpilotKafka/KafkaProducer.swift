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

/// An idempotent producer (acks from all in-sync replicas, no reordering or duplicates on retry) with delivery
/// reports; its callbacks and a broker data-loss check run on a thread of its own.
final class KafkaProducer: @unchecked Sendable {
    // librdkafka handles are thread-safe; the topic handles are guarded by `topics`.
    private let client: OpaquePointer
    private let topics = Mutex([String: OpaquePointer]())
    private let logger: Logger
    private var loop: BlockingLoop?
    /// Messages queued and not yet reported, so closing can answer every waiting publish.
    private let outstanding = Mutex([ObjectIdentifier: PendingDelivery]())
    /// The producer hit a fatal error or timed out: it must be replaced.
    let failedFatally = Atomic<Bool>(false)

    /// Creates the producer, creates the topics that are missing and leaves an epoch marker on the broker. When the
    /// marker later disappears, the broker lost its log (a restarted in-memory broker such as tansu, deleted topics):
    /// the topics are created again and `onDataLoss` is called, so the outbox publishes recent events again.
    init(configuration: KafkaConfiguration, logger: Logger, onDataLoss: @escaping @Sendable () -> Void) throws {
        let epochTopic = configuration.topicPrefix + Self.epochTopic
        let topicNames = EventTopic.allCases.map { $0.name(prefix: configuration.topicPrefix) } + [epochTopic]
        let partitions = configuration.partitions
        self.logger = logger
        var values = configuration.common
        values["enable.idempotence"] = "true"
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
        loop = BlockingLoop(name: "kafka-producer") { loop in
            var epoch = EpochMarker(topic: epochTopic)
            let failures = Self.createTopicsBlocking(client: handle.pointer, names: topicNames, partitions: partitions)
            if !failures.isEmpty { logger.warning("could not create the topics; brokers that auto-create them still work", metadata: ["errors": "\(failures)"]) }
            epoch.leave(on: handle.pointer)
            var lastCheck = ContinuousClock.now
            while loop.isRunning {
                rd_kafka_poll(handle.pointer, 100)
                guard ContinuousClock.now - lastCheck > .seconds(2) else { continue }
                lastCheck = .now
                guard epoch.isGone(on: handle.pointer) else { continue }
                logger.error("the broker lost its log (the epoch marker is gone); creating the topics again and replaying recent events from the outbox")
                _ = Self.createTopicsBlocking(client: handle.pointer, names: topicNames, partitions: partitions)
                onDataLoss()
                return
            }
        }
    }

    /// Sends events in order and waits for their delivery reports; returns how many, from the start, were delivered.
    func send(_ events: [OutboxEvent], prefix: String) async throws -> Int {
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
                // A fatal error, or a broker that stopped answering this producer id (tansu forgets it on restart),
                // leaves an idempotent producer stuck: the bus replaces it, the outbox sends the rest again.
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

    private func produce(_ event: OutboxEvent, topic name: String) throws -> PendingDelivery {
        let topic = try topicHandle(name)
        let pending = PendingDelivery(topic: name)
        var payload = Array(event.envelope.jsonText.utf8)
        let key = Array(event.key.utf8)
        for attempt in 0..<50 {
            let opaque = Unmanaged.passRetained(pending).toOpaque()
            let status = payload.withUnsafeMutableBytes { body in
                key.withUnsafeBytes { keyBytes in
                    rd_kafka_produce(topic, Self.anyPartition, Self.copyPayload, body.baseAddress, body.count, keyBytes.baseAddress, keyBytes.count, opaque)
                }
            }
            if status == 0 {
                outstanding.withLock { $0[ObjectIdentifier(pending)] = pending }
                return pending
            }
            Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
            let error = rd_kafka_last_error()
            // A full local queue drains as delivery reports are served; anything else is a real failure.
            guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL, attempt < 49 else { throw KafkaError(code: error, context: "could not queue an event for \(name)") }
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
        let remaining = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async {
                _ = rd_kafka_flush(handle.pointer, Int32(timeout.components.seconds * 1000))
                let left = rd_kafka_outq_len(handle.pointer)
                _ = rd_kafka_purge(handle.pointer, Self.purgeQueued | Self.purgeInFlight)
                _ = rd_kafka_poll(handle.pointer, 100)
                continuation.resume(returning: left)
            }
        }
        if remaining > 0 { logger.warning("events left undelivered at shutdown; the outbox publishes them again", metadata: ["count": "\(remaining)"]) }
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

/// A message this producer leaves on the broker, and the check that it is still there.
struct EpochMarker {
    let topic: String
    /// The marker's delivery report: once the broker acknowledged it, an empty topic means the log was lost.
    private var delivery: PendingDelivery?

    init(topic: String) { self.topic = topic }

    mutating func leave(on client: OpaquePointer) {
        guard let handle = rd_kafka_topic_new(client, topic, nil) else { return }
        defer { rd_kafka_topic_destroy(handle) }
        let pending = PendingDelivery(topic: topic)
        var payload = Array(#"{"type":"taskpilot.epoch"}"#.utf8)
        let opaque = Unmanaged.passRetained(pending).toOpaque()
        let status = payload.withUnsafeMutableBytes { body in
            rd_kafka_produce(handle, 0, KafkaProducer.copyPayload, body.baseAddress, body.count, nil, 0, opaque)
        }
        if status == 0 { delivery = pending } else { Unmanaged<PendingDelivery>.fromOpaque(opaque).release() }
    }

    /// True when the acknowledged marker is gone (its topic is empty or unknown).
    func isGone(on client: OpaquePointer) -> Bool {
        guard delivery?.report.current?.error == RD_KAFKA_RESP_ERR_NO_ERROR else { return false }
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(client, topic, 0, &low, &high, 1000)
        return (error == RD_KAFKA_RESP_ERR_NO_ERROR && high == 0) || error == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
    }
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
