import GRPCCore
import NIOCore

/// gRPC's length-prefixed messages out of a stream's DATA frames: a flag byte, a 4-byte
/// big-endian length, the message. A value (no I/O), so the connection handler owns one per
/// stream. Messages are slices of the received bytes; a message split across frames is joined.
struct GRPCMessageReader {
    enum Next {
        case message(ByteBuffer)
        case needMore
        case failed(RPCError)
    }

    static let prefixLength = 5
    let maxMessageBytes: Int
    private var buffered: ByteBuffer?

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes of a message begun but not complete (a stream ending here was cut short).
    var hasPartialMessage: Bool { (buffered?.readableBytes ?? 0) > 0 }

    mutating func append(_ data: ByteBuffer) {
        guard data.readableBytes > 0 else { return }
        if buffered == nil || buffered!.readableBytes == 0 {
            buffered = data
        } else {
            buffered!.writeImmutableBuffer(data)
        }
    }

    mutating func next() -> Next {
        guard var bytes = buffered, bytes.readableBytes >= Self.prefixLength,
            let flag = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self),
            let length = bytes.getInteger(at: bytes.readerIndex + 1, as: UInt32.self)
        else { return .needMore }
        if flag & 1 != 0 {
            return .failed(RPCError(code: .unimplemented, message: "compressed messages are not supported: send them uncompressed"))
        }
        guard Int(length) <= maxMessageBytes else {
            return .failed(
                RPCError(code: .resourceExhausted, message: "message of \(length) bytes is over this server's limit of \(maxMessageBytes) bytes"))
        }
        guard bytes.readableBytes >= Self.prefixLength + Int(length) else { return .needMore }
        bytes.moveReaderIndex(forwardBy: Self.prefixLength)
        let message = bytes.readSlice(length: Int(length))!
        buffered = bytes.readableBytes > 0 ? bytes : nil
        return .message(message)
    }
}
