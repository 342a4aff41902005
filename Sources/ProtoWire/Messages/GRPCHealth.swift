/// gRPC's standard health service messages (package `grpc.health.v1`), which Kubernetes' gRPC
/// probes and `grpc_health_probe` send:
///
///     message HealthCheckRequest { string service = 1; }
///     message HealthCheckResponse {
///       enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
///       ServingStatus status = 1;
///     }
public struct HealthCheckRequest: ProtoMessage {
    /// Empty: the server as a whole.
    public var service = ""
    public var unknownFields = UnknownFields()

    public init() {}
    public init(service: String) { self.service = service }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { $0 == 1 ? "service" : nil }) { (message, tag, reader) throws(ProtoWireError) in
            guard tag.number == 1 else { return false }
            message.service = try reader.readString(tag.wireType)
            return true
        }
    }

    public func _encodedSize() -> Int { WireSize.string(1, service) + unknownFields.bytes.count }

    public func _encode(to writer: inout WireWriter) {
        writer.writeString(1, service)
        writer.writeUnknown(unknownFields)
    }
}

public struct HealthCheckResponse: ProtoMessage {
    public enum ServingStatus: Int64, Sendable {
        case unknown = 0, serving = 1, notServing = 2, serviceUnknown = 3
    }

    /// The wire value (an enum: values this side does not know are kept as they came).
    public var statusValue: Int64 = 0
    public var unknownFields = UnknownFields()

    public var status: ServingStatus? {
        get { ServingStatus(rawValue: statusValue) }
        set { statusValue = newValue?.rawValue ?? 0 }
    }

    public init() {}
    public init(status: ServingStatus) { statusValue = status.rawValue }

    public mutating func _decodeFields(from reader: inout WireReader) throws(ProtoWireError) {
        try reader.readFields(into: &self, names: { $0 == 1 ? "status" : nil }) { (message, tag, reader) throws(ProtoWireError) in
            guard tag.number == 1 else { return false }
            message.statusValue = try reader.readInt64(tag.wireType)
            return true
        }
    }

    public func _encodedSize() -> Int { WireSize.uint64(1, UInt64(bitPattern: statusValue)) + unknownFields.bytes.count }

    public func _encode(to writer: inout WireWriter) {
        writer.writeUInt64(1, UInt64(bitPattern: statusValue))
        writer.writeUnknown(unknownFields)
    }
}
