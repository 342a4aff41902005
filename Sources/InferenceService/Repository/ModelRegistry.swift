import InferWireCore
import NIOConcurrencyHelpers
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
    /// Finds a model the registry does not know yet (a folder added to the repository after the
    /// start, as Seldon's agent adds them): its version and runtime, or nil.
    private var discover: (@Sendable (String) -> (version: String, runtime: any InferenceRuntime)?)?
    /// The registered names, readable without awaiting the actor (metrics labels use them, so
    /// that clients cannot create label values for models that do not exist).
    private nonisolated let names = NIOLockedValueBox<Set<String>>([])

    public init() {}

    public nonisolated func isRegistered(_ name: String) -> Bool {
        names.withLockedValue { $0.contains(name) }
    }

    /// Adds a model (not loaded yet).
    public func register(name: String, version: String = "", runtime: any InferenceRuntime) {
        models[name] = Entry(version: version, runtime: runtime, state: .unknown, reason: "")
        names.withLockedValue { _ = $0.insert(name) }
    }

    public func setDiscovery(_ discover: @escaping @Sendable (String) -> (version: String, runtime: any InferenceRuntime)?) {
        self.discover = discover
    }

    /// Loads a model; one the registry does not know yet is looked for in the repository first.
    /// A failure is recorded (UNAVAILABLE with the reason) and thrown.
    public func load(name: String) async throws(InferenceError) {
        if models[name] == nil, let found = discover?(name) {
            register(name: name, version: found.version, runtime: found.runtime)
        }
        let runtime = try beginTransition(name, to: .loading)
        var failure: String?
        do {
            try await runtime.load()
        } catch {
            failure = (error as? InferenceError)?.message ?? "\(error)"
        }
        // Re-read after the await: the entry may have been replaced meanwhile.
        guard var entry = models[name], entry.state == .loading else { return }
        entry.state = failure == nil ? .ready : .unavailable
        entry.reason = failure ?? ""
        models[name] = entry
        if let failure {
            throw InferenceError(.unavailable, "model '\(name)' failed to load: \(failure)")
        }
    }

    public func unload(name: String) async throws(InferenceError) {
        let runtime = try beginTransition(name, to: .unloading)
        try? await runtime.unload()
        guard var entry = models[name], entry.state == .unloading else { return }
        entry.state = .unavailable
        entry.reason = "unloaded"
        models[name] = entry
    }

    /// Marks a model as loading or unloading; refuses while another transition runs, so that
    /// a load and an unload cannot interleave across their awaits.
    private func beginTransition(_ name: String, to state: State) throws(InferenceError) -> any InferenceRuntime {
        guard var entry = models[name] else { throw InferenceError(.notFound, "model '\(name)' is not in the repository") }
        guard entry.state != .loading && entry.state != .unloading else {
            throw InferenceError(.failedPrecondition, "model '\(name)' is \(entry.state.rawValue) already")
        }
        entry.state = state
        models[name] = entry
        return entry.runtime
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
        guard let entry = models[name] else { throw InferenceError(.notFound, "model '\(name)' not found") }
        guard version.isEmpty || version == entry.version else {
            throw InferenceError(.notFound, "model '\(name)' has no version '\(version)'")
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
