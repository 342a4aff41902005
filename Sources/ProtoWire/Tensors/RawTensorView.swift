import NIOCore

/// A fixed-width element type of raw tensor contents (little-endian on the wire).
public protocol RawTensorElement: BitwiseCopyable, Sendable {
    /// The datatypes whose raw contents can be viewed as this type.
    static var datatypes: Set<Datatype> { get }
}


/// BOOL elements are viewed as bytes (0 or 1): loading other byte values as `Bool` is undefined.
extension UInt8: RawTensorElement { public static var datatypes: Set<Datatype> { [.uint8, .bool] } }
extension Int8: RawTensorElement { public static var datatypes: Set<Datatype> { [.int8] } }
/// FP16 and BF16 elements are viewed as their bit patterns.
extension UInt16: RawTensorElement { public static var datatypes: Set<Datatype> { [.uint16, .fp16, .bf16] } }
extension Int16: RawTensorElement { public static var datatypes: Set<Datatype> { [.int16] } }
extension UInt32: RawTensorElement { public static var datatypes: Set<Datatype> { [.uint32] } }
extension Int32: RawTensorElement { public static var datatypes: Set<Datatype> { [.int32] } }
extension UInt64: RawTensorElement { public static var datatypes: Set<Datatype> { [.uint64] } }
extension Int64: RawTensorElement { public static var datatypes: Set<Datatype> { [.int64] } }
extension Float: RawTensorElement { public static var datatypes: Set<Datatype> { [.fp32] } }
extension Double: RawTensorElement { public static var datatypes: Set<Datatype> { [.fp64] } }

/// Raw tensor contents read in place as elements of `Element`: no copy, no alignment
/// requirement on the received bytes.
public struct RawTensorView<Element: RawTensorElement>: RandomAccessCollection, Sendable {
    public let buffer: ByteBuffer

    /// Views `raw` as `Element`s; its size must be a whole number of elements and the datatype
    /// must be one `Element` represents.
    public init(_ raw: ByteBuffer, datatype: Datatype, tensor: String = "") throws(TensorDataError) {
        guard Element.datatypes.contains(datatype) else {
            throw TensorDataError(.wrongElementType(requested: "\(Element.self)"), tensor: tensor)
        }
        let size = MemoryLayout<Element>.size
        guard raw.readableBytes % size == 0 else {
            let whole = raw.readableBytes / size * size
            throw TensorDataError(.rawSizeMismatch(expected: whole, actual: raw.readableBytes), tensor: tensor)
        }
        self.buffer = raw
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { buffer.readableBytes / MemoryLayout<Element>.size }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < endIndex, "RawTensorView index out of range")
        return buffer.withUnsafeReadableBytes { bytes in
            #if _endian(little)
            return bytes.loadUnaligned(fromByteOffset: position * MemoryLayout<Element>.size, as: Element.self)
            #else
            #error("RawTensorView assumes a little-endian host")
            #endif
        }
    }

    /// Copies the elements into an array (one allocation, one memcpy).
    public var values: [Element] {
        let count = endIndex
        return [Element](unsafeUninitializedCapacity: count) { storage, initialized in
            buffer.withUnsafeReadableBytes { bytes in
                if count > 0 {
                    UnsafeMutableRawPointer(storage.baseAddress!).copyMemory(
                        from: bytes.baseAddress!, byteCount: count * MemoryLayout<Element>.size)
                }
            }
            initialized = count
        }
    }
}

extension RawTensorView {
    /// Raw contents for `values`, little-endian.
    public static func encode(_ values: [Element]) -> ByteBuffer {
        values.withUnsafeBytes { ByteBuffer(bytes: $0) }
    }
}
