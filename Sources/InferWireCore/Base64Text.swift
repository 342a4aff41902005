import ExtrasBase64
import NIOCore

/// Base64 (RFC 4648, padded) between raw memory and a `ByteBuffer`, through swift-extras-base64's
/// span API: encoded or decoded straight into the buffer that will be sent or kept, without the
/// `[UInt8]` or `String` in between that its convenience functions return.
public enum Base64Text {
    public static func encodedLength(_ count: Int) -> Int {
        Base64.encodedLength(bytesCount: count)
    }

    /// Writes the encoding of `input` into `output` (at least `encodedLength` long); returns
    /// the number of bytes written.
    @discardableResult
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let source = UnsafeBufferPointer(start: input.baseAddress?.assumingMemoryBound(to: UInt8.self), count: input.count)
        let target = UnsafeMutableBufferPointer(start: output.baseAddress?.assumingMemoryBound(to: UInt8.self), count: output.count)
        var span = MutableSpan(_unsafeElements: target)
        return Base64.encode(bytes: Span(_unsafeElements: source), into: &span)
    }

    /// Decodes base64 text into a new buffer; nil when it is not base64.
    public static func decode(_ input: UnsafeRawBufferPointer) -> ByteBuffer? {
        var buffer = ByteBufferAllocator().buffer(capacity: Base64.decodedLength(bytesCount: input.count))
        guard (try? decode(input, appendingTo: &buffer)) != nil else { return nil }
        return buffer
    }

    /// Decodes base64 text onto the end of `buffer`; throws when it is not base64.
    public static func decode(_ input: UnsafeRawBufferPointer, appendingTo buffer: inout ByteBuffer) throws {
        guard input.count > 0 else { return }
        let source = UnsafeBufferPointer(start: input.baseAddress?.assumingMemoryBound(to: UInt8.self), count: input.count)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Base64.decodedLength(bytesCount: input.count)) { output in
            let target = UnsafeMutableBufferPointer(start: output.baseAddress?.assumingMemoryBound(to: UInt8.self), count: output.count)
            var span = MutableSpan(_unsafeElements: target)
            return try Base64.decode(bytes: Span(_unsafeElements: source), into: &span)
        }
    }
}
