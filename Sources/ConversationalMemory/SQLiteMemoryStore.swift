import Foundation
import InferWireCore

/// `database: "sql"` with an SQLite URL (and the embedded default): conversations in one
/// SQLite file through Debian's libsqlite3, in WAL mode with `synchronous=FULL` (a commit is on
/// disk when the request is answered), a busy timeout for other processes sharing the file, and
/// prepared statements. All database work runs on one dedicated queue, never on an event loop
/// or the Swift pool.
///
/// Table `inferwire_memory(memory_id, seq, role, parts, created_at, append_key)`, primary key
/// (memory_id, seq): an append takes the next `seq` of its conversation in the same statement,
/// so concurrent appends (threads or processes) get one total order and none is lost; a unique
/// index on (memory_id, append_key) makes a keyed append happen once. Parts are stored as raw
/// bytes (`MemoryEntryCodec`), never base64.
public final class SQLiteMemoryStore: MemoryStore, @unchecked Sendable {
    private let queue = DispatchQueue(label: "inferwire.memory.sqlite")
    // Queue only.
    private let database: SQLiteDatabase
    private let insert: SQLiteDatabase.Statement
    private let lastEntries: SQLiteDatabase.Statement
    private let lastSystem: SQLiteDatabase.Statement

    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(InferenceError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try database.execute("PRAGMA journal_mode=WAL")
        try database.execute("PRAGMA synchronous=FULL")
        try database.execute("""
            CREATE TABLE IF NOT EXISTS inferwire_memory (
                memory_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, parts BLOB NOT NULL,
                created_at REAL NOT NULL, PRIMARY KEY (memory_id, seq)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS inferwire_memory_system ON inferwire_memory (memory_id, role, seq);
            """)
        // Files written before append keys existed get the column.
        var hasKey = false
        try database.prepare("SELECT name FROM pragma_table_info('inferwire_memory')").run { row in
            if row.text(0) == "append_key" { hasKey = true }
        }
        if !hasKey { try database.execute("ALTER TABLE inferwire_memory ADD COLUMN append_key TEXT") }
        try database.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS inferwire_memory_key ON inferwire_memory (memory_id, append_key) WHERE append_key IS NOT NULL
            """)
        insert = try database.prepare("""
            INSERT INTO inferwire_memory (memory_id, seq, role, parts, created_at, append_key)
            SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM inferwire_memory WHERE memory_id = ?1
            ON CONFLICT (memory_id, append_key) WHERE append_key IS NOT NULL DO NOTHING
            """)
        lastEntries = try database.prepare("SELECT role, parts FROM inferwire_memory WHERE memory_id = ?1 ORDER BY seq DESC LIMIT ?2")
        lastSystem = try database.prepare("SELECT role, parts FROM inferwire_memory WHERE memory_id = ?1 AND role = 'system' ORDER BY seq DESC LIMIT 1")
    }

    public func appendAndWindow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) async throws -> [MemoryEntry] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(InferenceError) in
                    try self.appendAndWindowNow(memoryID: memoryID, entry: entry, appendKey: appendKey, windowSize: windowSize)
                })
            }
        }
    }

    public func close() async {}

    private func appendAndWindowNow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) throws(InferenceError) -> [MemoryEntry] {
        if let entry {
            insert.bind(1, memoryID)
            insert.bind(2, entry.role)
            insert.bind(3, MemoryEntryCodec.encode(entry.parts))
            insert.bind(4, Date().timeIntervalSince1970)
            if let appendKey { insert.bind(5, appendKey) }  // else NULL (bindings are cleared after each run)
            try insert.run()  // one statement: atomic, committed (and synced) when it returns
        }
        var newestFirst: [MemoryEntry] = []
        lastEntries.bind(1, memoryID)
        lastEntries.bind(2, Int64(windowSize))
        try lastEntries.run { row throws(InferenceError) in newestFirst.append(try Self.entry(row)) }
        let last = Array(newestFirst.reversed())
        var system: MemoryEntry?
        if MemoryWindow.needsSystemEntry(last: last, size: windowSize) {
            lastSystem.bind(1, memoryID)
            try lastSystem.run { row throws(InferenceError) in system = try Self.entry(row) }
        }
        return MemoryWindow.assemble(last: last, latestSystem: system, size: windowSize)
    }

    private static func entry(_ row: SQLiteDatabase.Statement) throws(InferenceError) -> MemoryEntry {
        MemoryEntry(role: row.text(0), parts: try MemoryEntryCodec.decode(row.blob(1)))
    }
}
