import InferWireCore
import NIOCore
import ProtoWire

/// Returns its inputs as outputs, raw bytes untouched: for tests, benchmarks and checking a
/// deployment end to end. `implementation: "echo"`.
///
/// Parameters it understands (request `parameters`): `delay_ms` (int64) waits before answering,
/// honouring cancellation; `stream_count` (int64) makes `inferStream` answer that many times.
public struct EchoRuntime: InferenceRuntime {
    public let name: String
    public let version: String

    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }

    /// Registers `echo` (and `inferwire.EchoRuntime`).
    public static func register(in factory: inout RuntimeFactory) {
        let make: RuntimeFactory.Make = { EchoRuntime(name: $0.name, version: $0.version) }
        factory.register("echo", make)
        factory.register("inferwire.EchoRuntime", make)
    }

    public func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = name
        metadata.versions = version.isEmpty ? [] : [version]
        metadata.platform = "inferwire-echo"
        return metadata
    }

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        if case .int64(let delay)? = request.parameters["delay_ms"]?.value, delay > 0 {
            try await Task.sleep(for: .milliseconds(delay))
        }
        var response = ModelInferResponse()
        response.modelName = name
        response.modelVersion = version
        response.id = request.id.isEmpty ? context.requestID : request.id
        response.outputs = request.inputs.map {
            .init(name: $0.name, datatype: $0.datatype, shape: $0.shape, parameters: $0.parameters, contents: $0.contents)
        }
        response.rawOutputContents = request.rawInputContents
        return response
    }

    public func inferStream(_ request: ModelInferRequest, context: RequestContext) -> AsyncThrowingStream<ModelInferResponse, Error> {
        var requested = 1
        if case .int64(let value)? = request.parameters["stream_count"]?.value { requested = Int(max(0, min(value, 10_000))) }
        let count = requested
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for _ in 0..<count {
                        continuation.yield(try await infer(request, context: context))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension RuntimeFactory {
    /// The runtimes the server module carries itself: echo.
    public static var builtIn: RuntimeFactory {
        var factory = RuntimeFactory()
        EchoRuntime.register(in: &factory)
        return factory
    }
}
