import InferWireProtocol
import ProtoWire

/// The models a server knows, their runtimes and states (MLServer's states: UNKNOWN, READY,
/// UNAVAILABLE, LOADING, UNLOADING). A model that fails to load stays listed as UNAVAILABLE with
/// its reason, while the others serve.
public actor ModelRegistry {
    public enum State: String, Sendable {
        case unknown = "UNKNOWN"
        case ready = "READY"
        case unavailable = "UNAVAILABLE"
        case loading = "LOADING"
        case unloading = "UNLOADING"
    }

    struct Entry {
        var version: String
        var runtime: any InferenceRuntime
        var state: State
        var reason: String
    }

    private var models: [String: Entry] = [:]

    public init() {}

    /// Adds a model (not loaded yet).
    public func register(name: String, version: String = "", runtime: any InferenceRuntime) {
        models[name] = Entry(version: version, runtime: runtime, state: .unknown, reason: "")
    }

    /// Loads a registered model; a failure is recorded, not thrown past the registry's caller.
    public func load(name: String) async throws(InferenceError) {
        guard var entry = models[name] else { throw InferenceError(.notFound, "model '\(name)' is not in the repository") }
        entry.state = .loading
        models[name] = entry
        do {
            try await entry.runtime.load()
            entry.state = .ready
            entry.reason = ""
        } catch {
            entry.state = .unavailable
            entry.reason = "\(error)"
        }
        models[name] = entry
        if entry.state != .ready {
            throw InferenceError(.unavailable, "model '\(name)' failed to load: \(entry.reason)")
        }
    }

    public func unload(name: String) async throws(InferenceError) {
        guard var entry = models[name] else { throw InferenceError(.notFound, "model '\(name)' is not in the repository") }
        entry.state = .unloading
        models[name] = entry
        try? await entry.runtime.unload()
        entry.state = .unavailable
        entry.reason = "unloaded"
        models[name] = entry
    }

    /// The runtime of a ready model, or the status that says why there is none.
    public func readyRuntime(name: String, version: String) throws(InferenceError) -> any InferenceRuntime {
        guard let entry = models[name] else { throw InferenceError(.notFound, "model '\(name)' not found") }
        guard version.isEmpty || version == entry.version else {
            throw InferenceError(.notFound, "model '\(name)' has no version '\(version)'")
        }
        guard entry.state == .ready else {
            let reason = entry.reason.isEmpty ? "" : ": \(entry.reason)"
            throw InferenceError(.unavailable, "model '\(name)' is not ready (\(entry.state.rawValue)\(reason))")
        }
        return entry.runtime
    }

    public func isReady(name: String, version: String) -> Bool {
        guard let entry = models[name], version.isEmpty || version == entry.version else { return false }
        return entry.state == .ready
    }

    public func metadata(name: String, version: String) throws(InferenceError) -> ModelMetadataResponse {
        guard let entry = models[name], version.isEmpty || version == entry.version else {
            throw InferenceError(.notFound, "model '\(name)' not found")
        }
        return entry.runtime.metadata()
    }

    public var allReady: Bool { models.values.allSatisfy { $0.state == .ready } }

    public func index(readyOnly: Bool) -> [RepositoryIndexResponse.ModelIndex] {
        models.sorted { $0.key < $1.key }
            .filter { !readyOnly || $0.value.state == .ready }
            .map { .init(name: $0.key, version: $0.value.version, state: $0.value.state.rawValue, reason: $0.value.reason) }
    }
}
