import Testing

@testable import TaskpilotKafka

@Suite("The Kafka producer's promise")
struct KafkaPromiseTests {
    @Test("every task waiting for a promise is woken when it is fulfilled, however many wait at once", .timeLimit(.minutes(1)))
    func manyWaiters() async {
        let promise = Promise<Int>()
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { await promise.value } }
            // The waiters are parked before the value comes (a broker down at start-up).
            try? await Task.sleep(for: .milliseconds(100))
            promise.fulfil(7)
            var woken = 0
            for await value in group where value == 7 { woken += 1 }
            #expect(woken == 20)
        }
        promise.fulfil(8)
        #expect(await promise.value == 7 && promise.current == 7)
    }
}
