import ProtoWire

/// Maps MLServer `implementation` strings to runtimes. Each runtime module offers a
/// `register(in:)`; whoever builds the server (the `inferwire` command) picks the runtimes.
public struct RuntimeFactory: Sendable {
    public typealias Make = @Sendable (ModelSettings) throws -> any InferenceRuntime

    private var makers: [String: Make]

    public init() {
        makers = [:]
    }

    public mutating func register(_ implementation: String, _ make: @escaping Make) {
        makers[implementation] = make
    }

    public var implementations: [String] { makers.keys.sorted() }

    /// The runtime for a model; an unknown implementation gives a runtime that fails to load
    /// with the reason, so that the model is listed as UNAVAILABLE and the others serve.
    public func runtime(for settings: ModelSettings) -> any InferenceRuntime {
        guard let make = makers[settings.implementation] else {
            return FailedRuntime(
                name: settings.name,
                reason: "unknown implementation '\(settings.implementation)' (known: \(implementations.joined(separator: ", ")))")
        }
        do {
            return try make(settings)
        } catch {
            return FailedRuntime(name: settings.name, reason: "\(error)")
        }
    }
}

/// Stands in for a model that cannot run: loading it fails with the reason.
public struct FailedRuntime: InferenceRuntime {
    public let name: String
    public let reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public func load() async throws { throw InferenceError(.unavailable, reason) }

    public func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = name
        return metadata
    }

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        throw InferenceError(.unavailable, "model '\(name)' is unavailable: \(reason)")
    }
}
