import Foundation
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

    /// Takes the refusal answer out of an upgraded `channel` (WebSocket frames are not HTTP parts); call before
    /// answering `.upgrade`.
    static func accept(on channel: any Channel) {
        channel.eventLoop.execute {
            if let answer = try? channel.pipeline.syncOperations.handler(type: HandshakeRefusalAnswer.self) {
                channel.pipeline.syncOperations.removeHandler(answer, promise: nil)
            }
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

/// `HTTP1WebSocketUpgradeChannel` with a `HandshakeRefusalAnswer` on each connection.
struct HandshakeRefusalAnsweringChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let base: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HandshakeRefusalAnswer(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
