import NIOCore

/// What a frame carries (docs/PROTOCOL.md, "Frames"). An open set: a receiver ignores types it
/// does not know, so that later versions can add frames.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Connection settings; stream 0. Flag `ack` acknowledges the peer's settings.
    public static let settings = FrameType(rawValue: 0x0)
    /// Opens a stream: `RequestHeaders` (proto/inferwire.proto). Client to server.
    public static let headers = FrameType(rawValue: 0x1)
    /// One ProtoWire-encoded V2 message. Flag `endStream` on the client's last message.
    public static let message = FrameType(rawValue: 0x2)
    /// Ends a stream: `Status` (proto/inferwire.proto). Server to client.
    public static let status = FrameType(rawValue: 0x3)
    /// Abandons a stream: a 4-byte status code. Either direction.
    public static let cancel = FrameType(rawValue: 0x4)
    /// Liveness: 8 opaque bytes, echoed with flag `ack`; stream 0.
    public static let ping = FrameType(rawValue: 0x5)
    /// Graceful or fatal connection shutdown; stream 0.
    public static let goAway = FrameType(rawValue: 0x6)

    public var description: String {
        switch self {
        case .settings: "SETTINGS"
        case .headers: "HEADERS"
        case .message: "MESSAGE"
        case .status: "STATUS"
        case .cancel: "CANCEL"
        case .ping: "PING"
        case .goAway: "GOAWAY"
        default: "UNKNOWN(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// Frame flags; their meaning depends on the frame type.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// MESSAGE: the sender's last message on this stream.
    public static let endStream = FrameFlags(rawValue: 0x1)
    /// SETTINGS, PING: this frame answers the peer's.
    public static let ack = FrameFlags(rawValue: 0x1)
}

/// One frame: a 12-byte header and its payload.
///
/// ```
/// 0       4    5     6          8            12
/// +-------+----+-----+----------+------------+----------------
/// |length |type|flags| reserved | stream id  | payload (length bytes)
/// | u32 BE| u8 | u8  | u16 = 0  | u32 BE     |
/// +-------+----+-----+----------+------------+----------------
/// ```
public struct Frame: Equatable, Sendable {
    public static let headerSize = 12

    public var type: FrameType
    public var flags: FrameFlags
    /// 0 for connection frames (SETTINGS, PING, GOAWAY); otherwise the stream the frame belongs to.
    public var streamID: UInt32
    /// Received payloads are slices of the connection's read buffer: never copied.
    public var payload: ByteBuffer

    public init(type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: ByteBuffer = ByteBuffer()) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.payload = payload
    }

    /// Writes the 12-byte header of this frame.
    public func writeHeader(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(payload.readableBytes), endianness: .big)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags.rawValue)
        buffer.writeInteger(UInt16(0), endianness: .big)
        buffer.writeInteger(streamID, endianness: .big)
    }
}
