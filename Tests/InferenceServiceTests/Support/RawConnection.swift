import InferWireProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Accumulates every byte the server sends.
/// (For RawConnection.)
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = NIOLockedValueBox<[UInt8]>([])
    let closed = NIOLockedValueBox(false)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLockedValue { $0 += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.withLockedValue { $0 = true }
    }
}

/// A plain TCP connection to a server, for bytes the client library would never send.
struct RawConnection {
    let channel: Channel
    let collector: ByteCollector

    static func open(port: Int) async throws -> RawConnection {
        let collector = ByteCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Waits until `count` bytes arrived (or the connection closed), at most 10 s.
    func received(atLeast count: Int) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + .seconds(10)
        while collector.bytes.withLockedValue({ $0.count }) < count, !collector.closed.withLockedValue({ $0 }),
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        return collector.bytes.withLockedValue { $0 }
    }

    func waitClosed() async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !collector.closed.withLockedValue({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return collector.closed.withLockedValue { $0 }
    }

    /// The server's bytes so far as frames, after checking its preface (empty before it came).
    func serverFrames() throws -> [Frame] {
        let bytes = collector.bytes.withLockedValue { $0 }
        guard bytes.count >= ConnectionPreface.size else { return [] }
        guard Array(bytes[0..<8]) == ConnectionPreface.bytes else { throw UnexpectedBytes() }
        var buffer = ByteBuffer(bytes: bytes[8...])
        var frames: [Frame] = []
        while let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self),
            buffer.readableBytes >= Frame.headerSize + Int(length)
        {
            let type = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self)!
            let flags = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt8.self)!
            let stream = buffer.getInteger(at: buffer.readerIndex + 8, endianness: .big, as: UInt32.self)!
            buffer.moveReaderIndex(forwardBy: Frame.headerSize)
            let payload = buffer.readSlice(length: Int(length))!
            frames.append(Frame(type: FrameType(rawValue: type), flags: FrameFlags(rawValue: flags), streamID: stream, payload: payload))
        }
        return frames
    }

    struct UnexpectedBytes: Error {}
}
