import Foundation
import HTTPTypes
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import TaskpilotCore

/// Why a WebSocket handshake is not upgraded, answered with the JSON error body of every other route.
///
/// `HTTP1WebSocketUpgradeChannel` answers a handshake its `shouldUpgrade` declines with an empty 400, and gives no way
/// to answer otherwise; `refuse(on:)` leaves the refusal with the connection's `HandshakeRefusalAnswer`, which puts it in
/// place of that empty answer.
struct HandshakeRefusal: Sendable {
    let status: HTTPResponseStatus
    let code: String
    let message: String

    static let noToken = HandshakeRefusal(
        status: .unauthorized,
        code: "unauthorized",
        message: "The WebSocket needs your token: connect to /api/v1/ws?access_token=<token>, or offer the subprotocols "
            + "\"bearer\" and <token> (Sec-WebSocket-Protocol: bearer, <token>)."
    )

    static let wrongPath = HandshakeRefusal(status: .notFound, code: "not_found", message: "WebSockets are served at /api/v1/ws only.")

    init(status: HTTPResponseStatus, code: String, message: String) {
        (self.status, self.code, self.message) = (status, code, message)
    }

    /// The refusal for an error authenticating the handshake's token.
    init(_ error: any Error) {
        switch error {
        case TaskpilotError.unauthorized(let message), TaskpilotError.notFound(let message):
            self.init(status: .unauthorized, code: "unauthorized", message: message)
        default:
            self.init(
                status: .serviceUnavailable,
                code: "database_unavailable",
                message: "The token could not be checked now. Try again in a moment."
            )
        }
    }

    /// Declines the upgrade of `channel`'s handshake, to be answered with this refusal.
    func refuse<Handler>(on channel: any Channel) -> ShouldUpgradeResult<Handler> {
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: HandshakeRefusalAnswer.self))?.refusal = self
        }
        return .dontUpgrade
    }

    /// Takes the refusal answer and the upgrade filter out of an upgraded `channel` (WebSocket frames are not HTTP
    /// parts); call before answering `.upgrade`.
    static func accept(on channel: any Channel) {
        channel.eventLoop.execute {
            let pipeline = channel.pipeline.syncOperations
            if let answer = try? pipeline.handler(type: HandshakeRefusalAnswer.self) { pipeline.removeHandler(answer, promise: nil) }
            if let filter = try? pipeline.handler(type: UpgradeRequestFilter.self) { pipeline.removeHandler(filter, promise: nil) }
        }
    }
}

/// Puts the refusal `HandshakeRefusal.refuse(on:)` left in place of the empty 400 a declined handshake gets.
final class HandshakeRefusalAnswer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    var refusal: HandshakeRefusal?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest && refusal != nil:
            let refusal = refusal!
            self.refusal = nil
            let buffer = context.channel.allocator.buffer(bytes: ErrorBody.json(code: refusal.code, message: refusal.message))
            head.status = refusal.status
            head.headers.replaceOrAdd(name: "Content-Type", value: "application/json; charset=utf-8")
            head.headers.replaceOrAdd(name: "Content-Length", value: String(buffer.readableBytes))
            if refusal.status == .unauthorized { head.headers.replaceOrAdd(name: "WWW-Authenticate", value: "Bearer") }
            if refusal.status == .serviceUnavailable { head.headers.replaceOrAdd(name: "Retry-After", value: "5") }
            body = buffer
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where body != nil:
            context.write(wrapOutboundOut(.body(.byteBuffer(body!))), promise: nil)
            body = nil
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}

/// Serves a request that asks for an upgrade this server does not make as the plain HTTP request it also is.
///
/// NIO's upgrade handler, given a request with an `Upgrade` header that no upgrader takes (`h2c`, which `curl --http2`
/// and Java's HTTP client send; a WebSocket handshake without its key or version 13), hands on the rest of the request
/// without its head, and the connection closes unanswered. Here such a request loses `Upgrade` before that handler
/// sees it, and the connection closes after its answer, which says so (`Connection: close`): NIO's decoder, having read
/// an upgrade request, reads no request after it on that connection. A WebSocket handshake that is not whole also
/// carries what it lacks in `problemHeader`, so that `/api/v1/ws` answers 400 saying so (a client's own header of that
/// name is dropped).
final class UpgradeRequestFilter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let problemHeader = "Taskpilot-WebSocket-Problem"
    /// `problemHeader` as the router reads it.
    static let problemField = HTTPField.Name(problemHeader)!

    /// Whether an upgrade request was read: its answer, the connection's last, says that it closes.
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headers.remove(name: Self.problemHeader)
        let asked = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        // `Connection: upgrade` alone asks for nothing (proxies send it): that request goes on as it is.
        if !asked.isEmpty, let problem = Self.problem(of: head, asked: asked) {
            head.headers.remove(name: "Upgrade")
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            closing = true
            if asked.contains("websocket") { head.headers.add(name: Self.problemHeader, value: problem) }
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard closing, case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    /// What keeps `head` from being a WebSocket handshake NIO's upgrader takes (RFC 6455 §4.2.1); nil when nothing does.
    static func problem(of head: HTTPRequestHead, asked: [String]) -> String? {
        guard asked.contains("websocket") else { return "an upgrade to \(asked.joined(separator: ", ")), which is not served" }
        guard head.method == .GET else { return "a WebSocket handshake must be a GET" }
        guard head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            return "the Connection header must hold 'Upgrade'"
        }
        let keys = head.headers["Sec-WebSocket-Key"]
        guard keys.count == 1, !keys[0].trimmingCharacters(in: .whitespaces).isEmpty else {
            return keys.isEmpty ? "Sec-WebSocket-Key is missing" : "Sec-WebSocket-Key must be given once"
        }
        guard head.headers["Sec-WebSocket-Version"] == ["13"] else { return "Sec-WebSocket-Version must be 13" }
        return nil
    }
}

/// `HTTP1WebSocketUpgradeChannel` with a `HandshakeRefusalAnswer` and an `UpgradeRequestFilter` on each connection.
struct HandshakeRefusalAnsweringChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let base: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HandshakeRefusalAnswer(), position: .after(decoder))
            try pipeline.addHandler(UpgradeRequestFilter(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
