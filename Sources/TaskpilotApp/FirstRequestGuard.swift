import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// A server channel whose connections answer a first request that is not HTTP/1.1 and close when no request arrives.
///
/// Before the first request head, a connection that may upgrade to a WebSocket has no Hummingbird handler yet: a
/// request that does not parse (an unknown method, a bad `Content-Length`, headers over the limit, a TLS handshake)
/// got no answer and its connection stayed open, as did one that never sent a whole head. Later requests are
/// Hummingbird's: it answers those that do not parse with 400, and closes connections idle for `idleTimeout`.
struct FirstRequestGuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    /// How long a new connection may take to send its first request head.
    let firstRequestTimeout: TimeAmount

    init(base: Base, firstRequestTimeout: TimeAmount = .seconds(30)) {
        self.base = base
        self.firstRequestTimeout = firstRequestTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeout = firstRequestTimeout
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(FirstRequestGuard(timeout: timeout), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Sits after the HTTP decoder until the first request head has passed: answers a decoding error with a JSON error
/// body and closes, and closes a connection that sends no whole head within `timeout`.
final class FirstRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var answered = false

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        context.fireChannelRead(data)
        if case .head = part {
            // From here on the connection is Hummingbird's (or a WebSocket's).
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !answered else { return context.fireErrorCaught(error) }
        answered = true
        let (status, code, message): (HTTPResponseStatus, String, String) =
            switch parserError {
            case .headerOverflow:
                (.requestHeaderFieldsTooLarge, "headers_too_large", "The request's headers are larger than the server accepts.")
            default:
                (
                    .badRequest, "bad_request",
                    "The request is not valid HTTP/1.1 (\(parserError)). Send HTTP/1.1 requests, over plain HTTP unless a proxy in front terminates TLS."
                )
            }
        // The error body every other answer has (ErrorMiddleware's).
        let buffer = context.channel.allocator.buffer(bytes: ErrorBody.json(code: code, message: message))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
