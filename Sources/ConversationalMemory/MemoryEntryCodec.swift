import InferWireCore

/// The at-rest form of an entry's parts, shared by the file and SQLite stores: a version byte,
/// then per part a varint-prefixed type and a varint-prefixed value. Raw bytes stay raw.
public enum MemoryEntryCodec {
    static let version: UInt8 = 1

    public static func encode(_ parts: [MemoryEntry.Part]) -> [UInt8] {
        var output: [UInt8] = [version]
        output.reserveCapacity(parts.reduce(8) { $0 + $1.type.utf8.count + $1.value.count + 10 })
        writeVarint(UInt64(parts.count), into: &output)
        for part in parts {
            writeVarint(UInt64(part.type.utf8.count), into: &output)
            output.append(contentsOf: part.type.utf8)
            writeVarint(UInt64(part.value.count), into: &output)
            output.append(contentsOf: part.value)
        }
        return output
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(InferenceError) -> [MemoryEntry.Part] {
        var reader = Reader(bytes: Array(bytes))
        guard try reader.byte() == version else { throw corrupt("unknown entry version") }
        let count = try reader.varint()
        guard count <= 1 << 20 else { throw corrupt("part count \(count)") }
        var parts: [MemoryEntry.Part] = []
        for _ in 0..<count {
            let type = String(decoding: try reader.bytes(try reader.length()), as: UTF8.self)
            parts.append(MemoryEntry.Part(type: type, value: try reader.bytes(try reader.length())))
        }
        guard reader.offset == reader.bytes.count else { throw corrupt("trailing bytes") }
        return parts
    }

    static func writeVarint(_ value: UInt64, into output: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() throws(InferenceError) -> UInt8 {
            guard offset < bytes.count else { throw corrupt("truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(InferenceError) -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                let byte = try byte()
                value |= UInt64(byte & 0x7f) << UInt64(shift)
                if byte < 0x80 { return value }
            }
            throw corrupt("varint too long")
        }

        /// A varint length that fits what is left (a damaged one is DATA_LOSS, never a trap).
        mutating func length() throws(InferenceError) -> Int {
            guard let value = Int(exactly: try varint()), value <= bytes.count - offset else { throw corrupt("length past the end") }
            return value
        }

        mutating func bytes(_ count: Int) throws(InferenceError) -> [UInt8] {
            guard count >= 0, count <= bytes.count - offset else { throw corrupt("truncated") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
    }

    static func corrupt(_ detail: String) -> InferenceError {
        InferenceError(.dataLoss, "stored entry is corrupt (\(detail))")
    }
}
