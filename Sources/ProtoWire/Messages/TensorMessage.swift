import NIOCore

/// InferInputTensor and InferOutputTensor: the same fields with the same numbers, so one
/// implementation of their wire format.
public protocol TensorMessage: ProtoMessage {
    var name: String { get set }
    var datatype: String { get set }
    var shape: [Int64] { get set }
    var parameters: [String: InferParameter] { get set }
    var contents: InferTensorContents? { get set }
}

extension TensorMessage {
    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: TensorFields.name) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.name = try reader.readString(tag.wireType)
            case 2: message.datatype = try reader.readString(tag.wireType)
            case 3: try reader.appendVarints(tag.wireType, to: &message.shape)
            case 4: try reader.readMapEntry(tag.wireType, into: &message.parameters)
            case 5: try reader.mergeMessage(tag.wireType, into: &message.contents)
            default: return false
            }
            return true
        }
    }

    @inline(__always)
    public func _encodedSize() -> Int {
        TensorFields.size(name, datatype, shape, parameters, contents) + unknownFields.bytes.count
    }

    @inline(__always)
    public func _encode(to writer: inout WireWriter) {
        TensorFields.encode(name, datatype, shape, parameters, contents, to: &writer)
        writer.writeUnknown(unknownFields)
    }
}

/// The fields InferInputTensor and InferOutputTensor share (same names and numbers).
enum TensorFields {
    static func name(_ number: Int) -> String? {
        switch number {
        case 1: "name"
        case 2: "datatype"
        case 3: "shape"
        case 4: "parameters"
        case 5: "contents"
        default: nil
        }
    }

    @inline(__always)
    static func size(
        _ name: String, _ datatype: String, _ shape: [Int64],
        _ parameters: [String: InferParameter], _ contents: InferTensorContents?
    ) -> Int {
        var size = WireSize.string(1, name) + WireSize.string(2, datatype)
        size += WireSize.packedVarints(3, shape)
        size += MapEntrySize.total(4, parameters)
        if let contents {
            size += WireSize.message(5, contents._encodedSize())
        }
        return size
    }

    @inline(__always)
    static func encode(
        _ name: String, _ datatype: String, _ shape: [Int64],
        _ parameters: [String: InferParameter], _ contents: InferTensorContents?,
        to writer: inout WireWriter
    ) {
        writer.writeString(1, name)
        writer.writeString(2, datatype)
        writer.writePackedVarints(3, shape)
        writer.writeMap(4, parameters)
        if let contents {
            writer.writeMessage(5, contents)
        }
    }
}
