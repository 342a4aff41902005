import NIOCore

/// Reads the protobuf wire format from the readable bytes of one `ByteBuffer`.
///
/// It only exists inside `ProtoMessage.init(decoding:)`, while the buffer's bytes are pinned:
/// scalars are read straight from memory, and `bytes` fields become slices of the same
/// buffer (no copy). `end` is the end of the message being decoded; nested messages narrow it
/// and restore it, so no sub-buffer is ever made.
public struct WireReader {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline var position: Int
    @usableFromInline var end: Int
    /// The decoded buffer and where its readable bytes start, for zero-copy slices.
    let buffer: ByteBuffer
    let limits: DecodingLimits
    var depth: Int = 0

    init(base: UnsafeRawPointer, count: Int, buffer: ByteBuffer, limits: DecodingLimits) {
        self.base = base
        self.position = 0
        self.end = count
        self.buffer = buffer
        self.limits = limits
    }

    var isAtEnd: Bool { position >= end }

    // MARK: Varints

    /// Reads a varint of up to 10 bytes; a 10th byte may only carry bit 63.
    @inline(__always)
    mutating func readVarint() throws(ProtoWireError) -> UInt64 {
        // Fast path for the common one-byte varint (tags, small lengths, booleans).
        if position < end {
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            if first < 0x80 {
                position += 1
                return UInt64(first)
            }
        }
        return try readVarintSlow()
    }

