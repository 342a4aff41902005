import NIOCore

/// The BYTES datatype in raw contents: each element is a 4-byte little-endian length followed
/// by that many bytes.
public enum BytesElements {
    /// Splits raw BYTES contents into elements, each a slice of `raw` (no copy).
    public static func split(_ raw: ByteBuffer, tensor: String = "") throws(TensorDataError) -> [ByteBuffer] {
        var elements: [ByteBuffer] = []
        var offset = 0
        let total = raw.readableBytes
        let start = raw.readerIndex
        while offset < total {
            guard total - offset >= 4 else {
                throw TensorDataError(.truncatedLengthPrefix(element: elements.count, offset: offset), tensor: tensor)
            }
            let length = Int(raw.getInteger(at: start + offset, endianness: .little, as: UInt32.self)!)
            let available = total - offset - 4
            guard length <= available else {
                throw TensorDataError(
                    .elementPastEnd(element: elements.count, offset: offset, length: length, available: available),
                    tensor: tensor)
            }
            elements.append(raw.getSlice(at: start + offset + 4, length: length)!)
            offset += 4 + length
        }
        return elements
    }

    /// Encodes elements in the raw BYTES layout, in one allocation.
    public static func encode<Element: Collection<UInt8>>(_ elements: [Element]) -> ByteBuffer {
        var size = 0
        for element in elements { size += 4 + element.count }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        for element in elements {
            buffer.writeInteger(UInt32(element.count), endianness: .little)
            buffer.writeBytes(element)
        }
        return buffer
    }

    /// Encodes UTF-8 strings in the raw BYTES layout, in one allocation.
    public static func encode(strings: [String]) -> ByteBuffer {
        var size = 0
        for string in strings { size += 4 + string.utf8.count }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        for string in strings {
            buffer.writeInteger(UInt32(string.utf8.count), endianness: .little)
            buffer.writeString(string)
        }
        return buffer
    }

    /// Encodes buffers' readable bytes in the raw BYTES layout, in one allocation.
    public static func encode(buffers: [ByteBuffer]) -> ByteBuffer {
        var size = 0
        for element in buffers { size += 4 + element.readableBytes }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        for element in buffers {
            buffer.writeInteger(UInt32(element.readableBytes), endianness: .little)
            buffer.writeImmutableBuffer(element)
        }
        return buffer
    }
}
