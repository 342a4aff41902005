import NIOCore

/// Typed tensor data (`InferTensorContents`). Exactly one member should be non-empty, matching
/// the tensor's datatype; `bytesContents` elements are slices of the received buffer.
public struct InferTensorContents: ProtoMessage {
    public var boolContents: [Bool] = []
    public var intContents: [Int32] = []
    public var int64Contents: [Int64] = []
    public var uintContents: [UInt32] = []
    public var uint64Contents: [UInt64] = []
    public var fp32Contents: [Float] = []
    public var fp64Contents: [Double] = []
    public var bytesContents: [ByteBuffer] = []
    public var unknownFields = UnknownFields()

    public init() {}

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "bool_contents"
        case 2: "int_contents"
        case 3: "int64_contents"
        case 4: "uint_contents"
        case 5: "uint64_contents"
        case 6: "fp32_contents"
        case 7: "fp64_contents"
        case 8: "bytes_contents"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: try reader.appendBools(tag.wireType, to: &message.boolContents)
            case 2: try reader.appendVarints(tag.wireType, to: &message.intContents)
            case 3: try reader.appendVarints(tag.wireType, to: &message.int64Contents)
            case 4: try reader.appendVarints(tag.wireType, to: &message.uintContents)
            case 5: try reader.appendVarints(tag.wireType, to: &message.uint64Contents)
            case 6:
                try reader.appendFixed(tag.wireType, to: &message.fp32Contents, unpacked: .fixed32) {
                    (reader) throws(ProtoWireError) in Float(bitPattern: try reader.readFixed32())
                }
            case 7:
                try reader.appendFixed(tag.wireType, to: &message.fp64Contents, unpacked: .fixed64) {
                    (reader) throws(ProtoWireError) in Double(bitPattern: try reader.readFixed64())
                }
            case 8:
                try reader.appendBytes(tag.wireType, to: &message.bytesContents, limit: reader.limits.maxRepeatedCount)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.packedFixed(1, count: boolContents.count, elementSize: 1)
        size += WireSize.packedVarints(2, intContents)
        size += WireSize.packedVarints(3, int64Contents)
        size += WireSize.packedVarints(4, uintContents)
        size += WireSize.packedVarints(5, uint64Contents)
        size += WireSize.packedFixed(6, count: fp32Contents.count, elementSize: 4)
        size += WireSize.packedFixed(7, count: fp64Contents.count, elementSize: 8)
        for index in bytesContents.indices {
            size += WireSize.lengthDelimited(8, bytesContents[index].readableBytes)
        }
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writePackedBools(1, boolContents)
        writer.writePackedVarints(2, intContents)
        writer.writePackedVarints(3, int64Contents)
        writer.writePackedVarints(4, uintContents)
        writer.writePackedVarints(5, uint64Contents)
        writer.writePackedFixed(6, fp32Contents)
        writer.writePackedFixed(7, fp64Contents)
        for index in bytesContents.indices {
            writer.writeBytes(8, bytesContents[index], always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}
