import ProtoWire

/// How a runtime calls other models of the same server (a pipeline's steps): straight to their
/// runtimes, without a door, a socket or a second authentication. The request names the model.
public protocol ModelCaller: Sendable {
    func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse
    func inferStream(_ request: ModelInferRequest, context: RequestContext) async throws -> AsyncThrowingStream<ModelInferResponse, Error>
}
