import NIOCore

/// Reads the connection preface, then frames, from the byte stream.
///
/// The frame length is checked against `maxFrameSize` as soon as the 12-byte header is in,
/// before any of the payload is buffered: an oversized frame costs the receiver 12 bytes. A
/// payload is handed on as a slice of the read buffer (`readSlice`), not copied.
///
/// A large payload that has not all arrived is moved into a buffer of its own size and filled
/// there as the rest comes in. Left in the read buffer, it would be moved (and, while earlier
/// payloads still share that buffer, copied to fresh memory) each time the buffer is compacted:
/// with several 1 MiB requests in flight that was 40% of the server's CPU.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// Largest payload accepted; this side's advertised MAX_FRAME_SIZE.
    public var maxFrameSize: UInt32
    private var prefaceReceived = false
    /// Payloads at least this large are received into their own buffer.
    static let ownBufferThreshold = 64 << 10
    /// The large frame being received: its header and the payload so far.
    private var pending: (type: UInt8, flags: UInt8, streamID: UInt32, length: Int, payload: ByteBuffer)?

    public init(maxFrameSize: UInt32 = ConnectionSettings.default.maxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if !prefaceReceived {
            // Fail fast on a wrong first byte instead of waiting for 8 bytes that may never come.
            if let first = buffer.readableBytesView.first, first != ConnectionPreface.magic[0] {
                // A TLS record (handshake 0x16, alert 0x15): the two ends disagree about TLS.
                let hint = first == 0x16 ? "; got a TLS handshake: this end does not speak TLS"
                    : first == 0x15 ? "; got a TLS alert: the other end speaks TLS (clients: --tls-ca)" : ""
                throw ProtocolViolation(.badPreface, "not an InferWire connection (expected the IWIRE preface)\(hint)")
            }
            guard let preface = buffer.readSlice(length: ConnectionPreface.size) else { return .needMoreData }
            _ = try ConnectionPreface.validate(preface.readableBytesView)
            prefaceReceived = true
            return .continue
        }
        if pending != nil {
            let missing = pending!.length - pending!.payload.readableBytes
            if missing > 0, buffer.readableBytes > 0 {
                var chunk = buffer.readSlice(length: min(missing, buffer.readableBytes))!
                pending!.payload.writeBuffer(&chunk)
            }
            guard pending!.payload.readableBytes == pending!.length else { return .needMoreData }
            let frame = pending!
            pending = nil
            context.fireChannelRead(wrapInboundOut(Frame(
                type: FrameType(rawValue: frame.type), flags: FrameFlags(rawValue: frame.flags), streamID: frame.streamID,
                payload: frame.payload)))
            return .continue
        }
        guard buffer.readableBytes >= Frame.headerSize else { return .needMoreData }
        let start = buffer.readerIndex
        let length = buffer.getInteger(at: start, endianness: .big, as: UInt32.self)!
        guard length <= maxFrameSize else {
            throw ProtocolViolation(.frameTooLarge, "frame of \(length) bytes exceeds MAX_FRAME_SIZE \(maxFrameSize)")
        }
        let type = buffer.getInteger(at: start + 4, as: UInt8.self)!
        let flags = buffer.getInteger(at: start + 5, as: UInt8.self)!
        let reserved = buffer.getInteger(at: start + 6, endianness: .big, as: UInt16.self)!
        let streamID = buffer.getInteger(at: start + 8, endianness: .big, as: UInt32.self)!
        guard reserved == 0 else {
            throw ProtocolViolation(.protocolError, "reserved header bits set (0x\(String(reserved, radix: 16))) in a \(FrameType(rawValue: type)) frame")
        }
        guard buffer.readableBytes >= Frame.headerSize + Int(length) else {
            if Int(length) >= Self.ownBufferThreshold {
                buffer.moveReaderIndex(forwardBy: Frame.headerSize)
                var payload = context.channel.allocator.buffer(capacity: Int(length))
                var chunk = buffer.readSlice(length: buffer.readableBytes)!
                payload.writeBuffer(&chunk)
                pending = (type, flags, streamID, Int(length), payload)
            } else {
                // Tell the buffer how much is coming, so it grows once.
                buffer.reserveCapacity(minimumWritableBytes: Frame.headerSize + Int(length) - buffer.readableBytes)
            }
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: Frame.headerSize)
        var payload = buffer.readSlice(length: Int(length))!
        // A slice keeps its whole storage alive: a small payload in a buffer grown for a large
        // frame is copied out, so that a held 10-byte request cannot pin 64 MiB.
        if length <= 64 << 10, Int(length) * 16 < buffer.capacity {
            payload = context.channel.allocator.buffer(buffer: payload)
        }
        context.fireChannelRead(wrapInboundOut(
            Frame(type: FrameType(rawValue: type), flags: FrameFlags(rawValue: flags), streamID: streamID, payload: payload)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut off by the end of the connection is dropped: the peer is gone.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
