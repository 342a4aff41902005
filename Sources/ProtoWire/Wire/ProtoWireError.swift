/// Why a message could not be decoded, where in the message tree, and at which byte.
///
/// `fieldPath` is built while the error unwinds out of nested messages, so the happy path pays
/// nothing for it: `inputs[1].contents.fp32_contents`. `offset` counts bytes from the start of
/// the buffer handed to the decoder.
public struct ProtoWireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The input ends inside a tag, a varint, a fixed-width value or a length prefix.
        case truncated
        /// A varint longer than 10 bytes, or one whose 10th byte carries bits past bit 63.
        case malformedVarint
        /// A length prefix points past the end of the enclosing message.
        case lengthPastEnd(length: UInt64, available: Int)
        /// Wire types 6 and 7 do not exist.
        case invalidWireType(UInt8)
        /// Field number 0 is reserved; numbers above 2^29-1 cannot be encoded.
        case invalidFieldNumber(UInt64)
        /// A known field arrived with a wire type its declaration cannot have.
        case wrongWireType(expected: WireType, actual: WireType)
        /// A `string` field holds bytes that are not UTF-8.
        case invalidUTF8
        /// A packed fixed-width field whose byte length is not a multiple of the element size.
        case packedLengthNotMultiple(length: Int, elementSize: Int)
        /// An end-group tag without a start, or a group whose end tag has another field number.
        case unmatchedEndGroup(field: Int)
        /// A start-group tag whose end never comes.
        case unterminatedGroup(field: Int)
        /// The input is larger than `DecodingLimits.maxMessageSize`.
        case messageTooLarge(size: Int, limit: Int)
        /// Messages (or groups) nested deeper than `DecodingLimits.maxDepth`.
        case nestingTooDeep(limit: Int)
        /// A repeated field or map with more than `DecodingLimits.maxRepeatedCount` elements.
        case tooManyElements(limit: Int)
        /// More than `DecodingLimits.maxTensorCount` tensors in one message.
        case tooManyTensors(limit: Int)
    }

    public var kind: Kind
    /// Dotted path of the field being decoded, outermost first; empty at the top level.
    public var fieldPath: String { reversedPath.reversed().joined().trimmingLeadingDot() }
    /// Byte offset from the start of the decoded buffer.
    public var offset: Int

    // Components innermost first, appended while unwinding (".name" or "[3]").
    var reversedPath: [String] = []

    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// Adds the enclosing field's name to the path.
    func within(field name: String) -> ProtoWireError {
        var copy = self
        copy.reversedPath.append("." + name)
        return copy
    }

    /// Adds a map key to the path.
    func at(key: String) -> ProtoWireError {
        var copy = self
        copy.reversedPath.append("[\"\(key)\"]")
        return copy
    }

    /// Adds the element index of a repeated field to the path.
    func at(index: Int) -> ProtoWireError {
        var copy = self
        copy.reversedPath.append("[\(index)]")
        return copy
    }

    public var description: String {
        let path = fieldPath
        return "\(kind) at byte \(offset)" + (path.isEmpty ? "" : " in field \(path)")
    }


    public static func == (lhs: ProtoWireError, rhs: ProtoWireError) -> Bool {
        lhs.kind == rhs.kind && lhs.offset == rhs.offset && lhs.reversedPath == rhs.reversedPath
    }
}

extension ProtoWireError.Kind: CustomStringConvertible {
    /// In words, for error messages that reach users (no Swift type names).
    public var description: String {
        switch self {
        case .truncated: "the message ends in the middle of a value"
        case .malformedVarint: "a varint is longer than 10 bytes or wider than 64 bits"
        case .lengthPastEnd(let length, let available): "a length of \(length) bytes runs past the end (\(available) left)"
        case .invalidWireType(let type): "wire type \(type) does not exist"
        case .invalidFieldNumber(let number): "field number \(number) is not valid"
        case .wrongWireType(let expected, let actual): "the field is \(expected) on the wire, not \(actual)"
        case .invalidUTF8: "a string field is not valid UTF-8"
        case .packedLengthNotMultiple(let length, let size): "a packed field of \(length) bytes is not a multiple of \(size)-byte elements"
        case .unmatchedEndGroup(let field): "an end-group tag for field \(field) has no matching start"
        case .unterminatedGroup(let field): "the group of field \(field) never ends"
        case .messageTooLarge(let size, let limit): "the message is \(size) bytes, over the limit of \(limit)"
        case .nestingTooDeep(let limit): "messages nest deeper than \(limit) levels"
        case .tooManyElements(let limit): "a repeated field has more than \(limit) elements"
        case .tooManyTensors(let limit): "the message has more than \(limit) tensors"
        }
    }
}

extension WireType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .varint: "varint"
        case .fixed64: "fixed64"
        case .lengthDelimited: "length-delimited"
        case .startGroup: "start-group"
        case .endGroup: "end-group"
        case .fixed32: "fixed32"
        }
    }
}

extension String {
    fileprivate func trimmingLeadingDot() -> String {
        first == "." ? String(dropFirst()) : self
    }
}
