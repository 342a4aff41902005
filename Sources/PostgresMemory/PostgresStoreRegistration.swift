import ConversationalMemory
import InferWireCore

extension PostgresMemoryStore {
    /// Adds PostgreSQL to a memory store registry, for `postgresql://` and `postgres://` URLs
    /// (SQLAlchemy's driver suffixes such as `+psycopg2` are accepted and ignored).
    public static func register(in registry: inout MemoryStoreRegistry) {
        registry.register(scheme: "postgresql", prepare)
        registry.register(scheme: "postgres", prepare)
    }

    static let prepare: MemoryStoreRegistry.Prepare = { location throws(InferenceError) in
        let url = try Location(url: location.url)
        var options = try Options(location.options)
        if let mode = url.queryOptions["sslmode"] {
            guard Options.sslModes.contains(mode) else {
                throw SettingsCheck.invalid("config.url: sslmode must be one of \(Options.sslModes.sorted().joined(separator: ", "))")
            }
            options.sslMode = mode
        }
        if let timeout = url.queryOptions["connect_timeout"] {
            guard let seconds = Double(timeout), seconds > 0, seconds <= 3600 else { throw SettingsCheck.invalid("config.url: connect_timeout must be seconds") }
            options.connectTimeout = .milliseconds(Int64(seconds * 1000))
        }
        let chosen = options
        return { try await PostgresMemoryStore(location: url, options: chosen) }
    }
}

extension PostgresMemoryStore.Options {
    /// `connection_options` in SQLAlchemy's words: `pool_size` + `max_overflow` connections,
    /// `connect_timeout` (else `timeout`), `pool_timeout`, `sslmode`.
    init(_ options: [String: JSONValue]) throws(InferenceError) {
        self.init()
        func seconds(_ key: String) throws(InferenceError) -> Duration? {
            guard options[key] != nil else { return nil }
            return .milliseconds(Int64(try SettingsCheck.positive(options[key], default: 1, max: 3600, "connection_options.\(key)") * 1000))
        }
        let pool = try SettingsCheck.positive(options["pool_size"], default: 10, max: 1000, "connection_options.pool_size")
        let overflow = options["max_overflow"] == nil || options["max_overflow"]?.number == 0
            ? 0 : try SettingsCheck.positive(options["max_overflow"], default: 0, max: 1000, "connection_options.max_overflow")
        maximumConnections = Int(pool) + Int(overflow)
        let connect = try seconds("connect_timeout")
        let general = try seconds("timeout")
        connectTimeout = connect ?? general ?? .seconds(5)
        let poolTimeout = try seconds("pool_timeout")
        requestTimeout = poolTimeout ?? connectTimeout + .seconds(10)
        if let mode = options["sslmode"] {
            guard let text = mode.string, Self.sslModes.contains(text) else {
                throw SettingsCheck.invalid("connection_options.sslmode must be one of \(Self.sslModes.sorted().joined(separator: ", "))")
            }
            sslMode = text
        }
    }
}
