/// The codes of a GOAWAY frame: why a connection ends.
public struct GoAwayCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Graceful shutdown: no new streams; streams up to `lastStreamID` finish.
    public static let noError = GoAwayCode(rawValue: 0)
    /// The peer broke the protocol (bad frame, bad stream id, bad state).
    public static let protocolError = GoAwayCode(rawValue: 1)
    /// A frame larger than the receiver's MAX_FRAME_SIZE.
    public static let frameTooLarge = GoAwayCode(rawValue: 2)
    /// The first bytes were not the IWIRE preface.
    public static let badPreface = GoAwayCode(rawValue: 3)
    /// The preface names a version this side does not speak.
    public static let unsupportedVersion = GoAwayCode(rawValue: 4)
    /// The receiver failed on its own account.
    public static let internalError = GoAwayCode(rawValue: 5)
    /// The peer sent settings out of range or did not send them first.
    public static let settingsError = GoAwayCode(rawValue: 6)
    /// The peer did not do its part in time (no preface and SETTINGS after connecting).
    public static let timeout = GoAwayCode(rawValue: 7)
    /// The server has as many connections as it accepts; sent instead of SETTINGS, then close.
    public static let connectionLimit = GoAwayCode(rawValue: 8)

    public var description: String {
        switch self {
        case .noError: "NO_ERROR"
        case .protocolError: "PROTOCOL_ERROR"
        case .frameTooLarge: "FRAME_TOO_LARGE"
        case .badPreface: "BAD_PREFACE"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .internalError: "INTERNAL_ERROR"
        case .settingsError: "SETTINGS_ERROR"
        case .timeout: "TIMEOUT"
        case .connectionLimit: "CONNECTION_LIMIT"
        default: "GOAWAY_CODE(\(rawValue))"
        }
    }
}

/// A connection-level protocol error: the receiver sends GOAWAY with `code` and closes.
public struct ProtocolViolation: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: GoAwayCode
    public var message: String

    public init(_ code: GoAwayCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
