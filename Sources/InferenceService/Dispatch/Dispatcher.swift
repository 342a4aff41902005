import InferWireProtocol
import NIOCore
import ProtoWire

/// Turns one stream's headers and request message into response messages and a final status.
/// Knows nothing of frames or sockets, so that later REST and gRPC front ends reuse it as is.
public struct Dispatcher: Sendable {
    public let registry: ModelRegistry
    public let serverName: String
    public let serverVersion: String
    public let limits: DecodingLimits
    /// When set, every call but ServerLive and ServerReady (the probes) must carry
    /// `authorization: "Bearer <token>"`. A secret: never logged or echoed.
    private let authToken: String?

    public init(
        registry: ModelRegistry, serverName: String = "inferwire", serverVersion: String = "0.1.0",
        limits: DecodingLimits = .default, authToken: String? = nil
    ) {
        self.registry = registry
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.limits = limits
        self.authToken = authToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    private func authenticate(_ headers: RequestHeaders) throws(InferenceError) {
        guard let authToken, headers.method != .serverLive, headers.method != .serverReady else { return }
        // Compared in constant time, so the comparison leaks nothing about the token.
        let expected = Array("Bearer \(authToken)".utf8)
        let given = Array(headers.authorization.utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in 0..<min(expected.count, given.count) { difference |= expected[index] ^ given[index] }
        guard difference == 0 else {
            throw InferenceError(.unauthenticated, headers.authorization.isEmpty ? "this server requires a bearer token" : "the bearer token was not accepted")
        }
    }

    /// Runs the call. `send` receives each encoded response message; returning normally means
    /// OK, throwing `InferenceError` ends the stream with that status.
    public func dispatch(
        headers: RequestHeaders, payload: ByteBuffer, send: @Sendable (ByteBuffer) async -> Void
    ) async throws(InferenceError) {
        try authenticate(headers)
        let context = RequestContext(requestID: headers.requestID, metadata: headers.metadata)
        switch headers.method {
        case .serverLive:
            _ = try decode(ServerLiveRequest.self, payload)
            await send(encode(ServerLiveResponse(live: true)))
        case .serverReady:
            _ = try decode(ServerReadyRequest.self, payload)
            await send(encode(ServerReadyResponse(ready: await registry.allReady)))
        case .modelReady:
            let request = try decode(ModelReadyRequest.self, payload)
            try checkModel(headers, request.name)
            await send(encode(ModelReadyResponse(ready: await registry.isReady(name: request.name, version: request.version))))
        case .serverMetadata:
            _ = try decode(ServerMetadataRequest.self, payload)
            var response = ServerMetadataResponse()
            response.name = serverName
            response.version = serverVersion
            response.extensions = ["model_repository", "binary_tensor_data"]
            await send(encode(response))
        case .modelMetadata:
            let request = try decode(ModelMetadataRequest.self, payload)
            try checkModel(headers, request.name)
            await send(encode(try await registry.metadata(name: request.name, version: request.version)))
        case .modelInfer:
            let (request, runtime) = try await inferRequest(headers, payload)
            let response = try await run { try await runtime.infer(request, context: context) }
            await send(encode(response))
        case .modelStreamInfer:
            let (request, runtime) = try await inferRequest(headers, payload)
            try await run {
                for try await response in runtime.inferStream(request, context: context) {
                    var message = ModelStreamInferResponse()
                    message.inferResponse = response
                    await send(encode(message))
                }
            }
        case .repositoryIndex:
            let request = try decode(RepositoryIndexRequest.self, payload)
            var response = RepositoryIndexResponse()
            response.models = await registry.index(readyOnly: request.ready)
            await send(encode(response))
        case .repositoryModelLoad:
            let request = try decode(RepositoryModelLoadRequest.self, payload)
            try await registry.load(name: request.modelName)
            await send(encode(RepositoryModelLoadResponse()))
        case .repositoryModelUnload:
            let request = try decode(RepositoryModelUnloadRequest.self, payload)
            try await registry.unload(name: request.modelName)
            await send(encode(RepositoryModelUnloadResponse()))
        default:
            throw InferenceError(.unimplemented, "unknown method \(headers.method.rawValue)")
        }
    }

    private func inferRequest(
        _ headers: RequestHeaders, _ payload: ByteBuffer
    ) async throws(InferenceError) -> (ModelInferRequest, any InferenceRuntime) {
        var request = try decode(ModelInferRequest.self, payload)
        if request.modelName.isEmpty { request.modelName = headers.modelName }
        if request.modelVersion.isEmpty { request.modelVersion = headers.modelVersion }
        try checkModel(headers, request.modelName)
        do {
            try request.validateTensorData()
        } catch {
            throw InferenceError(.invalidArgument, "bad tensor data: \(error)")
        }
        let runtime = try await registry.readyRuntime(name: request.modelName, version: request.modelVersion)
        return (request, runtime)
    }

    /// The headers may name the model for routing; if they do, the message must agree.
    private func checkModel(_ headers: RequestHeaders, _ name: String) throws(InferenceError) {
        guard headers.modelName.isEmpty || name.isEmpty || headers.modelName == name else {
            throw InferenceError(.invalidArgument, "headers name model '\(headers.modelName)' but the message names '\(name)'")
        }
    }

    private func decode<M: ProtoMessage>(_ type: M.Type, _ payload: ByteBuffer) throws(InferenceError) -> M {
        do {
            return try M(decoding: payload, limits: limits)
        } catch {
            let code: StatusCode = switch error.kind {
            case .messageTooLarge, .tooManyElements, .tooManyTensors, .nestingTooDeep: .resourceExhausted
            default: .invalidArgument
            }
            throw InferenceError(code, "malformed \(M.self): \(error)")
        }
    }

    private func encode(_ message: some ProtoMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        message.encode(into: &buffer)
        return buffer
    }

    /// Runs runtime code, mapping its errors to statuses: InferenceError as is, cancellation as
    /// CANCELLED, anything else as INTERNAL.
    private func run<T>(_ body: () async throws -> T) async throws(InferenceError) -> T {
        do {
            return try await body()
        } catch let error as InferenceError {
            throw error
        } catch is CancellationError {
            throw InferenceError(.cancelled, "cancelled")
        } catch {
            throw InferenceError(.internal, "runtime failed: \(error)")
        }
    }
}
