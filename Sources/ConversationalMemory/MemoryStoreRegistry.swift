import Foundation
import InferWireCore

/// Where a memory model's store lives, as its settings say: a URL (`sqlite:///memory.db`,
/// `postgresql://…`, or `file://…` for `database: "filesys"`), the model's folder (relative paths
/// resolve against it) and `connection_options`.
public struct MemoryStoreLocation: Sendable {
    public var url: String
    /// The URL's scheme, lowercased, without a driver suffix: `postgresql+psycopg2` → `postgresql`.
    public var scheme: String
    public var folder: String
    public var options: [String: JSONValue]

    public init(url: String, folder: String, options: [String: JSONValue] = [:]) {
        self.url = url
        let raw = url.firstIndex(of: ":").map { url[..<$0].lowercased() } ?? ""
        scheme = raw.split(separator: "+").first.map(String.init) ?? raw
        self.folder = folder
        self.options = options
    }

    /// A path relative to the model folder, or absolute.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path)
    }
}

/// Opens a store; made from checked settings, called at the model's load.
public typealias MemoryStoreOpener = @Sendable () async throws -> any MemoryStore

/// The stores memory models can name, by URL scheme. Memory settings name no concrete store:
/// a new store is its file (or module) and one `register` line where the server is wired.
public struct MemoryStoreRegistry: Sendable {
    /// Checks a location's settings (errors fail the model's load, naming the setting) and
    /// returns how to open the store.
    public typealias Prepare = @Sendable (MemoryStoreLocation) throws(InferenceError) -> MemoryStoreOpener

    private var stores: [String: Prepare] = [:]

    public init() {}

    /// The stores of this module: `file` (filesys) and `sqlite`.
    public static let builtIn: MemoryStoreRegistry = {
        var registry = MemoryStoreRegistry()
        registry.register(scheme: "file", FileMemoryStore.prepare)
        registry.register(scheme: "sqlite", SQLiteMemoryStore.prepare)
        return registry
    }()

    public mutating func register(scheme: String, _ prepare: @escaping Prepare) {
        stores[scheme.lowercased()] = prepare
    }

    public var schemes: [String] { stores.keys.sorted() }

    public func prepare(_ location: MemoryStoreLocation) throws(InferenceError) -> MemoryStoreOpener {
        guard let prepare = stores[location.scheme] else {
            let known = schemes.filter { $0 != "file" }.joined(separator: ", ")
            throw SettingsCheck.invalid("config.url: \(location.scheme.isEmpty ? "\"\(location.url)\" is not a database URL" : "\(location.scheme) is not supported") (this server's stores: \(known))")
        }
        return try prepare(location)
    }
}
