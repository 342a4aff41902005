import ProtoWire

/// Maps MLServer `implementation` strings to runtimes. Each runtime module offers a
/// `register(in:)`; whoever builds the server (the `inferwire` command) picks the runtimes.
public struct RuntimeFactory: Sendable {
    public typealias Make = @Sendable (ModelSettings) throws -> any InferenceRuntime
    /// For runtimes made of other models (pipelines): they get a way to call them.
    public typealias MakeComposite = @Sendable (ModelSettings, any ModelCaller) throws -> any InferenceRuntime

    private var makers: [String: MakeComposite]

    public init() {
        makers = [:]
    }

    public mutating func register(_ implementation: String, _ make: @escaping Make) {
        makers[implementation] = { settings, _ in try make(settings) }
    }

    public mutating func registerComposite(_ implementation: String, _ make: @escaping MakeComposite) {
        makers[implementation] = make
    }

    public var implementations: [String] { makers.keys.sorted() }

    /// The runtime for a model; an unknown implementation gives a runtime that fails to load
    /// with the reason, so that the model is listed as UNAVAILABLE and the others serve.
    /// `caller` reaches the server's other models (a composite runtime's steps).
    public func runtime(for settings: ModelSettings, caller: any ModelCaller = NoModelCaller()) -> any InferenceRuntime {
        guard let make = makers[settings.implementation] else {
            return FailedRuntime(
                name: settings.name,
                reason: "unknown implementation '\(settings.implementation)' (known: \(implementations.joined(separator: ", ")))")
        }
        do {
            return try make(settings, caller)
        } catch {
            return FailedRuntime(name: settings.name, reason: "\(error)")
        }
    }
}

/// For a factory used without a server: calling another model fails.
public struct NoModelCaller: ModelCaller {
    public init() {}

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        throw InferenceError(.unavailable, "no server to call model '\(request.modelName)' on")
    }

    public func inferStream(_ request: ModelInferRequest, context: RequestContext) async throws -> AsyncThrowingStream<ModelInferResponse, Error> {
        throw InferenceError(.unavailable, "no server to call model '\(request.modelName)' on")
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