    @inline(never)
    mutating func readVarintSlow() throws(ProtoWireError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < end else { throw ProtoWireError(.truncated, offset: start) }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            if shift == 63 {
                // 10th byte: only its lowest bit fits in 64 bits, and it must end the varint.
                guard byte <= 1 else { throw ProtoWireError(.malformedVarint, offset: start) }
                result |= UInt64(byte) << 63
                break
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        position = index
        return result
    }

    @inline(__always)
    mutating func readTag() throws(ProtoWireError) -> FieldTag {
        let start = position
        let raw = try readVarint()
        let number = raw >> 3
        guard number != 0, number <= 0x1FFF_FFFF else {
            throw ProtoWireError(.invalidFieldNumber(number), offset: start)
        }
        guard let wireType = WireType(rawValue: UInt8(truncatingIfNeeded: raw & 7)) else {
            throw ProtoWireError(.invalidWireType(UInt8(truncatingIfNeeded: raw & 7)), offset: start)
        }
        return FieldTag(number: Int(number), wireType: wireType)
    }

    // MARK: Fixed width

    @inline(__always)
    mutating func readFixed32() throws(ProtoWireError) -> UInt32 {
        guard end - position >= 4 else { throw ProtoWireError(.truncated, offset: position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    @inline(__always)
    mutating func readFixed64() throws(ProtoWireError) -> UInt64 {
        guard end - position >= 8 else { throw ProtoWireError(.truncated, offset: position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    // MARK: Length-delimited

    /// Reads a length prefix and checks that that many bytes remain in the current message.
    @inline(__always)
    mutating func readLength() throws(ProtoWireError) -> Int {
        let start = position
        let length = try readVarint()
        let available = end - position
        guard length <= UInt64(available) else {
            throw ProtoWireError(.lengthPastEnd(length: length, available: available), offset: start)
        }
        return Int(length)
    }

    @inline(__always)
    func expect(_ actual: WireType, _ expected: WireType) throws(ProtoWireError) {
        guard actual == expected else {
            throw ProtoWireError(.wrongWireType(expected: expected, actual: actual), offset: position)
        }
    }

    mutating func readString(_ wireType: WireType) throws(ProtoWireError) -> String {
        try expect(wireType, .lengthDelimited)
        let length = try readLength()
        let start = position
        position += length
        if length == 0 { return "" }
        let bytes = UnsafeBufferPointer(
            start: (base + start).assumingMemoryBound(to: UInt8.self), count: length)
        // UTF8Span validates in specialised code; `String(validating:as:)` goes through a
        // generic path that costs almost half of decoding a small request.
        guard let utf8 = try? UTF8Span(validating: Span(_unsafeElements: bytes)) else {
            throw ProtoWireError(.invalidUTF8, offset: start)
        }
        return String(copying: utf8)
    }

    /// A `bytes` field: a slice of the received buffer, sharing its storage.
    mutating func readBytes(_ wireType: WireType) throws(ProtoWireError) -> ByteBuffer {
        try expect(wireType, .lengthDelimited)
        let length = try readLength()
        let start = position
        position += length
        return buffer.getSlice(at: buffer.readerIndex + start, length: length)!
    }

    mutating func readBool(_ wireType: WireType) throws(ProtoWireError) -> Bool {
        try expect(wireType, .varint)
        return try readVarint() != 0
    }

    mutating func readInt64(_ wireType: WireType) throws(ProtoWireError) -> Int64 {
        try expect(wireType, .varint)
        return Int64(bitPattern: try readVarint())
    }

    mutating func readUInt64(_ wireType: WireType) throws(ProtoWireError) -> UInt64 {
        try expect(wireType, .varint)
        return try readVarint()
    }

    mutating func readDouble(_ wireType: WireType) throws(ProtoWireError) -> Double {
        try expect(wireType, .fixed64)
        return Double(bitPattern: try readFixed64())
    }

    // MARK: Embedded messages

    /// Decodes an embedded message into `message`, merging with what it already holds, as the
    /// spec requires when a singular message field appears more than once.
    mutating func mergeMessage<M: ProtoMessage>(
        _ wireType: WireType, into message: inout M
    ) throws(ProtoWireError) {
        try expect(wireType, .lengthDelimited)
        let length = try readLength()
        guard depth < limits.maxDepth else {
            throw ProtoWireError(.nestingTooDeep(limit: limits.maxDepth), offset: position)
        }
        let outerEnd = end
        end = position + length
        depth += 1
        try message._decodeFields(from: &self)
        depth -= 1
        end = outerEnd
    }

    /// A singular embedded message field: created on first sight, merged on every later one.
    mutating func mergeMessage<M: ProtoMessage>(
        _ wireType: WireType, into field: inout M?
    ) throws(ProtoWireError) {
        var message = field ?? M()
        // Drop the field's reference first, so merging appends to arrays in place instead of
        // copying them: a message repeated n times must not cost n² copies.
        field = nil
        try mergeMessage(wireType, into: &message)
        field = message
    }

    mutating func readMessage<M: ProtoMessage>(
        _ wireType: WireType, as type: M.Type = M.self
    ) throws(ProtoWireError) -> M {
        var message = M()
        try mergeMessage(wireType, into: &message)
        return message
    }

    /// Appends one element of a repeated message field, naming its index if it fails.
    mutating func appendMessage<M: ProtoMessage>(
        _ wireType: WireType, to array: inout [M], limit: Int
    ) throws(ProtoWireError) {
        guard array.count < limit else {
            throw tooMany(limit: limit, tensors: limit == limits.maxTensorCount)
        }
        // Tensor lists are short: start with room for a few instead of growing 1, 2, 4.
        if array.isEmpty { array.reserveCapacity(4) }
        do throws(ProtoWireError) {
            array.append(try readMessage(wireType))
        } catch {
            throw error.at(index: array.count)
        }
    }

    func tooMany(limit: Int, tensors: Bool) -> ProtoWireError {
        ProtoWireError(tensors ? .tooManyTensors(limit: limit) : .tooManyElements(limit: limit), offset: position)
    }

    // MARK: Maps

    /// One `map<string, V>` entry. A missing key or value means its default; a repeated key
    /// keeps the last value.
    mutating func readMapEntry<V: ProtoMessage>(
        _ wireType: WireType, into map: inout [String: V]
    ) throws(ProtoWireError) {
        try expect(wireType, .lengthDelimited)
        guard map.count < limits.maxRepeatedCount else {
            throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
        }
        let length = try readLength()
        // The entry and its value message are two levels, whether or not the value is on the
        // wire: an encoder writes it back (as an empty message), so an entry that fits only
        // without its value would make a message whose own encoding is refused (found by the
        // fuzzer).
        guard depth + 1 < limits.maxDepth else {
            throw ProtoWireError(.nestingTooDeep(limit: limits.maxDepth), offset: position)
        }
        let outerEnd = end
        end = position + length
        depth += 1
        var key = ""
        var value = V()
        while !isAtEnd {
            let tag = try readTag()
            switch tag.number {
            case 1:
                do throws(ProtoWireError) { key = try readString(tag.wireType) } catch { throw error.within(field: "key") }
            case 2:
                do throws(ProtoWireError) { try mergeMessage(tag.wireType, into: &value) } catch {
                    throw error.at(key: key)
                }
            default:
                try skipField(tag)
            }
        }
        depth -= 1
        end = outerEnd
        // Parameter maps hold a handful of entries: reserve once rather than rehash on growth.
        if map.isEmpty { map.reserveCapacity(4) }
        map[key] = value
    }

    /// One `map<string, string>` entry; same rules as message-valued maps.
    mutating func readMapEntry(
        _ wireType: WireType, into map: inout [String: String]
    ) throws(ProtoWireError) {
        try expect(wireType, .lengthDelimited)
        guard map.count < limits.maxRepeatedCount else {
            throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
        }
        let length = try readLength()
        let outerEnd = end
        end = position + length
        var key = ""
        var value = ""
        while !isAtEnd {
            let tag = try readTag()
            switch tag.number {
            case 1:
                do throws(ProtoWireError) { key = try readString(tag.wireType) } catch { throw error.within(field: "key") }
            case 2:
                do throws(ProtoWireError) { value = try readString(tag.wireType) } catch { throw error.at(key: key) }
            default:
                try skipField(tag)
            }
        }
        end = outerEnd
        // Parameter maps hold a handful of entries: reserve once rather than rehash on growth.
        if map.isEmpty { map.reserveCapacity(4) }
        map[key] = value
    }

    // MARK: Repeated scalars (packed or not: decoders must accept both)

    mutating func appendVarints<T: FixedWidthInteger>(
        _ wireType: WireType, to array: inout [T]
    ) throws(ProtoWireError) {
        switch wireType {
        case .varint:
            guard array.count < limits.maxRepeatedCount else {
                throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
            }
            array.append(T(truncatingIfNeeded: try readVarint()))
        case .lengthDelimited:
            let length = try readLength()
            let packedEnd = position + length
            // Each varint ends in exactly one byte below 0x80: count them to reserve once.
            var count = 0
            for index in position..<packedEnd where base.load(fromByteOffset: index, as: UInt8.self) < 0x80 {
                count += 1
            }
            guard array.count + count <= limits.maxRepeatedCount else {
                throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
            }
            array.reserveAdditional(count)
            let outerEnd = end
            end = packedEnd
            while position < packedEnd {
                array.append(T(truncatingIfNeeded: try readVarint()))
            }
            end = outerEnd
        default:
            throw ProtoWireError(.wrongWireType(expected: .lengthDelimited, actual: wireType), offset: position)
        }
    }

    mutating func appendBools(_ wireType: WireType, to array: inout [Bool]) throws(ProtoWireError) {
        var raw: [UInt64] = []
        try appendVarints(wireType, to: &raw)
        guard array.count + raw.count <= limits.maxRepeatedCount else {
            throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
        }
        array.append(contentsOf: raw.lazy.map { $0 != 0 })
    }

    /// Fixed-width elements (float, double): a packed run is copied with one memcpy on
    /// little-endian hosts.
    mutating func appendFixed<T: BitwiseCopyable>(
        _ wireType: WireType, to array: inout [T], unpacked: WireType,
        decode: (inout WireReader) throws(ProtoWireError) -> T
    ) throws(ProtoWireError) {
        let size = MemoryLayout<T>.size
        if wireType == unpacked {
            guard array.count < limits.maxRepeatedCount else {
                throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
            }
            array.append(try decode(&self))
            return
        }
        guard wireType == .lengthDelimited else {
            throw ProtoWireError(.wrongWireType(expected: .lengthDelimited, actual: wireType), offset: position)
        }
        let lengthOffset = position
        let length = try readLength()
        guard length % size == 0 else {
            throw ProtoWireError(.packedLengthNotMultiple(length: length, elementSize: size), offset: lengthOffset)
        }
        let count = length / size
        guard array.count + count <= limits.maxRepeatedCount else {
            throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
        }
        #if _endian(little)
        let source = base + position
        if array.isEmpty {
            array = [T](unsafeUninitializedCapacity: count) { storage, initialized in
                UnsafeMutableRawPointer(storage.baseAddress!).copyMemory(from: source, byteCount: length)
                initialized = count
            }
        } else {
            array.reserveAdditional(count)
            for index in 0..<count {
                array.append(source.loadUnaligned(fromByteOffset: index * size, as: T.self))
            }
        }
        position += length
        #else
        let outerEnd = end
        end = position + length
        array.reserveAdditional(count)
        while position < end { array.append(try decode(&self)) }
        end = outerEnd
        #endif
    }

    /// Appends one element of a repeated `bytes` field (a zero-copy slice).
    mutating func appendBytes(
        _ wireType: WireType, to array: inout [ByteBuffer], limit: Int
    ) throws(ProtoWireError) {
        guard array.count < limit else {
            throw tooMany(limit: limit, tensors: limit == limits.maxTensorCount)
        }
        if array.isEmpty { array.reserveCapacity(4) }
        do throws(ProtoWireError) {
            array.append(try readBytes(wireType))
        } catch {
            throw error.at(index: array.count)
        }
    }

    mutating func appendString(_ wireType: WireType, to array: inout [String]) throws(ProtoWireError) {
        guard array.count < limits.maxRepeatedCount else {
            throw tooMany(limit: limits.maxRepeatedCount, tensors: false)
        }
        do throws(ProtoWireError) {
            array.append(try readString(wireType))
        } catch {
            throw error.at(index: array.count)
        }
    }

    // MARK: Unknown fields

    /// Skips the value of a field this message does not declare and keeps its bytes.
    mutating func skipUnknown(
        _ tag: FieldTag, tagStart: Int, into unknown: inout UnknownFields
    ) throws(ProtoWireError) {
        try skipField(tag)
        unknown.append(UnsafeRawBufferPointer(start: base + tagStart, count: position - tagStart))
    }

    /// Skips one field's value; groups are skipped to their matching end tag, within the
    /// nesting limit.
    mutating func skipField(_ tag: FieldTag) throws(ProtoWireError) {
        switch tag.wireType {
        case .varint:
            _ = try readVarint()
        case .fixed64:
            _ = try readFixed64()
        case .fixed32:
            _ = try readFixed32()
        case .lengthDelimited:
            position += try readLength()
        case .startGroup:
            let groupStart = position
            guard depth < limits.maxDepth else {
                throw ProtoWireError(.nestingTooDeep(limit: limits.maxDepth), offset: position)
            }
            depth += 1
            while true {
                guard !isAtEnd else {
                    throw ProtoWireError(.unterminatedGroup(field: tag.number), offset: groupStart)
                }
                let tagOffset = position
                let inner = try readTag()
                if inner.wireType == .endGroup {
                    guard inner.number == tag.number else {
                        throw ProtoWireError(.unmatchedEndGroup(field: inner.number), offset: tagOffset)
                    }
                    break
                }
                try skipField(inner)
            }
            depth -= 1
        case .endGroup:
            throw ProtoWireError(.unmatchedEndGroup(field: tag.number), offset: position)
        }
    }
}

extension Array {
    /// Room for `count` more elements, growing geometrically: `reserveCapacity` allocates
    /// exactly what it is asked for, so calling it once per packed run of a repeated field
    /// would reallocate on every run.
    @inline(__always)
    mutating func reserveAdditional(_ count: Int) {
        let needed = self.count + count
        if capacity < needed {
            reserveCapacity(Swift.max(needed, capacity * 2))
        }
    }
}
