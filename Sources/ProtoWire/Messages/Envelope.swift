/// InferWire's envelope messages (proto/inferwire.proto): the headers that open a stream of the
/// binary protocol and the status that ends it.

/// The V2 method a stream calls. An open enum, as proto3 enums are: unknown numbers survive.
public struct Method: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unspecified = Method(rawValue: 0)
    public static let serverLive = Method(rawValue: 1)
    public static let serverReady = Method(rawValue: 2)
    public static let modelReady = Method(rawValue: 3)
    public static let serverMetadata = Method(rawValue: 4)
    public static let modelMetadata = Method(rawValue: 5)
    public static let modelInfer = Method(rawValue: 6)
    /// Server streaming: one ModelInferRequest, a stream of ModelStreamInferResponse.
    public static let modelStreamInfer = Method(rawValue: 7)
    public static let repositoryIndex = Method(rawValue: 8)
    public static let repositoryModelLoad = Method(rawValue: 9)
    public static let repositoryModelUnload = Method(rawValue: 10)

    public static let all: [Method] = [
        .serverLive, .serverReady, .modelReady, .serverMetadata, .modelMetadata, .modelInfer,
        .modelStreamInfer, .repositoryIndex, .repositoryModelLoad, .repositoryModelUnload,
    ]

    /// The RPC name, as in proto/inference.proto.
    public var description: String {
        switch self {
        case .serverLive: "ServerLive"
        case .serverReady: "ServerReady"
        case .modelReady: "ModelReady"
        case .serverMetadata: "ServerMetadata"
        case .modelMetadata: "ModelMetadata"
        case .modelInfer: "ModelInfer"
        case .modelStreamInfer: "ModelStreamInfer"
        case .repositoryIndex: "RepositoryIndex"
        case .repositoryModelLoad: "RepositoryModelLoad"
        case .repositoryModelUnload: "RepositoryModelUnload"
        default: "Method(\(rawValue))"
        }
    }
}

/// Payload of a HEADERS frame (`inferwire.RequestHeaders`).
public struct RequestHeaders: ProtoMessage {
    public var method = Method.unspecified
    public var modelName = ""
    public var modelVersion = ""
    public var requestID = ""
    /// 0: no deadline.
    public var timeoutMilliseconds: UInt64 = 0
    /// "Bearer <token>"; a secret, never logged.
    public var authorization = ""
    public var metadata: [String: String] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    public init(
        method: Method, modelName: String = "", modelVersion: String = "", requestID: String = "",
        timeoutMilliseconds: UInt64 = 0, authorization: String = "", metadata: [String: String] = [:]
    ) {
        self.method = method
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.requestID = requestID
        self.timeoutMilliseconds = timeoutMilliseconds
        self.authorization = authorization
        self.metadata = metadata
    }

    static func fieldName(_ number: Int) -> String? {
        switch number {
        case 1: "method"
        case 2: "model_name"
        case 3: "model_version"
        case 4: "request_id"
        case 5: "timeout_ms"
        case 6: "authorization"
        case 7: "metadata"
        default: nil
        }
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: Self.fieldName) { (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.method = Method(rawValue: Int32(truncatingIfNeeded: try reader.readInt64(tag.wireType)))
            case 2: message.modelName = try reader.readString(tag.wireType)
            case 3: message.modelVersion = try reader.readString(tag.wireType)
            case 4: message.requestID = try reader.readString(tag.wireType)
            case 5: message.timeoutMilliseconds = try reader.readUInt64(tag.wireType)
            case 6: message.authorization = try reader.readString(tag.wireType)
            case 7: try reader.readMapEntry(tag.wireType, into: &message.metadata)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        WireSize.uint64(1, UInt64(bitPattern: Int64(method.rawValue))) + WireSize.string(2, modelName)
            + WireSize.string(3, modelVersion) + WireSize.string(4, requestID)
            + WireSize.uint64(5, timeoutMilliseconds) + WireSize.string(6, authorization)
            + MapEntrySize.total(7, metadata) + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeUInt64(1, UInt64(bitPattern: Int64(method.rawValue)))
        writer.writeString(2, modelName)
        writer.writeString(3, modelVersion)
        writer.writeString(4, requestID)
        writer.writeUInt64(5, timeoutMilliseconds)
        writer.writeString(6, authorization)
        writer.writeMap(7, metadata)
        writer.writeUnknown(unknownFields)
    }
}

extension RequestHeaders: CustomStringConvertible, CustomDebugStringConvertible {
    /// Prints every field but the token: headers can end up in logs and test output.
    public var description: String {
        "RequestHeaders(method: \(method), model: \"\(modelName)\", version: \"\(modelVersion)\", request_id: \"\(requestID)\", "
            + "timeout_ms: \(timeoutMilliseconds), authorization: \(authorization.isEmpty ? "none" : "<redacted>"), metadata: \(metadata))"
    }

    public var debugDescription: String { description }
}

/// Payload of a STATUS frame (`inferwire.Status`): `code` is a gRPC status code, 0 = OK.
public struct WireStatus: ProtoMessage {
    public var code: Int32 = 0
    public var message = ""
    public var details: [String: String] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    public init(code: Int32, message: String = "", details: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { [1: "code", 2: "message", 3: "details"][$0] }) {
            (message, tag, reader) throws(ProtoWireError) in
            switch tag.number {
            case 1: message.code = Int32(truncatingIfNeeded: try reader.readInt64(tag.wireType))
            case 2: message.message = try reader.readString(tag.wireType)
            case 3: try reader.readMapEntry(tag.wireType, into: &message.details)
            default: return false
            }
            return true
        }
    }

    public func _encodedSize() -> Int {
        WireSize.uint64(1, UInt64(bitPattern: Int64(code))) + WireSize.string(2, message)
            + MapEntrySize.total(3, details) + unknownFields.bytes.count
    }

    public func _encode(to writer: inout WireWriter) {
        writer.writeUInt64(1, UInt64(bitPattern: Int64(code)))
        writer.writeString(2, message)
        writer.writeMap(3, details)
        writer.writeUnknown(unknownFields)
    }
}
