import Foundation
import NIOCore
import Synchronization
import TaskpilotApp
import TaskpilotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Start-up checks")
struct StartupCheckTests {
    @Test("the check of the port takes no connection: a client that comes while serve starts is refused, not left unanswered")
    func listenCheckTakesNoConnection() async throws {
        let port = try Self.freePort()
        let settings = try Settings(
            reader: TestBackend.configReader(
                databaseURL: "sqlite://\(FileManager.default.temporaryDirectory.path)/unused.sqlite",
                overrides: ["taskpilot.host": "127.0.0.1", "taskpilot.port": String(port)]
            )
        )
        let checking = Atomic<Bool>(true)
        async let checks: Int = {
            var count = 0
            while count < 3000 {
                try settings.checkListenAddress()
                count += 1
            }
            checking.store(false, ordering: .releasing)
            return count
        }()
        // Connections tried all the while: one that gets through reached a socket that nothing would ever read.
        var connected = 0
        var tries = 0
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        while checking.load(ordering: .acquiring) {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if address.withSockAddr({ connect(descriptor, $0, socklen_t($1)) }) == 0 { connected += 1 }
            close(descriptor)
            tries += 1
            await Task.yield()
        }
        #expect(try await checks == 3000)
        #expect(tries > 0)
        #expect(connected == 0, "\(connected) of \(tries) connections were taken by the check")
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
