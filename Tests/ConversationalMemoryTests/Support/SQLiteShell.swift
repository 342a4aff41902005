@testable import ConversationalMemory

/// Raw SQL on a store's SQLite file, through the store's own connection type (tests damage rows).
enum SQLiteShell {
    static func execute(path: String, _ sql: String) throws {
        let database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: 5000)
        try database.execute(sql)
    }
}
