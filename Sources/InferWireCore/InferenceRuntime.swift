import ProtoWire

/// One model implementation (MLServer's `implementation`): the single seam between the server
/// core and what a model does. Runtimes throw `InferenceError` with the status code that fits;
/// any other error becomes INTERNAL. Cancellation (client CANCEL, deadline) arrives as Task
/// cancellation.
public protocol InferenceRuntime: Sendable {
    func load() async throws
    func unload() async throws
    func metadata() -> ModelMetadataResponse
    func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse
    /// Server streaming; by default one response, the result of `infer`.
    func inferStream(_ request: ModelInferRequest, context: RequestContext) -> AsyncThrowingStream<ModelInferResponse, Error>
}

extension InferenceRuntime {
    public func load() async throws {}
    public func unload() async throws {}

    public func inferStream(_ request: ModelInferRequest, context: RequestContext) -> AsyncThrowingStream<ModelInferResponse, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    continuation.yield(try await infer(request, context: context))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
