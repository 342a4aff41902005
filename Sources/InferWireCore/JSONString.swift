import NIOCore

/// The one JSON string escaper: quotes, backslashes and control characters escaped; `/` and
/// non-ASCII kept as they are. Every writer of JSON text in InferWire (settings values, provider
/// request bodies, the HTTP door's answers, the CLI's output, the load report) escapes through
/// it, so they agree byte for byte. It works on UTF-8 bytes: a control character is always a
/// single byte there. Runs of bytes that need no escape are copied at once, not byte by byte.
public enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal, quotes included.
    public static func appendQuoted(_ text: String, to output: inout [UInt8]) {
        withUTF8(text) { utf8 in
            output.append(UInt8(ascii: "\""))
            forEachPiece(of: utf8) { output.append(contentsOf: $0) } escaped: { output.append(contentsOf: escapes[Int($0)]) }
            output.append(UInt8(ascii: "\""))
        }
    }

    /// Appends `text` as a JSON string literal, quotes included.
    public static func appendQuoted(_ text: String, to output: inout ByteBuffer) {
        withUTF8(text) { appendQuoted(utf8: $0, to: &output) }
    }

    /// Appends UTF-8 bytes as a JSON string literal, quotes included.
    public static func appendQuoted(utf8: UnsafeRawBufferPointer, to output: inout ByteBuffer) {
        output.reserveCapacity(minimumWritableBytes: utf8.count + 2)
        output.writeInteger(UInt8(ascii: "\""))
        forEachPiece(of: utf8) { output.writeBytes($0) } escaped: { output.writeBytes(escapes[Int($0)]) }
        output.writeInteger(UInt8(ascii: "\""))
    }

    /// Hands over the stretches that stand as themselves and, between them, each byte that
    /// must be escaped.
    @inline(__always)
    private static func forEachPiece(of bytes: UnsafeRawBufferPointer, run: (UnsafeRawBufferPointer) -> Void, escaped: (UInt8) -> Void) {
        var start = 0
        for position in 0..<bytes.count {
            let byte = bytes[position]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if position > start { run(UnsafeRawBufferPointer(rebasing: bytes[start..<position])) }
            escaped(byte)
            start = position + 1
        }
        if bytes.count > start { run(UnsafeRawBufferPointer(rebasing: bytes[start...])) }
    }

    private static func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var text = text
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// The escape of each byte that needs one (the others' entries are never used).
    private static let escapes: [[UInt8]] = (0..<256).map { (value: Int) -> [UInt8] in
        let hex = Array("0123456789abcdef".utf8)
        switch value {
        case 0x22: return Array(#"\""#.utf8)
        case 0x5C: return Array(#"\\"#.utf8)
        case 0x0A: return Array(#"\n"#.utf8)
        case 0x0D: return Array(#"\r"#.utf8)
        case 0x09: return Array(#"\t"#.utf8)
        case 0..<0x20: return Array(#"\u00"#.utf8) + [hex[value >> 4], hex[value & 0x0f]]
        default: return [UInt8(value)]
        }
    }
}
