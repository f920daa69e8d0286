import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import NIOWebSocket
import TaskpilotCore
import TaskpilotEvents

/// Holds this replica's WebSocket sessions and pushes each `task-updates` event to the owner's sessions.
actor RealtimeHub {
    private var sessions: [UUID: [UUID: WebSocketOutboundWriter]] = [:]
    private let gauge = Gauge(label: "taskpilot_websocket_sessions")
    /// Ids of the events pushed lately: a bus delivers at least once (and replays after a broker lost its log), a
    /// browser should see each change once.
    private var recent = RecentIDs(capacity: 50_000)

    func add(user: UUID, session: UUID, writer: WebSocketOutboundWriter) {
        sessions[user, default: [:]][session] = writer
        gauge.record(sessions.values.reduce(0) { $0 + $1.count })
    }

    func remove(user: UUID, session: UUID) {
        sessions[user]?[session] = nil
        if sessions[user]?.isEmpty == true { sessions[user] = nil }
        gauge.record(sessions.values.reduce(0) { $0 + $1.count })
    }

    func writers(for user: UUID) -> [WebSocketOutboundWriter] { Array(sessions[user]?.values ?? [:].values) }

    /// The WebSocket messages of one `task-updates` event.
    static func messages(for event: OutboxEvent) -> [JSONValue] {
        let data = event.data
        switch event.type {
        case "taskpilot.task.changed":
            let change = data["change"]?.stringValue ?? "updated"
            return [["type": .string("task.\(change)"), "task_id": data["task_id"] ?? .null, "task": data["task"] ?? .null]]
        case "taskpilot.notification.created":
            let notification: JSONValue = ["type": "notification", "notification": data["notification"] ?? .null]
            // Only a reminder's notification is also a `reminder.due` message; others (a disabled webhook) are just notifications.
            guard data["notification"]?["kind"]?.stringValue == "reminder" else { return [notification] }
            var reminder = data.objectValue ?? [:]
            reminder["type"] = "reminder.due"
            reminder["user_id"] = nil
            reminder["change"] = nil
            return [.object(reminder), notification]
        case "taskpilot.notification.read":
            return [["type": "notification.read", "notification": data["notification"] ?? .null]]
        default:
            return []
        }
    }

    /// Pushes an event to its owner's open sessions; a session that cannot take it is dropped by its own loop.
    func deliver(_ event: OutboxEvent) async {
        guard recent.insert(event.id) else { return }
        guard let user = event.data["user_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { return }
        let targets = writers(for: user)
        guard !targets.isEmpty else { return }
        for message in Self.messages(for: event) {
            for writer in targets { try? await writer.write(.text(message.jsonText)) }
        }
    }

    /// The server builder: `/api/v1/ws` upgrades when a valid token comes as `access_token` or in `Sec-WebSocket-Protocol`;
    /// every `heartbeat` the session gets a heartbeat message and its token is checked again. With `bindToEventLoops`
    /// each connection is served on its event loop's thread (`EventLoopBoundChannel`).
    static func serverBuilder(hub: RealtimeHub, credentials: Credentials, heartbeat: Duration, bindToEventLoops: Bool) -> HTTPServerBuilder {
        let upgrade:
            @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            > = { request, channel, logger in
                guard request.path?.split(separator: "?").first == "/api/v1/ws" else {
                    return HandshakeRefusal.wrongPath.refuse(on: channel)
                }
                guard let (token, protocolHeader) = bearer(request) else { return HandshakeRefusal.noToken.refuse(on: channel) }
                let user: User
                do {
                    user = try await credentials.authenticate(bearer: token)
                } catch {
                    return HandshakeRefusal(error).refuse(on: channel)
                }
                HandshakeRefusal.accept(on: channel)
                var headers: HTTPFields = [:]
                if let protocolHeader { headers[.secWebSocketProtocol] = protocolHeader }
                return .upgrade(headers) { inbound, outbound, _ in
                    let session = UUID()
                    await hub.add(user: user.id, session: session, writer: outbound)
                    defer { Task { await hub.remove(user: user.id, session: session) } }
                    try await outbound.write(
                        .text(JSONValue.object(["type": "hello", "user_id": .string(user.id.uuidString.lowercased())]).jsonText)
                    )
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while !Task.isCancelled {
                                try await Task.sleep(for: heartbeat)
                                // A token revoked or expired since (on any replica), or a deleted account, ends the session.
                                if await Self.noLongerValid(token, credentials: credentials) {
                                    try await outbound.write(.text(#"{"type":"session_expired"}"#))
                                    try await outbound.close(.policyViolation, reason: "the token is no longer valid; sign in again")
                                    return
                                }
                                try await outbound.write(.text(#"{"type":"heartbeat"}"#))
                            }
                        }
                        group.addTask {
                            // Clients may send anything (e.g. pings); the session ends when they close.
                            for try await _ in inbound.messages(maxSize: 64 * 1024) {}
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                    logger.debug("websocket closed", metadata: ["user_id": .string(user.id.uuidString.lowercased())])
                }
            }
        return HTTPServerBuilder { responder in
            // Keep-alive connections close after 75 s without a request (as nginx's default), new ones after 30 s
            // without a first request head (FirstRequestGuardedChannel).
            let channel = FirstRequestGuardedChannel(
                base: HandshakeRefusalAnsweringChannel(
                    base: HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        configuration: .init(http1: .init(idleTimeout: .seconds(75))),
                        shouldUpgrade: upgrade
                    )
                )
            )
            return bindToEventLoops ? EventLoopBoundChannel(base: channel) : channel
        }
    }

    /// `GET /api/v1/ws` when no upgrade happened: a handshake refused for its credentials, or a plain request. Without
    /// valid credentials (in any of the handshake's three places) it answers 401 naming them; with them, 400.
    static func addRoute(to group: RouterGroup<AppRequestContext>, credentials: Credentials) {
        group.get("ws") { request, _ -> Response in
            if let problem = request.headers[UpgradeRequestFilter.problemField] {
                return ErrorMiddleware<AppRequestContext>.response(
                    status: .badRequest,
                    code: "bad_request",
                    message: "Not a WebSocket handshake this server can take: \(problem). Connect with a WebSocket client "
                        + "(RFC 6455) to /api/v1/ws?access_token=<token>.",
                    details: nil
                )
            }
            guard let (token, _) = bearer(request.head) else { throw TaskpilotError.unauthorized(HandshakeRefusal.noToken.message) }
            _ = try await credentials.authenticate(bearer: token)
            return ErrorMiddleware<AppRequestContext>.response(
                status: .badRequest,
                code: "upgrade_required",
                message: "This is the WebSocket endpoint: connect with a WebSocket client and ?access_token=<token>.",
                details: nil
            )
        }
    }

    /// Whether `token` is refused now (revoked, expired, its account gone); a database that cannot answer is not a no.
    static func noLongerValid(_ token: String, credentials: Credentials) async -> Bool {
        do {
            _ = try await credentials.authenticate(bearer: token)
            return false
        } catch let error as TaskpilotError {
            switch error {
            case .unauthorized, .notFound: return true
            default: return false
            }
        } catch {
            return false
        }
    }

    /// The token of an upgrade request and the subprotocol to echo, if it came as one.
    static func bearer(_ request: HTTPRequest) -> (String, String?)? {
        if let path = request.path, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == "access_token" {
                    return (String(parts[1]).removingPercentEncoding ?? String(parts[1]), nil)
                }
            }
        }
        if let header = request.headerFields[.secWebSocketProtocol] {
            let items = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if items.count >= 2, ["bearer", "access_token"].contains(items[0].lowercased()) { return (items[1], items[0]) }
        }
        if let authorization = request.headerFields[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            return (String(authorization.dropFirst(7)), nil)
        }
        return nil
    }
}

/// A bounded set of ids that forgets the oldest first.
struct RecentIDs {
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds `id`; false when it was already there.
    mutating func insert(_ id: String) -> Bool {
        guard !members.contains(id) else { return false }
        members.insert(id)
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }
}
