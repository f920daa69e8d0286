import Dispatch
public import Foundation
import Synchronization
import TaskpilotCore

#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may deliver. By default only to public addresses: a URL whose host is, or resolves to, a loopback,
/// private, link-local or otherwise non-public address is refused when the webhook is created and again before each
/// delivery (DNS may change in between). An operator whose receivers live on their own network allows them with
/// `TASKPILOT_WEBHOOK_ALLOW_PRIVATE=true`.
public struct WebhookTargetPolicy: Sendable {
    /// Whether non-public receivers are allowed.
    public var allowPrivate: Bool

    /// A policy; the default refuses non-public receivers.
    public init(allowPrivate: Bool = false) { self.allowPrivate = allowPrivate }

    /// Why `url` may not receive deliveries, or nil. A host that does not resolve (within `timeout`) passes unless
    /// `mustResolve` (before a delivery: the HTTP client resolves the name again, and a slow answer must not slip past).
    public func refusal(for url: String, mustResolve: Bool = false, timeout: Duration = .seconds(3)) async -> String? {
        guard !allowPrivate, let host = URLComponents(string: url)?.host, !host.isEmpty else { return nil }
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // An IPv6 literal's zone ("::1%lo", "fe80::1%25eth0") names an interface, not another address: the address
        // alone is looked at (with the zone, an interface the resolver does not know made "::1%lo" pass).
        let isLiteral = host.hasPrefix("[")
        let lookedUp = isLiteral ? String(name.prefix { $0 != "%" }) : name
        let addresses = await Self.resolve(lookedUp, timeout: timeout)
        if addresses.isEmpty && mustResolve { return "\(name) did not resolve to an address (within \(timeout)); the delivery is retried" }
        for address in addresses {
            guard let kind = AddressScope.nonPublicKind(address.bytes) else { continue }
            let what = address.text == name || isLiteral ? "is" : "resolves to \(address.text),"
            return "\(name) \(what) a \(kind) address: webhooks go only to public addresses unless the server's operator sets "
                + "TASKPILOT_WEBHOOK_ALLOW_PRIVATE=true"
        }
        return nil
    }

    /// An address as bytes (4 or 16) and as text.
    struct Resolved: Sendable {
        let bytes: [UInt8]
        let text: String
    }

    /// Every address `host` resolves to (the system resolver, as the HTTP client uses), or none if that takes longer
    /// than `timeout` (the lookup itself cannot be cancelled and finishes in the background).
    static func resolve(_ host: String, timeout: Duration) async -> [Resolved] {
        await withCheckedContinuation { continuation in
            let answered = Answered()
            let answer: @Sendable ([Resolved]) -> Void = { addresses in
                if answered.first() { continuation.resume(returning: addresses) }
            }
            DispatchQueue.global().async { answer(lookup(host)) }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { answer([]) }
        }
    }

    private final class Answered: Sendable {
        private let done = Atomic<Bool>(false)
        /// True for the first caller only.
        func first() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
    }

    private static func lookup(_ host: String) -> [Resolved] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [Resolved] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            guard let socketAddress = entry.pointee.ai_addr else { continue }
            var bytes: [UInt8]
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                var address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                bytes = withUnsafeBytes(of: &address) { Array($0) }
            case AF_INET6:
                var address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                bytes = withUnsafeBytes(of: &address) { Array($0) }
            default: continue
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = bytes.count == 4 ? AF_INET : AF_INET6
            _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
            addresses.append(Resolved(bytes: bytes, text: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return addresses
    }
}
