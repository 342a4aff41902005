/// Fields a message does not declare, kept byte for byte (tag included) so that a message
/// passing through is re-encoded without loss. They are appended after the known fields.
public struct UnknownFields: Sendable, Equatable, Hashable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public var isEmpty: Bool { bytes.isEmpty }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }
}
