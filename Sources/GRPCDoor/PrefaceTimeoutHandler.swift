import NIOCore

/// Closes a gRPC connection whose client has not sent HTTP/2's 24-byte connection preface
/// within the handshake timeout (after TLS, when the door speaks it). The idle timer only runs
/// once HTTP/2 is up, so without this a peer that connects and stays silent, or stalls its TLS
/// handshake, holds a socket for ever. Sits just after TLS (first otherwise) and leaves the
/// pipeline as soon as the preface's bytes are in.
final class PrefaceTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let prefaceLength = 24
    private let timeout: TimeAmount
    private var received = 0
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    /// Removed once the preface is in, or with the rest of the pipeline when the channel closes.
    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
        if received >= Self.prefaceLength {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
