import Hummingbird
import HummingbirdCore
import InferenceService
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird runs each connection in a task of Swift's cooperative pool: every request then
/// hops from the channel's event loop to the pool and back (two thread switches, measured at a
/// third of a chat echo's CPU). This wraps the HTTP/1.1 child channel so that the connection's
/// task prefers its own event loop, as the binary door's calls do: reading, routing, the data
/// plane and writing stay on one thread. Runtimes must not block (they already may not).
/// It also puts the infer fast path (`FastInferHandler`) right after NIO's HTTP/1 decoder.
struct EventLoopChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let fastPath: FastInferHandler.Settings
    /// TLS first in the pipeline, when the door speaks it.
    let tls: TLSFiles?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        if let tls {
            do {
                try channel.pipeline.syncOperations.addHandler(tls.serverHandler())
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(FastInferHandler(settings: fastPath, eventLoop: channel.eventLoop), position: .after(decoder))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1, each connection's work on its event loop, infer calls on the fast path. The fast
    /// path keeps the idle timeout for the whole connection, so Hummingbird's is off.
    static func http1OnEventLoops(fastPath: FastInferHandler.Settings, tls: TLSFiles?) -> HTTPServerBuilder {
        .init { responder in
            EventLoopChildChannel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil)), fastPath: fastPath, tls: tls)
        }
    }
}
