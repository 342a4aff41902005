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
        /// A BYTES element that must be text is not UTF-8.
        case notUTF8(element: Int)
    }

    public var kind: Kind
    /// The tensor's name ("" when it has none).
    public var tensor: String

    public init(_ kind: Kind, tensor: String) {
        self.kind = kind
        self.tensor = tensor
    }

    public var description: String {
        tensor.isEmpty ? "\(kind)" : "tensor '\(tensor)': \(kind)"
    }
}

extension TensorDataError.Kind: CustomStringConvertible {
    /// In words, for error messages that reach users (no Swift type names).
    public var description: String {
        switch self {
        case .unknownDatatype(let name): "datatype \(name) is not a V2 datatype"
        case .negativeDimension(let index, let value): "dimension \(index) of the shape is \(value), below zero"
        case .shapeTooLarge: "the shape's element count or byte size overflows"
        case .rawSizeMismatch(let expected, let actual): "raw contents hold \(actual) bytes, the shape and datatype need \(expected)"
        case .truncatedLengthPrefix(let element, let offset): "element \(element): its 4-byte length prefix is cut off at byte \(offset)"
        case .elementPastEnd(let element, let offset, let length, let available):
            "element \(element) at byte \(offset): its length \(length) runs past the end (\(available) bytes left)"
        case .elementCountMismatch(let expected, let actual): "the data holds \(actual) elements, the shape says \(expected)"
        case .rawContentsCountMismatch(let tensors, let raw): "\(raw) raw contents for \(tensors) tensors: give one per tensor or none"
        case .contentsAndRawContents: "it has both typed contents and raw contents"
        case .contentsDatatypeMismatch(let member): "\(member) does not match the datatype"
        case .wrongElementType(let requested): "it is not \(requested)"
        case .notUTF8(let element): "element \(element) is not UTF-8 text"
        }
    }
}
