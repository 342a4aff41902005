import InferWireCore
import InferWireProtocol
import NIOCore
import NIOPosix
import ProtoWire

/// An async client for the binary protocol over one multiplexed TCP connection: every call is a
/// stream, any number run concurrently, and cancelling the calling Task cancels the stream on
/// the server.
public final class InferWireClient: Sendable {
    private let channel: Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    /// Sent as `authorization: "Bearer <token>"` on every call; a secret, never printed.
    private let token: String?

    private init(channel: Channel, handler: NIOLoopBound<ClientConnectionHandler>, token: String?) {
        self.channel = channel
        self.handler = handler
        self.token = token
    }

    public static func connect(
        host: String, port: Int, settings: ConnectionSettings = .default, token: String? = nil, tls: ClientTLS? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> InferWireClient {
        let tlsContext = try tls?.context()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls, let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(try tls.handler(context: tlsContext, host: host))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        PrefaceWriter(),
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: settings.maxFrameSize)),
                        FrameEncoder(),
                        ClientConnectionHandler(settings: settings, handshake: channel.eventLoop.makePromise()),
                    ])
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self), eventLoop: channel.eventLoop)
        }.get()
        // The connection is ready once the server's preface and SETTINGS have arrived.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) {
            handler.value.completeHandshake(.failure(InferenceError.connectionLost("no SETTINGS from the server within 10 s")))
        }
        do {
            _ = try await channel.eventLoop.flatSubmit { handler.value.handshake.futureResult }.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            try? await channel.close()
            throw error
        }
        return InferWireClient(channel: channel, handler: handler, token: token.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// One call: the raw response messages, ending when the server's STATUS arrives (a non-OK
    /// status is thrown as `InferenceError`).
    public func call(_ headers: RequestHeaders, message: ByteBuffer) -> AsyncThrowingStream<ByteBuffer, Error> {
        let handler = self.handler
        let headers = serializedHeaders(headers)
        return AsyncThrowingStream { continuation in
            let streamID = handler.eventLoop.submit {
                handler.value.start(headers: headers, message: message, sink: .stream(continuation))
            }
            continuation.onTermination = { termination in
                guard case .cancelled = termination else { return }
                streamID.whenSuccess { id in
                    guard let id else { return }
                    handler.eventLoop.execute { handler.value.cancel(id) }
                }
            }
        }
    }

    // MARK: - Calls from the event loop

    /// The event loop the connection lives on: `startCall` runs there.
    public var eventLoop: EventLoop { channel.eventLoop }

    /// `headers` as sent on the wire (with this client's token), to serialize once and send
    /// with many `startCall`s.
    public func serializedHeaders(_ headers: RequestHeaders) -> ByteBuffer {
        var headers = headers
        if let token, headers.authorization.isEmpty { headers.authorization = "Bearer \(token)" }
        return ByteBuffer(bytes: headers.serializedBytes())
    }

    /// Starts a call from the connection's event loop (it must be called there). `onEvent` runs
    /// on the event loop for every response message and once at the end, with the error if the
    /// status was not OK. No task or stream per call: the load generator's path. Returns the
    /// stream id (for `cancelCall`), or nil if the call already ended (it was told why).
    @discardableResult
    public func startCall(headers: ByteBuffer, message: ByteBuffer, onEvent: @escaping (CallEvent) -> Void) -> UInt32? {
        handler.value.start(headers: headers, message: message, sink: .callback(onEvent))
    }

    /// Cancels a call started with `startCall`, from the event loop; `onEvent` is not called again.
    public func cancelCall(_ id: UInt32) {
        handler.value.cancel(id)
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// A unary call: exactly one response message.
    public func unary<Response: ProtoMessage>(
        _ method: Method, _ request: some ProtoMessage, as: Response.Type,
        modelName: String = "", modelVersion: String = "", timeout: Duration? = nil,
        requestID: String = "", metadata: [String: String] = [:]
    ) async throws -> Response {
        var headers = RequestHeaders(method: method, modelName: modelName, modelVersion: modelVersion, requestID: requestID, metadata: metadata)
        if let timeout { headers.timeoutMilliseconds = UInt64(max(1, timeout.milliseconds)) }
        var response: ByteBuffer?
        for try await message in call(headers, message: encode(request)) {
            guard response == nil else { throw InferenceError(.internal, "server sent more than one response to a unary call") }
            response = message
        }
        guard let response else { throw InferenceError(.internal, "server ended a unary call without a response") }
        do {
            return try Response(decoding: response)
        } catch {
            throw InferenceError(.internal, "malformed \(Response.self) from server: \(error)")
        }
    }

    public func infer(_ request: ModelInferRequest, timeout: Duration? = nil, requestID: String = "") async throws -> ModelInferResponse {
        try await unary(.modelInfer, request, as: ModelInferResponse.self, modelName: request.modelName,
                        modelVersion: request.modelVersion, timeout: timeout, requestID: requestID)
    }

    /// Server streaming: the responses as they come.
    public func streamInfer(_ request: ModelInferRequest, timeout: Duration? = nil) -> AsyncThrowingStream<ModelStreamInferResponse, Error> {
        var headers = RequestHeaders(method: .modelStreamInfer, modelName: request.modelName, modelVersion: request.modelVersion)
        if let timeout { headers.timeoutMilliseconds = UInt64(max(1, timeout.milliseconds)) }
        let messages = call(headers, message: encode(request))
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await message in messages {
                        continuation.yield(try ModelStreamInferResponse(decoding: message))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func serverLive() async throws -> Bool {
        try await unary(.serverLive, ServerLiveRequest(), as: ServerLiveResponse.self).live
    }

    public func serverReady() async throws -> Bool {
        try await unary(.serverReady, ServerReadyRequest(), as: ServerReadyResponse.self).ready
    }

    public func modelReady(_ name: String, version: String = "") async throws -> Bool {
        try await unary(.modelReady, ModelReadyRequest(name: name, version: version), as: ModelReadyResponse.self, modelName: name).ready
    }

    public func serverMetadata() async throws -> ServerMetadataResponse {
        try await unary(.serverMetadata, ServerMetadataRequest(), as: ServerMetadataResponse.self)
    }

    public func modelMetadata(_ name: String, version: String = "") async throws -> ModelMetadataResponse {
        try await unary(.modelMetadata, ModelMetadataRequest(name: name, version: version), as: ModelMetadataResponse.self, modelName: name)
    }

    public func repositoryIndex(readyOnly: Bool = false) async throws -> [RepositoryIndexResponse.ModelIndex] {
        try await unary(.repositoryIndex, RepositoryIndexRequest(ready: readyOnly), as: RepositoryIndexResponse.self).models
    }

    public func load(model: String) async throws {
        _ = try await unary(.repositoryModelLoad, RepositoryModelLoadRequest(modelName: model), as: RepositoryModelLoadResponse.self)
    }

    public func unload(model: String) async throws {
        _ = try await unary(.repositoryModelUnload, RepositoryModelUnloadRequest(modelName: model), as: RepositoryModelUnloadResponse.self)
    }

    public func close() async {
        try? await channel.close()
    }

    private func encode(_ message: some ProtoMessage) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: message.encodedSize)
        message.encode(into: &buffer)
        return buffer
    }
}

/// What a call started with `startCall` reports, on the connection's event loop.
public enum CallEvent {
    case message(ByteBuffer)
    /// The call is over: nil when the server's status was OK.
    case end(InferenceError?)
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
