import NIOCore

/// Writes the protobuf wire format into storage whose size was computed beforehand.
///
/// Every write is bounds-checked against that size, so a size/encode mismatch traps instead of
/// corrupting memory; the encoders in this module are tested to write exactly the computed size.
public struct WireWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    @usableFromInline var position: Int = 0

    @usableFromInline
    init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        precondition(capacity - position >= count, "ProtoWire: encoded size disagrees with computed size")
        let pointer = base + position
        position += count
        return pointer
    }

    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        var value = value
        let pointer = reserve(WireSize.varint(value))
        var index = 0
        while value >= 0x80 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, toByteOffset: index, as: UInt8.self)
            value >>= 7
            index += 1
        }
        pointer.storeBytes(of: UInt8(value), toByteOffset: index, as: UInt8.self)
    }

    @inline(__always)
    mutating func writeTag(_ field: Int, _ wireType: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    @inline(__always)
    mutating func writeFixed32(_ value: UInt32) {
        reserve(4).storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    @inline(__always)
    mutating func writeFixed64(_ value: UInt64) {
        reserve(8).storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    @inline(__always)
    mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    mutating func writeRaw(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { writeRaw($0) }
    }

    // MARK: Fields (proto3: defaults are not written)

    mutating func writeString(_ field: Int, _ value: String, always: Bool = false) {
        let count = value.utf8.count  // O(1) for native strings
        guard always || count > 0 else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(count))
        guard count > 0 else { return }
        let target = reserve(count)
        // Contiguous UTF-8 (native and small strings) is copied as is, with no copy of the
        // string itself; bridged strings are written byte by byte.
        let copied = value.utf8.withContiguousStorageIfAvailable { utf8 in
            target.copyMemory(from: utf8.baseAddress!, byteCount: count)
        }
        if copied == nil {
            var offset = 0
            for byte in value.utf8 {
                target.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        }
    }

    mutating func writeBytes(_ field: Int, _ value: ByteBuffer, always: Bool = false) {
        guard always || value.readableBytes > 0 else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.readableBytes))
        writeRaw(value)
    }

    mutating func writeBool(_ field: Int, _ value: Bool, always: Bool = false) {
        guard always || value else { return }
        writeTag(field, .varint)
        writeVarint(value ? 1 : 0)
    }

    mutating func writeUInt64(_ field: Int, _ value: UInt64, always: Bool = false) {
        guard always || value != 0 else { return }
        writeTag(field, .varint)
        writeVarint(value)
    }

    mutating func writeDouble(_ field: Int, _ value: Double, always: Bool = false) {
        guard always || value.bitPattern != 0 else { return }
        writeTag(field, .fixed64)
        writeFixed64(value.bitPattern)
    }

    mutating func writeMessage<M: ProtoMessage>(_ field: Int, _ message: M) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(message._encodedSize()))
        message._encode(to: &self)
    }

    /// A repeated message field.
    @inline(__always)
    mutating func writeMessages<M: ProtoMessage>(_ field: Int, _ values: [M]) {
        for index in values.indices { writeMessage(field, values[index]) }
    }

    mutating func writePackedVarints<T: FixedWidthInteger>(_ field: Int, _ values: [T]) {
        guard !values.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(WireSize.packedVarintPayload(values)))
        for value in values {
            writeVarint(UInt64(truncatingIfNeeded: Int64(truncatingIfNeeded: value)))
        }
    }

    mutating func writePackedBools(_ field: Int, _ values: [Bool]) {
        guard !values.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(values.count))
        let pointer = reserve(values.count)
        for (index, value) in values.enumerated() {
            pointer.storeBytes(of: value ? 1 : 0, toByteOffset: index, as: UInt8.self)
        }
    }

    /// Floats and doubles: one memcpy on little-endian hosts.
    mutating func writePackedFixed<T: BitwiseCopyable>(_ field: Int, _ values: [T]) {
        guard !values.isEmpty else { return }
        let length = values.count * MemoryLayout<T>.size
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(length))
        #if _endian(little)
        values.withUnsafeBytes { writeRaw($0) }
        #else
        #error("ProtoWire's packed fixed-width encoding assumes a little-endian host")
        #endif
    }

    mutating func writeMap<V: ProtoMessage>(_ field: Int, _ map: [String: V]) {
        writeSortedEntries(of: map) { writer, key, value in
            // The value's size once, for both the entry's length and the value's own.
            let valueSize = value._encodedSize()
            let keyLength = key.utf8.count
            writer.writeTag(field, .lengthDelimited)
            writer.writeVarint(UInt64(WireSize.lengthDelimited(1, keyLength) + WireSize.lengthDelimited(2, valueSize)))
            writer.writeString(1, key, always: true)
            writer.writeTag(2, .lengthDelimited)
            writer.writeVarint(UInt64(valueSize))
            value._encode(to: &writer)
        }
    }

    mutating func writeMap(_ field: Int, _ map: [String: String]) {
        writeSortedEntries(of: map) { writer, key, value in
            writer.writeTag(field, .lengthDelimited)
            writer.writeVarint(UInt64(MapEntrySize.of(key: key, value: value)))
            writer.writeString(1, key, always: true)
            writer.writeString(2, value, always: true)
        }
    }

    /// Visits map entries sorted by key, so that equal messages encode to equal bytes. The sort
    /// runs over indices in temporary (stack) storage: encoding must not allocate.
    @inline(__always)
    mutating func writeSortedEntries<V>(
        of map: [String: V], _ write: (inout WireWriter, String, V) -> Void
    ) {
        guard !map.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: Dictionary<String, V>.Index.self, capacity: map.count) { order in
            var count = 0
            var index = map.startIndex
            while index != map.endIndex {
                (order.baseAddress! + count).initialize(to: index)
                count += 1
                index = map.index(after: index)
            }
            if count <= 16 {
                // Insertion sort: parameter maps hold a handful of entries, and this allocates
                // nothing.
                for i in 1..<max(count, 1) {
                    let current = order[i]
                    let key = map[current].key
                    var j = i
                    while j > 0, map[order[j - 1]].key > key {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = current
                }
            } else {
                // Big maps: O(n log n), even if the sort needs scratch space.
                var unsorted = order
                unsorted.sort { map[$0].key < map[$1].key }
            }
            for i in 0..<count {
                let (key, value) = map[order[i]]
                write(&self, key, value)
            }
            order.baseAddress!.deinitialize(count: count)
        }
    }

    mutating func writeUnknown(_ unknown: UnknownFields) {
        unknown.bytes.withUnsafeBytes { writeRaw($0) }
    }
}

/// Size of one `map<string, message>` entry body. Key and value are always written, as
/// Google's implementations do, so the entry is the same whatever the values are.
enum MapEntrySize {
    static func of<V: ProtoMessage>(key: String, value: V) -> Int {
        WireSize.lengthDelimited(1, key.utf8.count) + WireSize.message(2, value._encodedSize())
    }

    static func of(key: String, value: String) -> Int {
        WireSize.lengthDelimited(1, key.utf8.count) + WireSize.lengthDelimited(2, value.utf8.count)
    }

    @inline(__always)
    static func total(_ field: Int, _ map: [String: String]) -> Int {
        // Most maps are empty: not even an iterator for them.
        guard !map.isEmpty else { return 0 }
        var total = 0
        for (key, value) in map {
            total += WireSize.lengthDelimited(field, of(key: key, value: value))
        }
        return total
    }

    @inline(__always)
    static func total<V: ProtoMessage>(_ field: Int, _ map: [String: V]) -> Int {
        guard !map.isEmpty else { return 0 }
        var total = 0
        for (key, value) in map {
            total += WireSize.lengthDelimited(field, of(key: key, value: value))
        }
        return total
    }
}
