import Crypto
import Foundation
import InferWireCore

/// `database: "filesys"`: one append-only file per conversation under a folder, for
/// development and single-replica use.
///
/// The file is named by the SHA-256 of the memory id (any id, any length up to the limit, maps
/// to a safe name; ids differing only in case or separators never share a file) and starts with
/// a header record holding the id. Each record is `[length u32][crc32 of the length u32]
/// [crc32 of the payload u32][payload]`; an entry is written and fsynced before the request is
/// answered. A record cut short by a crash (never acknowledged: its length checks out but its
/// bytes run past the end) is dropped at the next append; damage anywhere else, a damaged
/// length included, is DATA_LOSS for that memory only. A keyed append writes a key record
/// (`\0\0IWKEY:` and the key) right after its entry, in the same write and fsync; an append
/// whose key is already in the file appends nothing. Appends take an exclusive `flock`, so two processes sharing the folder keep one
/// order. File work runs on its own queue, never on an event loop.
public final class FileMemoryStore: MemoryStore {
    private let folder: String
    private let queue = DispatchQueue(label: "inferwire.memory.files")
    private static let magic = Array("IWMEM1\0".utf8)
    /// Starts a key record; an entry's payload never does (it would be an empty role followed
    /// by no parts, two bytes long).
    private static let keyMagic: [UInt8] = [0, 0] + Array("IWKEY:".utf8)

    public init(folder: String) throws(InferenceError) {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw InferenceError(.unavailable, "cannot create the memory folder \(folder): \(error.localizedDescription)")
        }
    }

    public func appendAndWindow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) async throws -> [MemoryEntry] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.appendAndWindowNow(memoryID: memoryID, entry: entry, appendKey: appendKey, windowSize: windowSize) })
            }
        }
    }

    public func close() async {}

    /// The file of one conversation.
    public func path(for memoryID: String) -> String {
        let digest = SHA256.hash(data: Array(memoryID.utf8)).map { String(format: "%02x", $0) }.joined()
        return (folder as NSString).appendingPathComponent(digest + ".log")
    }

    private func appendAndWindowNow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) throws -> [MemoryEntry] {
        let path = path(for: memoryID)
        if entry == nil, !FileManager.default.fileExists(atPath: path) { return [] }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InferenceError(.unavailable, "memory store: cannot open a file in \(folder) (errno \(errno))") }
        defer { Glibc.close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw InferenceError(.unavailable, "memory store: cannot lock (errno \(errno))") }
        defer { flock(fd, LOCK_UN) }

        let contents = try readAll(fd)
        var (entries, keys, goodEnd, header) = try parse(contents, memoryID: memoryID)
        guard let entry else { return MemoryWindow.select(entries, size: windowSize) }
        if let appendKey, keys.contains(appendKey) { return MemoryWindow.select(entries, size: windowSize) }

        // Drop a torn tail, then append (a header first for a new file) and make it durable.
        if goodEnd < contents.count, ftruncate(fd, off_t(goodEnd)) != 0 {
            throw InferenceError(.unavailable, "memory store: cannot truncate a torn record (errno \(errno))")
        }
        var output: [UInt8] = []
        if !header { Self.appendRecord(Self.magic + Array(memoryID.utf8), to: &output) }
        var payload: [UInt8] = []
        MemoryEntryCodec.writeVarint(UInt64(entry.role.utf8.count), into: &payload)
        payload += Array(entry.role.utf8) + MemoryEntryCodec.encode(entry.parts)
        Self.appendRecord(payload, to: &output)
        if let appendKey { Self.appendRecord(Self.keyMagic + Array(appendKey.utf8), to: &output) }
        try output.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t(goodEnd + written))
                guard count > 0 else { throw InferenceError(.unavailable, "memory store: write failed (errno \(errno)); nothing was acknowledged") }
                written += count
            }
        }
        guard fsync(fd) == 0 else { throw InferenceError(.unavailable, "memory store: fsync failed (errno \(errno)); nothing was acknowledged") }
        // A file's name is durable only once its folder is synced: whenever the header is
        // written (also after a crash that left an empty file behind).
        if !header { try syncFolder() }
        entries.append(entry)
        return MemoryWindow.select(entries, size: windowSize)
    }

    private func readAll(_ fd: Int32) throws -> [UInt8] {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw InferenceError(.unavailable, "memory store: stat failed (errno \(errno))") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var read = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while read < buffer.count {
                let count = pread(fd, buffer.baseAddress! + read, buffer.count - read, off_t(read))
                guard count > 0 else { throw InferenceError(.unavailable, "memory store: read failed (errno \(errno))") }
                read += count
            }
        }
        return bytes
    }

    /// The entries, their append keys, the end of the last whole record, and whether the header is there.
    private func parse(_ bytes: [UInt8], memoryID: String) throws -> ([MemoryEntry], Set<String>, Int, Bool) {
        var entries: [MemoryEntry] = []
        var keys: Set<String> = []
        var offset = 0
        var header = false
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { break }  // a torn header: the tail
            let length = Int(Self.u32(bytes, offset))
            guard CRC32.checksum(bytes[offset..<(offset + 4)]) == Self.u32(bytes, offset + 4) else {
                throw InferenceError(.dataLoss, "memory \(memoryID): its file is corrupt at byte \(offset) (record length); the other memories are unaffected")
            }
            let crc = Self.u32(bytes, offset + 8)
            guard length <= bytes.count - offset - 12 else { break }  // a torn record: the tail
            let payload = bytes[(offset + 12)..<(offset + 12 + length)]
            guard CRC32.checksum(payload) == crc else {
                if offset + 12 + length == bytes.count { break }  // the last record, torn
                throw InferenceError(.dataLoss, "memory \(memoryID): its file is corrupt at byte \(offset) (checksum); the other memories are unaffected")
            }
            if !header {
                guard payload.starts(with: Self.magic), Array(payload.dropFirst(Self.magic.count)) == Array(memoryID.utf8) else {
                    throw InferenceError(.dataLoss, "memory \(memoryID): its file does not belong to this id")
                }
                header = true
            } else if payload.count > Self.keyMagic.count, payload.starts(with: Self.keyMagic) {
                keys.insert(String(decoding: payload.dropFirst(Self.keyMagic.count), as: UTF8.self))
            } else {
                var reader = MemoryEntryCodec.Reader(bytes: Array(payload))
                do {
                    let role = String(decoding: try reader.bytes(try reader.length()), as: UTF8.self)
                    let parts = try MemoryEntryCodec.decode(reader.bytes[reader.offset...])
                    entries.append(MemoryEntry(role: role, parts: parts))
                } catch {
                    throw InferenceError(.dataLoss, "memory \(memoryID): entry at byte \(offset): \(error.message)")
                }
            }
            offset += 12 + length
        }
        return (entries, keys, offset, header)
    }

    private static func appendRecord(_ payload: [UInt8], to output: inout [UInt8]) {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { length.append(contentsOf: $0) }
        output += length
        for value in [CRC32.checksum(length), CRC32.checksum(payload)] {
            withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
        }
        output += payload
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// A new file's name is durable only once its folder is synced.
    private func syncFolder() throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw InferenceError(.unavailable, "memory store: cannot open the folder to sync it (errno \(errno)); nothing was acknowledged") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw InferenceError(.unavailable, "memory store: folder fsync failed (errno \(errno)); nothing was acknowledged") }
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
