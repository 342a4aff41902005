import InferWireCore
import ProtoWire

/// A pipeline's way to its steps: the registry's ready runtime for the named model, called as
/// the data plane calls it (errors mapped to statuses), minus what only a door needs (the
/// caller was authenticated once, at the pipeline).
struct RegistryModelCaller: ModelCaller {
    let registry: ModelRegistry

    func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        let runtime = try await registry.readyRuntime(name: request.modelName, version: request.modelVersion)
        return try await RuntimeCall.run { try await runtime.infer(request, context: context) }
    }

    func inferStream(_ request: ModelInferRequest, context: RequestContext) async throws -> AsyncThrowingStream<ModelInferResponse, Error> {
        let runtime = try await registry.readyRuntime(name: request.modelName, version: request.modelVersion)
        return runtime.inferStream(request, context: context)
    }
}
