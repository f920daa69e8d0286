public import Foundation
public import Hummingbird
public import Logging
public import NIOCore
public import TaskpilotCore

/// The context of every request: Hummingbird's core storage plus the identity set by authentication.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user, once the authentication middleware has run and succeeded.
    public var identity: User?
    /// The request's connection, asked for its address only when a limit needs it (not on every request).
    private let channel: any Channel

    /// The address the connection comes from (nil in in-process tests).
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's address for rate limits: the connection's, or — when it comes from this host or its own network,
    /// that is through a proxy or ingress — the last `X-Forwarded-For` entry, the one that proxy added. Entries before
    /// it are whatever the client sent, so a client on the internet cannot pick its own key.
    func clientAddress(forwarded: String?) -> String {
        Self.clientAddress(remote: remoteAddress?.ipAddress, forwarded: forwarded)
    }

    /// See ``clientAddress(forwarded:)``; `remote` is the connection's IP address.
    static func clientAddress(remote: String?, forwarded: String?) -> String {
        let last = forwarded?.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        guard let remote else { return last ?? "direct" }
        if isNonPublic(remote), let last { return last }
        return remote
    }

    /// Whether an address is loopback, private or link-local (IPv4, IPv4-mapped IPv6, or IPv6 by its prefix).
    static func isNonPublic(_ ip: String) -> Bool {
        let lower = ip.lowercased()
        let v4 = lower.hasPrefix("::ffff:") ? String(lower.dropFirst(7)) : lower
        let octets = v4.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4 { return AddressScope.nonPublicKind(octets) != nil }
        return lower == "::1" || ["fc", "fd", "fe8", "fe9", "fea", "feb"].contains { lower.hasPrefix($0) }
    }

    public var requestDecoder: JSONDecoder { JSONDecoder() }
    public var responseEncoder: JSONEncoder { AppRequestContext.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}

/// The context of routes that need a user: it cannot be created without one, so no handler can forget the check.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user.
    public let user: User

    public init(context: AppRequestContext) throws {
        guard let user = context.identity else {
            throw TaskpilotError.unauthorized("Authentication required: send Authorization: Bearer <token> (log in or create an API token).")
        }
        coreContext = context.coreContext
        self.user = user
    }

    public var requestDecoder: JSONDecoder { JSONDecoder() }
    public var responseEncoder: JSONEncoder { AppRequestContext.encoder }
}
