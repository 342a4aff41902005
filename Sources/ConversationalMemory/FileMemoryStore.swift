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
        let file = try MemoryFileFormat.parse(contents, memoryID: memoryID)
        var entries = file.entries
        let goodEnd = file.goodEnd
        guard let entry else { return MemoryWindow.select(entries, size: windowSize) }
        if let appendKey, file.appendKeys.contains(appendKey) { return MemoryWindow.select(entries, size: windowSize) }

        // Drop a torn tail, then append (a header first for a new file) and make it durable.
        if goodEnd < contents.count, ftruncate(fd, off_t(goodEnd)) != 0 {
            throw InferenceError(.unavailable, "memory store: cannot truncate a torn record (errno \(errno))")
        }
        var output: [UInt8] = []
        if !file.hasHeader { MemoryFileFormat.appendHeader(memoryID: memoryID, to: &output) }
        MemoryFileFormat.append(entry, to: &output)
        if let appendKey { MemoryFileFormat.appendKey(appendKey, to: &output) }
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
        if !file.hasHeader { try syncFolder() }
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

    /// A new file's name is durable only once its folder is synced.
    private func syncFolder() throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw InferenceError(.unavailable, "memory store: cannot open the folder to sync it (errno \(errno)); nothing was acknowledged") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw InferenceError(.unavailable, "memory store: folder fsync failed (errno \(errno)); nothing was acknowledged") }
    }
}
