import NIOCore

/// One request, tensor or response parameter (`InferParameter`).
///
/// A oneof: when several members arrive, the last one wins; a member set to its default value is
/// still written. `double` and `uint64` are OIP/Triton members (see proto/inference.proto): they
/// carry the structured parameters MLServer's own gRPC converter drops.
public struct InferParameter: ProtoMessage, Hashable {
    public enum Value: Sendable, Hashable {
        case bool(Bool)
        case int64(Int64)
        case string(String)
        case double(Double)
        case uint64(UInt64)
    }

    /// nil when no member was set.
    public var value: Value?
    public var unknownFields = UnknownFields()

    public init() {}

    public init(_ value: Value) {
        self.value = value
    }

    public static func bool(_ value: Bool) -> InferParameter { InferParameter(.bool(value)) }
    public static func int64(_ value: Int64) -> InferParameter { InferParameter(.int64(value)) }
    public static func string(_ value: String) -> InferParameter { InferParameter(.string(value)) }
    public static func double(_ value: Double) -> InferParameter { InferParameter(.double(value)) }
    public static func uint64(_ value: UInt64) -> InferParameter { InferParameter(.uint64(value)) }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "bool_param"
        case 2: "int64_param"
        case 3: "string_param"
        case 4: "double_param"
        case 5: "uint64_param"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.value = .bool(try reader.readBool(tag.wireType))
            case 2: message.value = .int64(try reader.readInt64(tag.wireType))
            case 3: message.value = .string(try reader.readString(tag.wireType))
            case 4: message.value = .double(try reader.readDouble(tag.wireType))
            case 5: message.value = .uint64(try reader.readUInt64(tag.wireType))
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        let valueSize: Int
        switch value {
        case nil: valueSize = 0
        case .bool: valueSize = 2
        case .int64(let v): valueSize = 1 + WireSize.varint(UInt64(bitPattern: v))
        case .string(let v): valueSize = WireSize.lengthDelimited(3, v.utf8.count)
        case .double: valueSize = 9
        case .uint64(let v): valueSize = 1 + WireSize.varint(v)
        }
        return valueSize + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        switch value {
        case nil: break
        case .bool(let v): writer.writeBool(1, v, always: true)
        case .int64(let v): writer.writeUInt64(2, UInt64(bitPattern: v), always: true)
        case .string(let v): writer.writeString(3, v, always: true)
        case .double(let v): writer.writeDouble(4, v, always: true)
        case .uint64(let v): writer.writeUInt64(5, v, always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}

/// A model repository parameter (`ModelRepositoryParameter`): like `InferParameter`, with
/// `bytes` (a slice of the received buffer) instead of the numeric extras.
public struct ModelRepositoryParameter: ProtoMessage {
    public enum Value: Sendable, Equatable {
        case bool(Bool)
        case int64(Int64)
        case string(String)
        case bytes(ByteBuffer)
    }

    public var value: Value?
    public var unknownFields = UnknownFields()

    public init() {}

    public init(_ value: Value) {
        self.value = value
    }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "bool_param"
        case 2: "int64_param"
        case 3: "string_param"
        case 4: "bytes_param"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.value = .bool(try reader.readBool(tag.wireType))
            case 2: message.value = .int64(try reader.readInt64(tag.wireType))
            case 3: message.value = .string(try reader.readString(tag.wireType))
            case 4: message.value = .bytes(try reader.readBytes(tag.wireType))
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        let valueSize: Int
        switch value {
        case nil: valueSize = 0
        case .bool: valueSize = 2
        case .int64(let v): valueSize = 1 + WireSize.varint(UInt64(bitPattern: v))
        case .string(let v): valueSize = WireSize.lengthDelimited(3, v.utf8.count)
        case .bytes(let v): valueSize = WireSize.lengthDelimited(4, v.readableBytes)
        }
        return valueSize + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        switch value {
        case nil: break
        case .bool(let v): writer.writeBool(1, v, always: true)
        case .int64(let v): writer.writeUInt64(2, UInt64(bitPattern: v), always: true)
        case .string(let v): writer.writeString(3, v, always: true)
        case .bytes(let v): writer.writeBytes(4, v, always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}
