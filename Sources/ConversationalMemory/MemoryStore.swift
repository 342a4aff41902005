import InferWireCore

/// One message of a conversation as the memory keeps it: a role and its parts, each a type
/// (`text`, `image/png`, …) and the value's bytes (UTF-8 text, or the raw media bytes: never
/// base64 at rest).
public struct MemoryEntry: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var type: String
        public var value: [UInt8]

        public init(type: String, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    public var role: String
    public var parts: [Part]

    public init(role: String, parts: [Part]) {
        self.role = role
        self.parts = parts
    }
}

/// Where conversations live (filesys, SQLite, PostgreSQL): one type per backend, this one
/// protocol. An append is acknowledged only once it is durable, and the window read after it
/// always contains it.
public protocol MemoryStore: Sendable {
    /// Appends `entry` (when given) to the conversation, then returns its window
    /// (`MemoryWindow`): one call, so a backend can do both in one round trip or transaction.
    /// With an `appendKey`, the entry is appended only if no entry of this conversation has
    /// that key yet (a retried request appends once).
    func appendAndWindow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) async throws -> [MemoryEntry]
    func close() async
}

extension MemoryStore {
    public func appendAndWindow(memoryID: String, entry: MemoryEntry?, windowSize: Int) async throws -> [MemoryEntry] {
        try await appendAndWindow(memoryID: memoryID, entry: entry, appendKey: nil, windowSize: windowSize)
    }
}

/// The window rule, the same for every backend: the last `size` entries; but when the
/// conversation has a `system` entry that has slid out of them, its latest one stays first and
/// the last `size - 1` others follow (a chatbot keeps its instructions; the seeds' PostgreSQL
/// example shows this).
public enum MemoryWindow {
    public static func select(_ entries: [MemoryEntry], size: Int) -> [MemoryEntry] {
        guard size > 0 else { return [] }
        return assemble(last: Array(entries.suffix(size)), latestSystem: entries.last(where: { $0.role == "system" }), size: size)
    }

    /// The rule for a backend that read the last `size` entries (oldest first) and, separately,
    /// the conversation's latest system entry (which may be one of them).
    public static func assemble(last: [MemoryEntry], latestSystem: MemoryEntry?, size: Int) -> [MemoryEntry] {
        guard needsSystemEntry(last: last, size: size), let latestSystem else { return last }
        return [latestSystem] + last.dropFirst()
    }

    /// Whether the latest system entry could change the window: only when the last entries fill
    /// it and hold no system entry (a backend can skip reading it otherwise).
    public static func needsSystemEntry(last: [MemoryEntry], size: Int) -> Bool {
        size > 0 && last.count == size && !last.contains(where: { $0.role == "system" })
    }
}

/// A store failure with the status it maps to: UNAVAILABLE (database down), DATA_LOSS (a
/// corrupt memory), INTERNAL.
public typealias MemoryStoreError = InferenceError
