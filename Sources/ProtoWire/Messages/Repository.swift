/// The model repository extension (Triton's messages, which MLServer copies).

/// `RepositoryIndexRequest`: an empty repository name means every repository.
public struct RepositoryIndexRequest: ProtoMessage {
    public var repositoryName = ""
    /// True: only models that are ready.
    public var ready = false
    public var unknownFields = UnknownFields()

    public init() {}

    public init(repositoryName: String = "", ready: Bool = false) {
        self.repositoryName = repositoryName
        self.ready = ready
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { [1: "repository_name", 2: "ready"][$0] }) {
            (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.repositoryName = try reader.readString(tag.wireType)
            case 2: message.ready = try reader.readBool(tag.wireType)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        WireSize.string(1, repositoryName) + WireSize.bool(2, ready) + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, repositoryName)
        writer.writeBool(2, ready)
        writer.writeUnknown(unknownFields)
    }
}

/// `RepositoryIndexResponse`.
public struct RepositoryIndexResponse: ProtoMessage {
    public var models: [ModelIndex] = []
    public var unknownFields = UnknownFields()

    public init() {}

    /// `RepositoryIndexResponse.ModelIndex`. States are MLServer's: UNKNOWN, READY,
    /// UNAVAILABLE, LOADING, UNLOADING.
    public struct ModelIndex: ProtoMessage {
        public var name = ""
        public var version = ""
        public var state = ""
        public var reason = ""
        public var unknownFields = UnknownFields()

        public init() {}

        public init(name: String, version: String = "", state: String, reason: String = "") {
            self.name = name
            self.version = version
            self.state = state
            self.reason = reason
        }

        public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
            try reader.readFields(into: &self, names: { [1: "name", 2: "version", 3: "state", 4: "reason"][$0] }) {
                (message, tag, reader) throws(ProtoWireError) in
                switch tag.number {
                case 1: message.name = try reader.readString(tag.wireType)
                case 2: message.version = try reader.readString(tag.wireType)
                case 3: message.state = try reader.readString(tag.wireType)
                case 4: message.reason = try reader.readString(tag.wireType)
                default: return false
                }
                return true
            }
        }

        public func _encodedSize() -> Int {
            WireSize.string(1, name) + WireSize.string(2, version) + WireSize.string(3, state)
                + WireSize.string(4, reason) + unknownFields.bytes.count
        }

        public func _encode(to writer: inout WireWriter) {
            writer.writeString(1, name)
            writer.writeString(2, version)
            writer.writeString(3, state)
            writer.writeString(4, reason)
            writer.writeUnknown(unknownFields)
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { $0 == 1 ? "models" : nil }) {
            (message, tag, reader) throws(ProtoWireError) in
            guard tag.number == 1 else { return false }
            try reader.appendMessage(tag.wireType, to: &message.models, limit: reader.limits.maxRepeatedCount)
            return true
        }
    }

    public func _encodedSize() -> Int {
        var size = 0
        size += WireSize.messages(1, models)
        return size + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeMessages(1, models)
        writer.writeUnknown(unknownFields)
    }
}

/// `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest` share their fields.
public protocol RepositoryModelRequest: ProtoMessage {
    var repositoryName: String { get set }
    var modelName: String { get set }
    var parameters: [String: ModelRepositoryParameter] { get set }
}

extension RepositoryModelRequest {
    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { [1: "repository_name", 2: "model_name", 3: "parameters"][$0] }) {
            (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.repositoryName = try reader.readString(tag.wireType)
            case 2: message.modelName = try reader.readString(tag.wireType)
            case 3: try reader.readMapEntry(tag.wireType, into: &message.parameters)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        WireSize.string(1, repositoryName) + WireSize.string(2, modelName)
            + MapEntrySize.total(3, parameters) + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, repositoryName)
        writer.writeString(2, modelName)
        writer.writeMap(3, parameters)
        writer.writeUnknown(unknownFields)
    }
}

public struct RepositoryModelLoadRequest: RepositoryModelRequest {
    public var repositoryName = ""
    public var modelName = ""
    public var parameters: [String: ModelRepositoryParameter] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    public init(repositoryName: String = "", modelName: String, parameters: [String: ModelRepositoryParameter] = [:]) {
        self.repositoryName = repositoryName
        self.modelName = modelName
        self.parameters = parameters
    }
}

public struct RepositoryModelUnloadRequest: RepositoryModelRequest {
    public var repositoryName = ""
    public var modelName = ""
    public var parameters: [String: ModelRepositoryParameter] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    public init(repositoryName: String = "", modelName: String, parameters: [String: ModelRepositoryParameter] = [:]) {
        self.repositoryName = repositoryName
        self.modelName = modelName
        self.parameters = parameters
    }
}
