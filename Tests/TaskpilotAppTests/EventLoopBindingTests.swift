import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOPosix
import TaskpilotTestSupport
import Testing

@testable import TaskpilotApp

/// `EventLoopBoundChannel`: a connection's requests are handled on its event loop's thread.
@Suite("Event loop binding")
struct EventLoopBindingTests {
    @Test("a handler runs on its connection's event loop, before and after it suspends")
    func handlerOnLoop() async throws {
        let router = Router()
        router.get("where") { _, _ -> String in
            let before = MultiThreadedEventLoopGroup.currentEventLoop
            try await Task.sleep(for: .milliseconds(5))
            let after = MultiThreadedEventLoopGroup.currentEventLoop
            guard let before, let after else { return "pool" }
            return before === after ? "loop" : "moved"
        }
        let app = Application(
            router: router,
            server: HTTPServerBuilder { EventLoopBoundChannel(base: HTTP1Channel(responder: $0)) },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: TestBackend.logger
        )
        try await app.test(.live) { client in
            for _ in 0..<5 {
                try await client.execute(uri: "/where", method: .get) { response in
                    #expect(String(buffer: response.body) == "loop")
                }
            }
        }
    }
}
