import NIOCore

/// A V2 message: a plain value that decodes from and encodes to the protobuf wire format.
///
/// The underscored requirements are the per-message field tables, written by hand in
/// `Messages/`; callers use the extension methods below.
public protocol ProtoMessage: Sendable, Equatable {
    init()
    /// Fields this message does not declare, kept for re-encoding.
    var unknownFields: UnknownFields { get set }

    /// Decodes fields until the reader's current end, merging into `self`.
    mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError)
    /// Encoded size in bytes, without any enclosing tag or length.
    func _encodedSize() -> Int
    /// Writes exactly `_encodedSize()` bytes.
    func _encode(to writer: inout WireWriter)
}

extension ProtoMessage {
    /// Decodes a message from the readable bytes of `buffer` (the reader index is not moved).
    ///
    /// `bytes` fields and raw tensors in the result are slices of `buffer`'s storage.
    public init(decoding buffer: ByteBuffer, limits: DecodingLimits = .default) throws(ProtoWireError) {
        let size = buffer.readableBytes
        guard size <= limits.maxMessageSize else {
            throw ProtoWireError(.messageTooLarge(size: size, limit: limits.maxMessageSize), offset: 0)
        }
        self = try buffer.withUnsafeReadableBytes { (bytes) throws(ProtoWireError) -> Self in
            // A zero-length buffer may have no address; any valid one will do, nothing is read.
            let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            var reader = WireReader(base: base, count: size, buffer: buffer, limits: limits)
            var message = Self()
            try message._decodeFields(from: &reader)
            return message
        }
    }

    /// Decodes a message from bytes (copied once into a `ByteBuffer`).
    public init(decoding bytes: some Collection<UInt8>, limits: DecodingLimits = .default) throws(ProtoWireError) {
        try self.init(decoding: ByteBuffer(bytes: bytes), limits: limits)
    }

    /// Encoded size in bytes.
    public var encodedSize: Int { _encodedSize() }

    /// The encoding as an array: one allocation of exactly the encoded size. Inlinable so that
    /// callers in other modules get it specialized for their message type (unspecialized, the
    /// array's generic metadata was looked up on every call).
    @inlinable
    public func serializedBytes() -> [UInt8] {
        let size = _encodedSize()
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { storage, initialized in
            var writer = WireWriter(base: UnsafeMutableRawPointer(storage.baseAddress!), capacity: size)
            _encode(to: &writer)
            precondition(writer.position == size, "ProtoWire: encoded size disagrees with computed size")
            initialized = size
        }
    }

    /// Appends the encoding to `buffer`, growing it at most once.
    @inlinable
    public func encode(into buffer: inout ByteBuffer) {
        let size = _encodedSize()
        guard size > 0 else { return }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { storage in
            var writer = WireWriter(base: storage.baseAddress!, capacity: size)
            _encode(to: &writer)
            precondition(writer.position == size, "ProtoWire: encoded size disagrees with computed size")
            return size
        }
    }
}

extension WireReader {
    /// The field loop every message shares: reads tags until the end of the message, hands
    /// known fields to `decodeField` and keeps the rest as unknown fields.
    @inline(__always)
    mutating func readFields<M: ProtoMessage>(
        into message: inout M,
        names: (Int) -> String?,
        _ decodeField: (inout M, FieldTag, inout WireReader) throws(ProtoWireError) -> Bool
    ) throws(ProtoWireError) {
        while position < end {
            let tagStart = position
            let tag = try readTag()
            // An end-group tag here has no group to close, whichever field it names.
            guard tag.wireType != .endGroup else {
                throw ProtoWireError(.unmatchedEndGroup(field: tag.number), offset: tagStart)
            }
            do throws(ProtoWireError) {
                if try !decodeField(&message, tag, &self) {
                    try skipUnknown(tag, tagStart: tagStart, into: &message.unknownFields)
                }
            } catch {
                throw error.within(field: names(tag.number) ?? "#\(tag.number)")
            }
        }
    }
}
