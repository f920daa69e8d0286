import HummingbirdCore
import Logging
import NIOCore
import TaskpilotStore

/// A server channel whose connections are each served on their own event loop: reading a request, running its
/// handler (and its PostgreSQL statements, on connections of the same loop) and writing the answer happen on one
/// thread instead of hopping between the loop and the cooperative pool at every step.
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}
