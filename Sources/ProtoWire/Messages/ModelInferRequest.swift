import NIOCore

/// An inference request (`ModelInferRequest`).
///
/// `rawInputContents[i]` holds the data of `inputs[i]` (see `TensorData`); each is a slice of
/// the received buffer, so a 1 MiB image costs no more to decode than a 1 KiB one.
public struct ModelInferRequest: ProtoMessage {
    public var modelName = ""
    public var modelVersion = ""
    public var id = ""
    public var parameters: [String: InferParameter] = [:]
    public var inputs: [InferInputTensor] = []
    public var outputs: [InferRequestedOutputTensor] = []
    public var rawInputContents: [ByteBuffer] = []
    public var unknownFields = UnknownFields()

    public init() {}

    /// One input tensor (`ModelInferRequest.InferInputTensor`).
    public struct InferInputTensor: TensorMessage {
        public var name = ""
        public var datatype = ""
        public var shape: [Int64] = []
        public var parameters: [String: InferParameter] = [:]
        /// Must be nil when the request uses `rawInputContents`.
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

    /// A requested output (`ModelInferRequest.InferRequestedOutputTensor`).
    public struct InferRequestedOutputTensor: ProtoMessage {
        public var name = ""
        public var parameters: [String: InferParameter] = [:]
        public var unknownFields = UnknownFields()

        public init() {}

        public init(name: String, parameters: [String: InferParameter] = [:]) {
            self.name = name
            self.parameters = parameters
        }

        static func fieldName(_ number: Int) -> String? {
            switch number {
            case 1: "name"
            case 2: "parameters"
            default: nil
            }
        }

        public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
            try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
                switch tag.number {
                case 1: message.name = try reader.readString(tag.wireType)
                case 2: try reader.readMapEntry(tag.wireType, into: &message.parameters)
                default: return false
                }
                return true
            }
        }

        public func _encodedSize() -> Int {
            WireSize.string(1, name) + MapEntrySize.total(2, parameters) + unknownFields.bytes.count
        }

        public func _encode(to writer: inout WireWriter) {
            writer.writeString(1, name)
            writer.writeMap(2, parameters)
            writer.writeUnknown(unknownFields)
        }
    }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "model_name"
        case 2: "model_version"
        case 3: "id"
        case 4: "parameters"
        case 5: "inputs"
        case 6: "outputs"
        case 7: "raw_input_contents"
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
            case 5: try reader.appendMessage(tag.wireType, to: &message.inputs, limit: reader.limits.maxTensorCount)
            case 6: try reader.appendMessage(tag.wireType, to: &message.outputs, limit: reader.limits.maxTensorCount)
            case 7: try reader.appendBytes(tag.wireType, to: &message.rawInputContents, limit: reader.limits.maxTensorCount)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.string(1, modelName) + WireSize.string(2, modelVersion) + WireSize.string(3, id)
        size += MapEntrySize.total(4, parameters)
        size += WireSize.messages(5, inputs)
        size += WireSize.messages(6, outputs)
        for index in rawInputContents.indices {
            size += WireSize.lengthDelimited(7, rawInputContents[index].readableBytes)
        }
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, modelName)
        writer.writeString(2, modelVersion)
        writer.writeString(3, id)
        writer.writeMap(4, parameters)
        writer.writeMessages(5, inputs)
        writer.writeMessages(6, outputs)
        for index in rawInputContents.indices {
            writer.writeBytes(7, rawInputContents[index], always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}
