/// The six wire types of the protobuf encoding (3 and 4 are the deprecated groups, which we
/// only ever skip).
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A decoded tag.
struct FieldTag {
    var number: Int
    var wireType: WireType
}

/// Zigzag maps signed integers to unsigned so that small magnitudes stay short on the wire.
/// (No V2 field is `sint`, but the primitives are complete.)
enum ZigZag {
    @inline(__always) static func encode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }
    @inline(__always) static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
    @inline(__always) static func decode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: value >> 1) ^ -Int32(bitPattern: value & 1)
    }
    @inline(__always) static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
