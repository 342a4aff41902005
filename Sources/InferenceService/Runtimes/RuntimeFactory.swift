import InferWireProtocol
import ProtoWire

/// Maps MLServer `implementation` strings to runtimes. Adding a runtime = one entry here.
public struct RuntimeFactory: Sendable {
    public typealias Make = @Sendable (ModelSettings) throws -> any InferenceRuntime

    private var makers: [String: Make]

    public init() {
        makers = [:]
    }

    /// The runtimes built into InferWire.
    public static let builtIn: RuntimeFactory = {
        var factory = RuntimeFactory()
        let echo: Make = { EchoRuntime(name: $0.name, version: $0.version) }
        factory.register("echo", echo)
        factory.register("inferwire.EchoRuntime", echo)
        let memory: Make = { try MemoryRuntime(settings: $0) }
        factory.register("mlserver_memory.ConversationalMemory", memory)
        factory.register("inferwire.MemoryRuntime", memory)
        return factory
    }()

    /// The built-in runtimes plus Seldon's LLM API runtime (`mlserver_llm_api.LLMRuntime`,
    /// alias `inferwire.LLMRuntime`) reaching its providers through `llm`.
    public static func standard(llm: LLMEnvironment) -> RuntimeFactory {
        var factory = builtIn
        let make: Make = { settings in try LLMRuntime(settings: settings, environment: llm) }
        factory.register("mlserver_llm_api.LLMRuntime", make)
        factory.register("inferwire.LLMRuntime", make)
        return factory
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
struct FailedRuntime: InferenceRuntime {
    let name: String
    let reason: String

    func load() async throws { throw InferenceError(.unavailable, reason) }

    func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = name
        return metadata
    }

    func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        throw InferenceError(.unavailable, "model '\(name)' is unavailable: \(reason)")
    }
}
