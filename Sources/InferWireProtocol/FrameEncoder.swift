import NIOCore

/// Writes frames: the 12-byte header and the payload as two buffers, so that a large payload
/// (a 64 MiB tensor) goes to the socket as it is, without being copied behind its header.
public final class FrameEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        var header = context.channel.allocator.buffer(capacity: Frame.headerSize)
        frame.writeHeader(into: &header)
        if frame.payload.readableBytes == 0 {
            context.write(wrapOutboundOut(header), promise: promise)
        } else {
            context.write(wrapOutboundOut(header), promise: nil)
            context.write(wrapOutboundOut(frame.payload), promise: promise)
        }
    }
}

/// Writes this side's connection preface once, when the channel becomes active. It must be the
/// first handler of the pipeline, so the preface goes to the socket as raw bytes before any frame.
public final class PrefaceWriter: ChannelInboundHandler {
    public typealias InboundIn = NIOAny

    private var sent = false

    public init() {}

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendPreface(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        sendPreface(context: context)
        context.fireChannelActive()
    }

    private func sendPreface(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: ConnectionPreface.bytes)), promise: nil)
    }
}
