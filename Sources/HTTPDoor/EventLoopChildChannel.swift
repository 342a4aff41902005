import Hummingbird
import HummingbirdCore
import InferenceService
import Logging
import NIOCore

/// Hummingbird runs each connection in a task of Swift's cooperative pool: every request then
/// hops from the channel's event loop to the pool and back (two thread switches, measured at a
/// third of a chat echo's CPU). This wraps the HTTP/1.1 child channel so that the connection's
/// task prefers its own event loop, as the binary door's calls do: reading, routing, the data
/// plane and writing stay on one thread. Runtimes must not block (they already may not).
struct EventLoopChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Base.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1, each connection's work on its event loop.
    static func http1OnEventLoops(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in
            EventLoopChildChannel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
