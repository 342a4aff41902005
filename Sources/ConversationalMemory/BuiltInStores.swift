import InferWireCore

extension FileMemoryStore {
    /// `file://<folder>` (what `database: "filesys"` becomes).
    static let prepare: MemoryStoreRegistry.Prepare = { location throws(InferenceError) in
        let folder = String(location.url.dropFirst("file://".count))
        guard !folder.isEmpty else { throw SettingsCheck.invalid("config.path is empty") }
        return { try FileMemoryStore(folder: folder) }
    }
}

extension SQLiteMemoryStore {
    /// SQLAlchemy's SQLite URLs: `sqlite:///relative.db` (relative to the model folder) or
    /// `sqlite:////absolute.db`; `connection_options.timeout` is the busy timeout in seconds.
    static let prepare: MemoryStoreRegistry.Prepare = { location throws(InferenceError) in
        let url = location.url
        guard url.lowercased().hasPrefix("sqlite:///") else {
            throw SettingsCheck.invalid("config.url \"\(url)\": an SQLite URL is sqlite:///relative.db or sqlite:////absolute.db")
        }
        let path = String(url.dropFirst("sqlite:///".count))
        guard !path.isEmpty, path != ":memory:" else {
            throw SettingsCheck.invalid("config.url \"\(url)\": an in-memory database would lose every conversation; name a file")
        }
        let timeout = Int32(try SettingsCheck.positive(location.options["timeout"], default: 5, max: 3600, "connection_options.timeout") * 1000)
        let file = location.resolve(path)
        return { try SQLiteMemoryStore(path: file, busyTimeoutMilliseconds: timeout) }
    }
}
