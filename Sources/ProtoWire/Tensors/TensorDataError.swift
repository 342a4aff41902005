/// Why a tensor's data does not match its declaration: the wire was fine, the contents are not.
/// Names the tensor and, where there is one, the element and byte offset within its raw data.
public struct TensorDataError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unknownDatatype(String)
        /// A dimension below zero (V2 shapes in requests are concrete).
        case negativeDimension(index: Int, value: Int64)
        /// The element count or byte size overflows.
        case shapeTooLarge
        /// Raw contents hold a different number of bytes than shape × element size.
        case rawSizeMismatch(expected: Int, actual: Int)
        /// A BYTES element's 4-byte length prefix is cut off.
        case truncatedLengthPrefix(element: Int, offset: Int)
        /// A BYTES element's length runs past the end of the raw contents.
        case elementPastEnd(element: Int, offset: Int, length: Int, available: Int)
        /// The data holds a different number of elements than the shape says.
        case elementCountMismatch(expected: Int, actual: Int)
        /// The message has raw contents, but not one per tensor.
        case rawContentsCountMismatch(tensors: Int, rawContents: Int)
        /// A tensor has both raw contents and typed contents.
        case contentsAndRawContents
        /// The typed contents member used does not match the datatype.
        case contentsDatatypeMismatch(member: String)
        /// A numeric view was asked for a datatype of another element type.
        case wrongElementType(requested: String)
    }

    public var kind: Kind
    /// The tensor's name ("" when it has none).
    public var tensor: String

    public init(_ kind: Kind, tensor: String) {
        self.kind = kind
        self.tensor = tensor
    }

    public var description: String {
        "tensor '\(tensor)': \(kind)"
    }
}
