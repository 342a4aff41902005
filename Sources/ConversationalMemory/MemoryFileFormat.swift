import InferWireCore

/// The bytes of one `filesys` memory file (see `FileMemoryStore`): records of
/// `[length u32][crc32 of the length u32][crc32 of the payload u32][payload]`, little-endian.
/// The first record is the header (`IWMEM1\0` and the memory id); then entries (a
/// varint-prefixed role and `MemoryEntryCodec`'s parts) and key records (`\0\0IWKEY:` and an
/// append key). Apart from the store so that reading untrusted bytes can be fuzzed alone.
enum MemoryFileFormat {
    static let magic = Array("IWMEM1\0".utf8)
    /// Starts a key record; an entry's payload never does (it would be an empty role followed
    /// by no parts, two bytes long).
    static let keyMagic: [UInt8] = [0, 0] + Array("IWKEY:".utf8)
    static let recordHeaderSize = 12

    struct Contents: Equatable {
        var entries: [MemoryEntry] = []
        var appendKeys: Set<String> = []
        /// Where the last whole record ends: a torn tail after it is dropped at the next append.
        var goodEnd = 0
        var hasHeader = false
    }

    static func appendHeader(memoryID: String, to output: inout [UInt8]) {
        appendRecord(magic + Array(memoryID.utf8), to: &output)
    }

    static func append(_ entry: MemoryEntry, to output: inout [UInt8]) {
        var payload: [UInt8] = []
        MemoryEntryCodec.writeVarint(UInt64(entry.role.utf8.count), into: &payload)
        payload += Array(entry.role.utf8) + MemoryEntryCodec.encode(entry.parts)
        appendRecord(payload, to: &output)
    }

    static func appendKey(_ key: String, to output: inout [UInt8]) {
        appendRecord(keyMagic + Array(key.utf8), to: &output)
    }

    static func appendRecord(_ payload: [UInt8], to output: inout [UInt8]) {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { length.append(contentsOf: $0) }
        output += length
        for value in [CRC32.checksum(length), CRC32.checksum(payload)] {
            withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
        }
        output += payload
    }

    /// Reads a whole file. A record cut short at the end (a crash before the fsync, never
    /// acknowledged) ends the reading; damage anywhere else is DATA_LOSS for this memory.
    static func parse(_ bytes: [UInt8], memoryID: String) throws(InferenceError) -> Contents {
        var contents = Contents()
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= recordHeaderSize else { break }  // a torn header: the tail
            let length = Int(u32(bytes, offset))
            guard CRC32.checksum(bytes[offset..<(offset + 4)]) == u32(bytes, offset + 4) else {
                throw InferenceError(.dataLoss, "memory \(memoryID): its file is corrupt at byte \(offset) (record length); the other memories are unaffected")
            }
            let crc = u32(bytes, offset + 8)
            guard length <= bytes.count - offset - recordHeaderSize else { break }  // a torn record: the tail
            let payload = bytes[(offset + recordHeaderSize)..<(offset + recordHeaderSize + length)]
            guard CRC32.checksum(payload) == crc else {
                if offset + recordHeaderSize + length == bytes.count { break }  // the last record, torn
                throw InferenceError(.dataLoss, "memory \(memoryID): its file is corrupt at byte \(offset) (checksum); the other memories are unaffected")
            }
            if !contents.hasHeader {
                guard payload.starts(with: magic), Array(payload.dropFirst(magic.count)) == Array(memoryID.utf8) else {
                    throw InferenceError(.dataLoss, "memory \(memoryID): its file does not belong to this id")
                }
                contents.hasHeader = true
            } else if payload.count > keyMagic.count, payload.starts(with: keyMagic) {
                contents.appendKeys.insert(String(decoding: payload.dropFirst(keyMagic.count), as: UTF8.self))
            } else {
                var reader = MemoryEntryCodec.Reader(bytes: Array(payload))
                do {
                    let role = String(decoding: try reader.bytes(try reader.length()), as: UTF8.self)
                    let parts = try MemoryEntryCodec.decode(reader.bytes[reader.offset...])
                    contents.entries.append(MemoryEntry(role: role, parts: parts))
                } catch {
                    throw InferenceError(.dataLoss, "memory \(memoryID): entry at byte \(offset): \(error.message)")
                }
            }
            offset += recordHeaderSize + length
        }
        contents.goodEnd = offset
        return contents
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

/// CRC-32 (IEEE 802.3, as zlib), to tell a torn or damaged record from a whole one.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
