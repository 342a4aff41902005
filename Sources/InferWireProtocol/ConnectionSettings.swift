import NIOCore

/// What each side tells the other in its SETTINGS frame: limits on what it is willing to receive.
///
/// Payload: a sequence of 6-byte entries (u16 BE identifier, u32 BE value); unknown identifiers
/// are ignored, a missing one keeps its default.
public struct ConnectionSettings: Equatable, Sendable {
    /// Largest frame payload the sender accepts, in bytes. A whole V2 message travels in one
    /// MESSAGE frame, so this is also the largest message.
    public var maxFrameSize: UInt32
    /// Most streams the sender lets the peer have open at once.
    public var maxConcurrentStreams: UInt32

    public static let minimumFrameSize: UInt32 = 16 << 10
    public static let `default` = ConnectionSettings(maxFrameSize: 64 << 20, maxConcurrentStreams: 1024)

    public init(maxFrameSize: UInt32, maxConcurrentStreams: UInt32) {
        self.maxFrameSize = maxFrameSize
        self.maxConcurrentStreams = maxConcurrentStreams
    }

    enum Identifier: UInt16 {
        case maxFrameSize = 0x1
        case maxConcurrentStreams = 0x2
    }

    public func encode() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(12)
        buffer.writeInteger(Identifier.maxFrameSize.rawValue, endianness: .big)
        buffer.writeInteger(maxFrameSize, endianness: .big)
        buffer.writeInteger(Identifier.maxConcurrentStreams.rawValue, endianness: .big)
        buffer.writeInteger(maxConcurrentStreams, endianness: .big)
        return buffer
    }

    public static func decode(_ payload: ByteBuffer) throws(ProtocolViolation) -> ConnectionSettings {
        guard payload.readableBytes % 6 == 0 else {
            throw ProtocolViolation(.settingsError, "SETTINGS payload of \(payload.readableBytes) bytes is not a whole number of 6-byte entries")
        }
        var settings = ConnectionSettings.default
        var payload = payload
        while let identifier = payload.readInteger(endianness: .big, as: UInt16.self),
            let value = payload.readInteger(endianness: .big, as: UInt32.self)
        {
            switch Identifier(rawValue: identifier) {
            case .maxFrameSize:
                guard value >= minimumFrameSize else {
                    throw ProtocolViolation(.settingsError, "MAX_FRAME_SIZE \(value) is below the minimum \(minimumFrameSize)")
                }
                settings.maxFrameSize = value
            case .maxConcurrentStreams:
                settings.maxConcurrentStreams = value
            case nil:
                continue
            }
        }
        return settings
    }
}

/// The payload of a GOAWAY frame: the last stream the sender will finish, why, and a message for
/// humans (UTF-8, may be empty).
public struct GoAway: Equatable, Sendable {
    public var lastStreamID: UInt32
    public var code: GoAwayCode
    public var message: String

    public init(lastStreamID: UInt32, code: GoAwayCode, message: String = "") {
        self.lastStreamID = lastStreamID
        self.code = code
        self.message = message
    }

    public func encode() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(lastStreamID, endianness: .big)
        buffer.writeInteger(code.rawValue, endianness: .big)
        buffer.writeString(message)
        return buffer
    }

    public static func decode(_ payload: ByteBuffer) throws(ProtocolViolation) -> GoAway {
        var payload = payload
        guard let last = payload.readInteger(endianness: .big, as: UInt32.self),
            let code = payload.readInteger(endianness: .big, as: UInt32.self)
        else {
            throw ProtocolViolation(.protocolError, "GOAWAY payload shorter than 8 bytes")
        }
        let message = payload.readString(length: payload.readableBytes) ?? ""
        return GoAway(lastStreamID: last, code: GoAwayCode(rawValue: code), message: message)
    }
}
