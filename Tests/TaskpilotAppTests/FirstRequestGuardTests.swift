import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import TaskpilotTestSupport
import Testing

@testable import TaskpilotApp

/// `FirstRequestGuardedChannel` over the WebSocket-upgradable HTTP/1.1 channel the server uses, through raw TCP.
@Suite("First request guard")
struct FirstRequestGuardTests {
    @Test("a first request that is not HTTP/1.1 gets a JSON error and a closed connection")
    func malformed() async throws {
        try await withServer { port in
            for request in [
                "GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "\u{16}\u{03}\u{01}\u{00}",
            ] {
                let answer = try await exchange(port: port, [request])
                #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(request.debugDescription): \(answer)")
                #expect(answer.contains(#"{"error":{"code":"bad_request","message":"The request is not valid HTTP/1.1"#))
            }
            let huge = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n"
            let answer = try await exchange(port: port, [huge])
            #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(answer.prefix(200))")
            #expect(answer.contains(#""code":"headers_too_large""#))
        }
    }

    @Test("a connection without a whole first request head is closed after the timeout; one that sent it is kept alive")
    func timeout() async throws {
        // Long enough for a loaded machine to read the first request in time, short enough to wait for.
        try await withServer(firstRequestTimeout: .seconds(2)) { port in
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await exchange(port: port, ["GET / HTTP/1.1\r\nHost: x\r\n"]).isEmpty)
            #expect(clock.now - start >= .seconds(2))
            // Past the timeout, the connection still serves a second request: the guard left with the first head.
            let answer = try await exchange(
                port: port,
                ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
                pause: .milliseconds(2500)
            )
            #expect(answer.split(separator: "HTTP/1.1 200 OK", omittingEmptySubsequences: false).count == 3, "\(answer)")
        }
    }

    private func withServer(firstRequestTimeout: TimeAmount = .seconds(30), _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("/") { _, _ in "ok" }
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                FirstRequestGuardedChannel(
                    base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init()) { _, _, _ in .dontUpgrade },
                    firstRequestTimeout: firstRequestTimeout
                )
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: TestBackend.logger
        )
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    /// Sends `requests` (with `pause` between them) and returns everything received until the server closes.
    private func exchange(port: Int, _ requests: [String], pause: Duration = .zero) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) {
            channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    var received = ByteBuffer()
                    do {
                        for try await chunk in inbound { received.writeImmutableBuffer(chunk) }
                    } catch {
                        // A reset after the answer (the server closed with unread input): what came is the answer.
                    }
                    return String(buffer: received)
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(20))
                    throw CancellationError()
                }
                for (index, request) in requests.enumerated() {
                    if index > 0 { try await Task.sleep(for: pause) }
                    try? await outbound.write(ByteBuffer(string: request))
                }
                let answer = try await group.next()!
                group.cancelAll()
                return answer
            }
        }
    }
}
