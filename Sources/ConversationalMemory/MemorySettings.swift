import Foundation
import InferWireCore

/// `parameters.extra` of an `mlserver_memory.ConversationalMemory` model, as Seldon writes it:
/// `{"database": "filesys" | "sql", "config": {"window_size": 50, "tensor_names": ["role",
/// "content", "type"], "url": "sqlite:///memory.db", "connection_options": {…}}}`. Every key is
/// checked at load; the store is found by the URL's scheme in a `MemoryStoreRegistry`.
public struct MemorySettings: Sendable {
    /// Where the conversations live (`file://…` for `database: "filesys"`).
    public var location: MemoryStoreLocation
    public var windowSize: Int
    /// The role, content and type tensors' names.
    public var tensorNames: [String]

    static let extraKeys: Set<String> = ["database", "config"]
    static let configKeys: Set<String> = ["window_size", "tensor_names", "url", "connection_options", "path"]
    /// SQLAlchemy's and libpq's names; each store reads those it uses.
    static let connectionKeys: Set<String> = ["timeout", "pool_size", "max_overflow", "connect_timeout", "pool_timeout", "sslmode"]

    public static func parse(_ extra: [String: JSONValue], folder: String) throws(InferenceError) -> MemorySettings {
        try SettingsCheck.keys(extra, known: extraKeys, in: "parameters.extra")
        let config = extra["config"]?.object ?? [:]
        try SettingsCheck.keys(config, known: configKeys, in: "parameters.extra.config")
        let windowSize = config["window_size"]?.number ?? 50
        guard windowSize >= 1, windowSize <= 10_000, windowSize.rounded() == windowSize else {
            throw SettingsCheck.invalid("parameters.extra.config.window_size must be a whole number from 1 to 10000")
        }
        var names = ["role", "content", "type"]
        if let value = config["tensor_names"] {
            guard case .array(let items) = value, items.count == 3, let strings = Optional(items.compactMap(\.string)), strings.count == 3,
                Set(strings).count == 3, !strings.contains("memory_id")
            else {
                throw SettingsCheck.invalid("parameters.extra.config.tensor_names must list three distinct names (role, content, type), not memory_id")
            }
            names = strings
        }
        let options = config["connection_options"]?.object ?? [:]
        try SettingsCheck.keys(options, known: connectionKeys, in: "parameters.extra.config.connection_options")

        let database = extra["database"]?.string ?? "sql"
        let url: String
        switch database {
        case "filesys":
            let path = config["path"]?.string ?? "memory"
            url = "file://" + (path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path))
        case "sql":
            url = config["url"]?.string ?? "sqlite:///memory.db"
        default:
            throw SettingsCheck.invalid("parameters.extra.database \"\(database)\" is not supported (\"filesys\" or \"sql\")")
        }
        return MemorySettings(
            location: MemoryStoreLocation(url: url, folder: folder, options: options), windowSize: Int(windowSize), tensorNames: names)
    }
}
