import Foundation
import InferWireProtocol

/// `parameters.extra` of an `mlserver_memory.ConversationalMemory` model, as Seldon writes it:
/// `{"database": "filesys" | "sql", "config": {"window_size": 50, "tensor_names": ["role",
/// "content", "type"], "url": "sqlite:///memory.db", "connection_options": {…}}}`. Every key is
/// checked at load.
public struct MemorySettings: Sendable, Equatable {
    public enum Backend: Sendable, Equatable {
        /// One file per conversation under this folder.
        case files(folder: String)
        case sqlite(path: String, busyTimeoutMilliseconds: Int32)
        case postgres(PostgresMemoryStore.Location, PostgresMemoryStore.Options)
    }

    public var backend: Backend
    public var windowSize: Int
    /// The role, content and type tensors' names.
    public var tensorNames: [String]

    static let extraKeys: Set<String> = ["database", "config"]
    static let configKeys: Set<String> = ["window_size", "tensor_names", "url", "connection_options", "path"]
    static let connectionKeys: Set<String> = ["timeout", "pool_size", "max_overflow", "connect_timeout", "pool_timeout", "sslmode"]

    public static func parse(_ extra: [String: JSONValue], folder: String) throws(InferenceError) -> MemorySettings {
        try LLMSettings.checkKeys(extra, known: extraKeys, in: "parameters.extra")
        let config = extra["config"]?.object ?? [:]
        try LLMSettings.checkKeys(config, known: configKeys, in: "parameters.extra.config")
        let windowSize = config["window_size"]?.number ?? 50
        guard windowSize >= 1, windowSize <= 10_000, windowSize.rounded() == windowSize else {
            throw LLMSettings.invalid("parameters.extra.config.window_size must be a whole number from 1 to 10000")
        }
        var names = ["role", "content", "type"]
        if let value = config["tensor_names"] {
            guard case .array(let items) = value, items.count == 3, let strings = Optional(items.compactMap(\.string)), strings.count == 3,
                Set(strings).count == 3, !strings.contains("memory_id")
            else {
                throw LLMSettings.invalid("parameters.extra.config.tensor_names must list three distinct names (role, content, type), not memory_id")
            }
            names = strings
        }
        let options = config["connection_options"]?.object ?? [:]
        try LLMSettings.checkKeys(options, known: connectionKeys, in: "parameters.extra.config.connection_options")
        let busyTimeout = Int32(try LLMSettings.positive(options["timeout"], default: 5, max: 3600, "connection_options.timeout") * 1000)

        let database = extra["database"]?.string ?? "sql"
        let backend: Backend
        switch database {
        case "filesys":
            let path = config["path"]?.string ?? "memory"
            backend = .files(folder: path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path))
        case "sql":
            backend = try sqlBackend(url: config["url"]?.string ?? "sqlite:///memory.db", folder: folder, busyTimeout: busyTimeout,
                                     postgres: try postgresOptions(options))
        default:
            throw LLMSettings.invalid("parameters.extra.database \"\(database)\" is not supported (\"filesys\" or \"sql\")")
        }
        return MemorySettings(backend: backend, windowSize: Int(windowSize), tensorNames: names)
    }

    /// SQLAlchemy URLs: `sqlite:///relative.db` (relative to the model folder),
    /// `sqlite:////absolute.db`, `postgresql[+driver]://user:password@host:port/db`; other
    /// dialects are refused by name.
    static func postgresOptions(_ options: [String: JSONValue]) throws(InferenceError) -> PostgresMemoryStore.Options {
        var result = PostgresMemoryStore.Options()
        func seconds(_ key: String) throws(InferenceError) -> Duration? {
            guard options[key] != nil else { return nil }
            return .milliseconds(Int64(try LLMSettings.positive(options[key], default: 1, max: 3600, "connection_options.\(key)") * 1000))
        }
        let pool = try LLMSettings.positive(options["pool_size"], default: 10, max: 1000, "connection_options.pool_size")
        let overflow = options["max_overflow"] == nil || options["max_overflow"]?.number == 0
            ? 0 : try LLMSettings.positive(options["max_overflow"], default: 0, max: 1000, "connection_options.max_overflow")
        result.maximumConnections = Int(pool) + Int(overflow)
        let connect = try seconds("connect_timeout")
        let general = try seconds("timeout")
        result.connectTimeout = connect ?? general ?? .seconds(5)
        let poolTimeout = try seconds("pool_timeout")
        result.requestTimeout = poolTimeout ?? result.connectTimeout + .seconds(10)
        if let mode = options["sslmode"] {
            guard let text = mode.string, PostgresMemoryStore.Options.sslModes.contains(text) else {
                throw LLMSettings.invalid("connection_options.sslmode must be one of \(PostgresMemoryStore.Options.sslModes.sorted().joined(separator: ", "))")
            }
            result.sslMode = text
        }
        return result
    }

    static func sqlBackend(url: String, folder: String, busyTimeout: Int32, postgres: PostgresMemoryStore.Options) throws(InferenceError) -> Backend {
        guard let colon = url.firstIndex(of: ":") else { throw LLMSettings.invalid("config.url \"\(url)\" is not a database URL") }
        let scheme = url[..<colon].lowercased()
        let dialect = scheme.split(separator: "+").first.map(String.init) ?? scheme
        switch dialect {
        case "sqlite":
            guard url.hasPrefix("sqlite:///") else {
                throw LLMSettings.invalid("config.url \"\(url)\": an SQLite URL is sqlite:///relative.db or sqlite:////absolute.db")
            }
            let path = String(url.dropFirst("sqlite:///".count))
            guard !path.isEmpty, path != ":memory:" else {
                throw LLMSettings.invalid("config.url \"\(url)\": an in-memory database would lose every conversation; name a file")
            }
            return .sqlite(path: path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path), busyTimeoutMilliseconds: busyTimeout)
        case "postgresql", "postgres":
            let location = try PostgresMemoryStore.Location(url: url)
            var options = postgres
            if let mode = location.queryOptions["sslmode"] {
                guard PostgresMemoryStore.Options.sslModes.contains(mode) else {
                    throw LLMSettings.invalid("config.url: sslmode must be one of \(PostgresMemoryStore.Options.sslModes.sorted().joined(separator: ", "))")
                }
                options.sslMode = mode
            }
            if let timeout = location.queryOptions["connect_timeout"] {
                guard let seconds = Double(timeout), seconds > 0, seconds <= 3600 else { throw LLMSettings.invalid("config.url: connect_timeout must be seconds") }
                options.connectTimeout = .milliseconds(Int64(seconds * 1000))
            }
            return .postgres(location, options)
        case "mysql", "mariadb", "mssql", "oracle":
            throw LLMSettings.invalid("config.url: \(dialect) is not supported (SQLite and PostgreSQL are)")
        default:
            throw LLMSettings.invalid("config.url: unknown database \"\(scheme)\"")
        }
    }
}
