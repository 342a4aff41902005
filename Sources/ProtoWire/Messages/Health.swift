/// Health and metadata messages: small, and all written the same way.

/// A message with no fields (`ServerLiveRequest`, `ServerReadyRequest`,
/// `ServerMetadataRequest`, `RepositoryModelLoadResponse`, `RepositoryModelUnloadResponse`).
/// Unknown fields still round-trip.
public protocol EmptyProtoMessage: ProtoMessage {}

extension EmptyProtoMessage {
    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { _ in nil }) { (_, _, _) throws(ProtoWireError) in false }
    }

    public func _encodedSize() -> Int { unknownFields.bytes.count }

    public func _encode(to writer: inout WireWriter) {
        writer.writeUnknown(unknownFields)
    }
}

public struct ServerLiveRequest: EmptyProtoMessage {
    public var unknownFields = UnknownFields()
    public init() {}
}

public struct ServerReadyRequest: EmptyProtoMessage {
    public var unknownFields = UnknownFields()
    public init() {}
}

public struct ServerMetadataRequest: EmptyProtoMessage {
    public var unknownFields = UnknownFields()
    public init() {}
}

public struct RepositoryModelLoadResponse: EmptyProtoMessage {
    public var unknownFields = UnknownFields()
    public init() {}
}

public struct RepositoryModelUnloadResponse: EmptyProtoMessage {
    public var unknownFields = UnknownFields()
    public init() {}
}

/// A message whose only field is `bool <name> = 1` (`ServerLiveResponse.live`,
/// `ServerReadyResponse.ready`, `ModelReadyResponse.ready`).
public protocol BoolProtoMessage: ProtoMessage {
    static var fieldName: String { get }
    var flag: Bool { get set }
}

extension BoolProtoMessage {
    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { $0 == 1 ? Self.fieldName : nil }) {
            (message, tag, reader) throws(ProtoWireError) in
            guard tag.number == 1 else { return false }
            message.flag = try reader.readBool(tag.wireType)
            return true
        }
    }

    public func _encodedSize() -> Int { WireSize.bool(1, flag) + unknownFields.bytes.count }

    public func _encode(to writer: inout WireWriter) {
        writer.writeBool(1, flag)
        writer.writeUnknown(unknownFields)
    }
}

public struct ServerLiveResponse: BoolProtoMessage {
    public static let fieldName = "live"
    public var live = false
    public var unknownFields = UnknownFields()
    public var flag: Bool { get { live } set { live = newValue } }
    public init() {}
    public init(live: Bool) { self.live = live }
}

public struct ServerReadyResponse: BoolProtoMessage {
    public static let fieldName = "ready"
    public var ready = false
    public var unknownFields = UnknownFields()
    public var flag: Bool { get { ready } set { ready = newValue } }
    public init() {}
    public init(ready: Bool) { self.ready = ready }
}

public struct ModelReadyResponse: BoolProtoMessage {
    public static let fieldName = "ready"
    public var ready = false
    public var unknownFields = UnknownFields()
    public var flag: Bool { get { ready } set { ready = newValue } }
    public init() {}
    public init(ready: Bool) { self.ready = ready }
}

/// A message of `string name = 1; string version = 2` (`ModelReadyRequest`,
/// `ModelMetadataRequest`).
public protocol ModelReferenceMessage: ProtoMessage {
    var name: String { get set }
    var version: String { get set }
}

extension ModelReferenceMessage {
    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { [1: "name", 2: "version"][$0] }) {
            (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.name = try reader.readString(tag.wireType)
            case 2: message.version = try reader.readString(tag.wireType)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        WireSize.string(1, name) + WireSize.string(2, version) + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, name)
        writer.writeString(2, version)
        writer.writeUnknown(unknownFields)
    }
}

public struct ModelReadyRequest: ModelReferenceMessage {
    public var name = ""
    /// Empty: the server picks the version.
    public var version = ""
    public var unknownFields = UnknownFields()
    public init() {}
    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}

public struct ModelMetadataRequest: ModelReferenceMessage {
    public var name = ""
    public var version = ""
    public var unknownFields = UnknownFields()
    public init() {}
    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}
