import Foundation
import ConversationalMemory
import InferWireCore
import Logging
import NIOCore
import PostgresNIO

/// `database: "sql"` with a PostgreSQL URL: conversations shared by every replica, through
/// postgres-nio's pooled client (`connection_options.pool_size`, `timeout`).
///
/// The table is created at load. A request is **one statement, one round trip**: an append is an
/// INSERT (in a CTE) that takes the next `seq` of its conversation, and the same statement reads
/// the window around it (the new row from RETURNING, the rows before it, the latest system
/// entry). Two writers (threads or server processes) racing for the same `seq` collide on the
/// primary key and the loser retries, so every append lands exactly once in one total order. A
/// database that is down is UNAVAILABLE and nothing is written.
public final class PostgresMemoryStore: MemoryStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// Bound on one request's database work: the pool waits for a database that is down
    /// instead of failing, so the store gives up itself and says UNAVAILABLE.
    private let requestTimeout: Duration

    public struct Location: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        /// Options given in the URL's query (`?sslmode=require&connect_timeout=5`), libpq's names.
        public var queryOptions: [String: String] = [:]

        /// `postgresql://user:password@host:port/database[?sslmode=…&connect_timeout=…]` (also
        /// `postgresql+pg8000://`, `postgresql+psycopg2://`, `postgres://`).
        public init(url: String) throws(InferenceError) {
            guard let separator = url.range(of: "://"), let components = URLComponents(string: "postgresql://" + url[separator.upperBound...]),
                let host = components.host, !host.isEmpty
            else {
                throw InferenceError(.invalidArgument, "config.url: a PostgreSQL URL is postgresql://user:password@host:port/database")
            }
            self.host = host
            port = components.port ?? 5432
            username = components.user?.removingPercentEncoding ?? "postgres"
            password = components.password?.removingPercentEncoding
            let path = components.path.trimmingCharacters(in: ["/"])
            database = path.isEmpty ? nil : path
            for item in components.queryItems ?? [] {
                guard ["sslmode", "connect_timeout"].contains(item.name) else {
                    throw InferenceError(.invalidArgument, "config.url: the option \(item.name) is not supported (sslmode, connect_timeout; or use connection_options)")
                }
                queryOptions[item.name] = item.value ?? ""
            }
        }
    }

    /// `connection_options`, in SQLAlchemy's and libpq's words.
    public struct Options: Sendable, Equatable {
        /// Connections in the pool (`pool_size` + `max_overflow`).
        public var maximumConnections = 10
        /// `connect_timeout` (else `timeout`), seconds.
        public var connectTimeout: Duration = .seconds(5)
        /// `pool_timeout`: the bound on one request's database work.
        public var requestTimeout: Duration = .seconds(15)
        /// libpq's `sslmode`: disable, prefer, require (encrypt, no certificate check), verify-ca,
        /// verify-full.
        public var sslMode = "disable"

        public init() {}

        public static let sslModes: Set<String> = ["disable", "prefer", "require", "verify-ca", "verify-full"]

        var tls: PostgresClient.Configuration.TLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            switch sslMode {
            case "prefer":
                tls.certificateVerification = .none
                return .prefer(tls)
            case "require":
                tls.certificateVerification = .none
                return .require(tls)
            case "verify-ca":
                tls.certificateVerification = .noHostnameVerification
                return .require(tls)
            case "verify-full":
                return .require(tls)
            default:
                return .disable
            }
        }
    }

    /// Connects (lazily: the pool opens connections as requests need them) and creates the
    /// table; a database that cannot be reached fails here, so the model is UNAVAILABLE.
    public init(location: Location, options: Options = Options()) async throws {
        var configuration = PostgresClient.Configuration(
            // No password in the URL: libpq's PGPASSWORD (a Kubernetes Secret as an environment variable).
            host: location.host, port: location.port, username: location.username,
            password: location.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"],
            database: location.database, tls: options.tls)
        configuration.options.maximumConnections = max(1, options.maximumConnections)
        configuration.options.connectTimeout = options.connectTimeout
        let connectTimeout = options.connectTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "inferwire.memory.postgres"))
        self.client = client
        requestTimeout = options.requestTimeout
        runner = Task { await client.run() }
        do {
            try await Self.bounded(connectTimeout, what: "connecting") {
                do {
                    try await client.query("""
                        CREATE TABLE IF NOT EXISTS inferwire_memory (
                            memory_id TEXT NOT NULL, seq BIGINT NOT NULL, role TEXT NOT NULL, parts BYTEA NOT NULL,
                            created_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (memory_id, seq))
                        """)
                } catch let error as PSQLError where ["23505", "42P07"].contains(error.serverInfo?[.sqlState] ?? "") {
                    // Another replica created it at the same moment (IF NOT EXISTS is not race-safe).
                }
                // Append keys (tables made before them get the column), unique per conversation.
                for statement: PostgresQuery in [
                    "ALTER TABLE inferwire_memory ADD COLUMN IF NOT EXISTS append_key TEXT",
                    "CREATE UNIQUE INDEX IF NOT EXISTS inferwire_memory_key ON inferwire_memory (memory_id, append_key) WHERE append_key IS NOT NULL",
                ] {
                    do {
                        try await client.query(statement)
                    } catch let error as PSQLError where ["23505", "42P07", "42701"].contains(error.serverInfo?[.sqlState] ?? "") {
                        // Done by another replica at the same moment.
                    }
                }
            }
        } catch {
            runner.cancel()
            throw error as? InferenceError ?? Self.unavailable(error)
        }
    }

    /// Runs `operation`, or fails with UNAVAILABLE once `limit` has passed.
    static func bounded<T: Sendable>(_ limit: Duration, what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw InferenceError(.unavailable, "memory store (PostgreSQL): no answer \(what) within \(limit)")
            }
            return value
        }
    }

    public func appendAndWindow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) async throws -> [MemoryEntry] {
        do {
            return try await Self.bounded(requestTimeout, what: "for this request") {
                if let entry { return try await self.appendAndRead(memoryID: memoryID, entry: entry, appendKey: appendKey, size: windowSize) }
                return try await self.window(memoryID: memoryID, size: windowSize)
            }
        } catch let error as InferenceError {
            throw error
        } catch {
            throw Self.unavailable(error)
        }
    }

    private func appendAndRead(memoryID: String, entry: MemoryEntry, appendKey: String?, size: Int) async throws -> [MemoryEntry] {
        let parts = ByteBuffer(bytes: MemoryEntryCodec.encode(entry.parts))
        // A keyed append may insert nothing (the key is taken): then the window is `size` old rows.
        let before = appendKey == nil ? size - 1 : size
        for attempt in 1...20 {
            do {
                // The CTE's SELECTs see the table as it was: the new row comes from RETURNING.
                let rows = try await client.query("""
                    WITH inserted AS (
                        INSERT INTO inferwire_memory (memory_id, seq, role, parts, append_key)
                        SELECT \(memoryID), COALESCE(MAX(seq), 0) + 1, \(entry.role), \(parts), \(appendKey) FROM inferwire_memory WHERE memory_id = \(memoryID)
                        ON CONFLICT (memory_id, append_key) WHERE append_key IS NOT NULL DO NOTHING
                        RETURNING seq, role, parts)
                    SELECT seq, role, parts FROM inserted
                    UNION ALL
                    (SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = \(memoryID) ORDER BY seq DESC LIMIT \(before))
                    UNION ALL
                    (SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = \(memoryID) AND role = 'system' ORDER BY seq DESC LIMIT 1)
                    """)
                return try await Self.window(rows, size: size)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && attempt < 20 {
                continue  // another writer took this seq first: take the next one
            }
        }
        throw InferenceError(.unavailable, "memory store (PostgreSQL): too many concurrent writers on one conversation")
    }

    private func window(memoryID: String, size: Int) async throws -> [MemoryEntry] {
        let rows = try await client.query("""
            (SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = \(memoryID) ORDER BY seq DESC LIMIT \(size))
            UNION ALL
            (SELECT seq, role, parts FROM inferwire_memory WHERE memory_id = \(memoryID) AND role = 'system' ORDER BY seq DESC LIMIT 1)
            """)
        return try await Self.window(rows, size: size)
    }

    /// The window from rows that hold the last entries and the latest system entry (possibly
    /// twice, in any order): `MemoryWindow`'s rule.
    private static func window(_ rows: PostgresRowSequence, size: Int) async throws -> [MemoryEntry] {
        var bySeq: [Int64: MemoryEntry] = [:]
        for try await (seq, role, parts) in rows.decode((Int64, String, ByteBuffer).self) where bySeq[seq] == nil {
            bySeq[seq] = MemoryEntry(role: role, parts: try MemoryEntryCodec.decode(parts.readableBytesView))
        }
        let newestFirst = bySeq.keys.sorted(by: >)
        let latestSystem = newestFirst.lazy.compactMap { bySeq[$0] }.first { $0.role == "system" }
        return MemoryWindow.assemble(last: newestFirst.prefix(size).reversed().map { bySeq[$0]! }, latestSystem: latestSystem, size: size)
    }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    static func unavailable(_ error: Error) -> InferenceError {
        if let error = error as? PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            return InferenceError(.unavailable, "memory store (PostgreSQL): \(message)")
        }
        return InferenceError(.unavailable, "memory store (PostgreSQL): \(error)")
    }
}
