import NIOCore

/// Encoded sizes, computed before writing so that every message is written in one pass into
/// storage of exactly the right size.
enum WireSize {
    @inline(__always) static func varint(_ value: UInt64) -> Int {
        // 1 byte per started group of 7 significant bits; 0 still takes one byte.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    @inline(__always) static func tag(_ field: Int) -> Int {
        varint(UInt64(field) << 3)
    }

    @inline(__always) static func lengthDelimited(_ field: Int, _ length: Int) -> Int {
        tag(field) + varint(UInt64(length)) + length
    }

    // Singular proto3 fields: the default value is not written.

    @inline(__always) static func string(_ field: Int, _ value: String) -> Int {
        value.isEmpty ? 0 : lengthDelimited(field, value.utf8.count)
    }

    @inline(__always) static func bytes(_ field: Int, _ value: ByteBuffer) -> Int {
        value.readableBytes == 0 ? 0 : lengthDelimited(field, value.readableBytes)
    }

    @inline(__always) static func bool(_ field: Int, _ value: Bool) -> Int {
        value ? tag(field) + 1 : 0
    }

    @inline(__always) static func uint64(_ field: Int, _ value: UInt64) -> Int {
        value == 0 ? 0 : tag(field) + varint(value)
    }

    @inline(__always) static func message(_ field: Int, _ size: Int) -> Int {
        lengthDelimited(field, size)
    }

    /// A repeated message field.
    @inline(__always) static func messages<M: ProtoMessage>(_ field: Int, _ values: [M]) -> Int {
        var size = 0
        for index in values.indices { size += message(field, values[index]._encodedSize()) }
        return size
    }

    // Repeated scalars are packed (the proto3 default); an empty field is not written.

    static func packedVarints<T: FixedWidthInteger>(_ field: Int, _ values: [T]) -> Int {
        let payload = packedVarintPayload(values)
        return values.isEmpty ? 0 : lengthDelimited(field, payload)
    }

    static func packedVarintPayload<T: FixedWidthInteger>(_ values: [T]) -> Int {
        var total = 0
        for value in values {
            // Negative int32/int64 are sign-extended to 64 bits: 10 bytes.
            total += varint(UInt64(truncatingIfNeeded: Int64(truncatingIfNeeded: value)))
        }
        return total
    }

    static func packedFixed(_ field: Int, count: Int, elementSize: Int) -> Int {
        count == 0 ? 0 : lengthDelimited(field, count * elementSize)
    }
}
