import NIOCore

/// An inference response (`ModelInferResponse`); `rawOutputContents[i]` holds `outputs[i]`.
public struct ModelInferResponse: ProtoMessage {
    public var modelName = ""
    public var modelVersion = ""
    public var id = ""
    public var parameters: [String: InferParameter] = [:]
    public var outputs: [InferOutputTensor] = []
    public var rawOutputContents: [ByteBuffer] = []
    public var unknownFields = UnknownFields()

    public init() {}

    /// One output tensor (`ModelInferResponse.InferOutputTensor`).
    public struct InferOutputTensor: TensorMessage {
        public var name = ""
        public var datatype = ""
        public var shape: [Int64] = []
        public var parameters: [String: InferParameter] = [:]
        public var contents: InferTensorContents?
        public var unknownFields = UnknownFields()

        public init() {}

        public init(
            name: String, datatype: String, shape: [Int64],
            parameters: [String: InferParameter] = [:], contents: InferTensorContents? = nil
        ) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
            self.parameters = parameters
            self.contents = contents
        }

    }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "model_name"
        case 2: "model_version"
        case 3: "id"
        case 4: "parameters"
        case 5: "outputs"
        case 6: "raw_output_contents"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.modelName = try reader.readString(tag.wireType)
            case 2: message.modelVersion = try reader.readString(tag.wireType)
            case 3: message.id = try reader.readString(tag.wireType)
            case 4: try reader.readMapEntry(tag.wireType, into: &message.parameters)
            case 5: try reader.appendMessage(tag.wireType, to: &message.outputs, limit: reader.limits.maxTensorCount)
            case 6: try reader.appendBytes(tag.wireType, to: &message.rawOutputContents, limit: reader.limits.maxTensorCount)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.string(1, modelName) + WireSize.string(2, modelVersion) + WireSize.string(3, id)
        size += MapEntrySize.total(4, parameters)
        size += WireSize.messages(5, outputs)
        for index in rawOutputContents.indices {
            size += WireSize.lengthDelimited(6, rawOutputContents[index].readableBytes)
        }
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, modelName)
        writer.writeString(2, modelVersion)
        writer.writeString(3, id)
        writer.writeMap(4, parameters)
        writer.writeMessages(5, outputs)
        for index in rawOutputContents.indices {
            writer.writeBytes(6, rawOutputContents[index], always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}

/// One message of a ModelStreamInfer stream (Triton's wrapper): `errorMessage` is empty on
/// success; on failure it says why and `inferResponse` holds only the failed request's id.
public struct ModelStreamInferResponse: ProtoMessage {
    public var errorMessage = ""
    public var inferResponse: ModelInferResponse?
    public var unknownFields = UnknownFields()

    public init() {}

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "error_message"
        case 2: "infer_response"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.errorMessage = try reader.readString(tag.wireType)
            case 2: try reader.mergeMessage(tag.wireType, into: &message.inferResponse)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.string(1, errorMessage)
        if let inferResponse {
            size += WireSize.message(2, inferResponse._encodedSize())
        }
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, errorMessage)
        if let inferResponse {
            writer.writeMessage(2, inferResponse)
        }
        writer.writeUnknown(unknownFields)
    }
}
