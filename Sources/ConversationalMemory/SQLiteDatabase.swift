import CSQLite
import InferWireCore

/// A thin, typed use of one SQLite connection: prepared statements, binds, steps, and SQLite's
/// result codes as statuses (BUSY → UNAVAILABLE, CORRUPT → DATA_LOSS). Not thread-safe: its
/// owner runs it on one queue. Shared by the memory store and the CLI's tuning-job records;
/// `label` names the owner in errors.
public final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let label: String

    public init(path: String, busyTimeoutMilliseconds: Int32, label: String = "memory store") throws(InferenceError) {
        self.label = label
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            sqlite3_close(handle)
            handle = nil
            throw InferenceError(.unavailable, "cannot open the SQLite database \(path): \(message)")
        }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit { sqlite3_close_v2(handle) }

    public func execute(_ sql: String) throws(InferenceError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, doing: sql) }
    }

    public func prepare(_ sql: String) throws(InferenceError) -> Statement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, doing: sql) }
        return Statement(statement: statement, database: self)
    }

    func error(_ code: Int32, doing what: String) -> InferenceError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY:
            return InferenceError(.unavailable, "\(label) (SQLite): \(message)")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return InferenceError(.dataLoss, "\(label) (SQLite): the database is damaged: \(message)")
        default:
            return InferenceError(.internal, "\(label) (SQLite) \(what.prefix(40)): \(message)")
        }
    }

    public final class Statement {
        let statement: OpaquePointer
        unowned let database: SQLiteDatabase

        init(statement: OpaquePointer, database: SQLiteDatabase) {
            self.statement = statement
            self.database = database
        }

        deinit { sqlite3_finalize(statement) }

        public func bind(_ index: Int32, _ text: String) {
            // By byte length, so an embedded NUL cannot cut the text short.
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else {
                _ = iw_sqlite3_bind_text(statement, index, "", 0)
                return
            }
            _ = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { iw_sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count)) }
            }
        }

        public func bind(_ index: Int32, _ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { iw_sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count)) }
        }

        public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }
        public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(statement, index, value) }

        /// Runs the statement; `row` is called for each result row.
        public func run(_ row: (Statement) throws(InferenceError) -> Void = { _ throws(InferenceError) in }) throws(InferenceError) {
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw database.error(code, doing: "step") }
                try row(self)
            }
        }

        public func text(_ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: pointer)
        }

        public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        public func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }

        public func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }
    }
}
