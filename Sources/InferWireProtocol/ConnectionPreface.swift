import NIOCore

/// The 8 bytes each side sends first: "IWIRE", the protocol version, CR LF. A peer that reads
/// anything else (an HTTP request, a TLS hello) closes the connection at once.
public enum ConnectionPreface {
    public static let version: UInt8 = 1
    public static let magic: [UInt8] = Array("IWIRE".utf8)
    public static let bytes: [UInt8] = magic + [version, 0x0D, 0x0A]
    public static let size = 8

    /// Checks a received preface; returns the peer's version.
    static func validate(_ bytes: ByteBufferView) throws(ProtocolViolation) -> UInt8 {
        let received = Array(bytes)
        guard received.count == size, Array(received[0..<5]) == magic, received[6] == 0x0D, received[7] == 0x0A else {
            throw ProtocolViolation(.badPreface, "not an InferWire connection (expected the IWIRE preface)")
        }
        guard received[5] == version else {
            throw ProtocolViolation(.unsupportedVersion, "protocol version \(received[5]) is not supported (this side speaks \(version))")
        }
        return received[5]
    }
}
