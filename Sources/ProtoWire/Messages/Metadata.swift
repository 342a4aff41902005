/// `ServerMetadataResponse`.
public struct ServerMetadataResponse: ProtoMessage {
    public var name = ""
    public var version = ""
    public var extensions: [String] = []
    public var unknownFields = UnknownFields()

    public init() {}

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "name"
        case 2: "version"
        case 3: "extensions"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.name = try reader.readString(tag.wireType)
            case 2: message.version = try reader.readString(tag.wireType)
            case 3: try reader.appendString(tag.wireType, to: &message.extensions)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.string(1, name) + WireSize.string(2, version)
        for index in extensions.indices {
            size += WireSize.lengthDelimited(3, extensions[index].utf8.count)
        }
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, name)
        writer.writeString(2, version)
        for index in extensions.indices {
            writer.writeString(3, extensions[index], always: true)
        }
        writer.writeUnknown(unknownFields)
    }
}

/// `ModelMetadataResponse`; `parameters` (here and on tensors) is MLServer's extension.
public struct ModelMetadataResponse: ProtoMessage {
    public var name = ""
    public var versions: [String] = []
    public var platform = ""
    public var inputs: [TensorMetadata] = []
    public var outputs: [TensorMetadata] = []
    public var parameters: [String: InferParameter] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    /// `ModelMetadataResponse.TensorMetadata`; a shape dimension of -1 is variable.
    public struct TensorMetadata: ProtoMessage {
        public var name = ""
        public var datatype = ""
        public var shape: [Int64] = []
        public var parameters: [String: InferParameter] = [:]
        public var unknownFields = UnknownFields()

        public init() {}

        public init(name: String, datatype: String, shape: [Int64], parameters: [String: InferParameter] = [:]) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
            self.parameters = parameters
        }

        public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
            try reader.readFields(into: &self, names: TensorFields.name) { (message, tag, reader) throws(ProtoWireError) in
                switch tag.number {
                case 1: message.name = try reader.readString(tag.wireType)
                case 2: message.datatype = try reader.readString(tag.wireType)
                case 3: try reader.appendVarints(tag.wireType, to: &message.shape)
                case 4: try reader.readMapEntry(tag.wireType, into: &message.parameters)
                default: return false
                }
                return true
            }
        }

        public func _encodedSize() -> Int {
            TensorFields.size(name, datatype, shape, parameters, nil) + unknownFields.bytes.count
        }

        public func _encode(to writer: inout WireWriter) {
            TensorFields.encode(name, datatype, shape, parameters, nil, to: &writer)
            writer.writeUnknown(unknownFields)
        }
    }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "name"
        case 2: "versions"
        case 3: "platform"
        case 4: "inputs"
        case 5: "outputs"
        case 6: "parameters"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.name = try reader.readString(tag.wireType)
            case 2: try reader.appendString(tag.wireType, to: &message.versions)
            case 3: message.platform = try reader.readString(tag.wireType)
            case 4: try reader.appendMessage(tag.wireType, to: &message.inputs, limit: reader.limits.maxTensorCount)
            case 5: try reader.appendMessage(tag.wireType, to: &message.outputs, limit: reader.limits.maxTensorCount)
            case 6: try reader.readMapEntry(tag.wireType, into: &message.parameters)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = WireSize.string(1, name)
        for index in versions.indices {
            size += WireSize.lengthDelimited(2, versions[index].utf8.count)
        }
        size += WireSize.string(3, platform)
        size += WireSize.messages(4, inputs)
        size += WireSize.messages(5, outputs)
        size += MapEntrySize.total(6, parameters)
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, name)
        for index in versions.indices {
            writer.writeString(2, versions[index], always: true)
        }
        writer.writeString(3, platform)
        writer.writeMessages(4, inputs)
        writer.writeMessages(5, outputs)
        writer.writeMap(6, parameters)
        writer.writeUnknown(unknownFields)
    }
}
