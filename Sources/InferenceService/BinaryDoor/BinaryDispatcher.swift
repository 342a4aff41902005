import InferWireCore
import InferWireProtocol
import NIOCore
import ProtoWire

/// The binary door's adapter over the data plane: decodes one stream's request message by its
/// method (ProtoWire, payload slices, no copies), calls the typed function, encodes what it
/// returns. Knows nothing of frames or sockets.
public struct BinaryDispatcher: Sendable {
    public let dataPlane: DataPlane
    public let limits: DecodingLimits

    public init(dataPlane: DataPlane, limits: DecodingLimits = .default) {
        self.dataPlane = dataPlane
        self.limits = limits
    }

    /// Runs the call. `send` receives each encoded response message; returning normally means
    /// OK, throwing `InferenceError` ends the stream with that status.
    public func dispatch(
        headers: RequestHeaders, payload: ByteBuffer, send: @Sendable (ByteBuffer) async -> Void
    ) async throws(InferenceError) {
        let context = RequestContext(
            requestID: headers.requestID, metadata: headers.metadata, authorization: headers.authorization,
            routedModel: headers.modelName, routedVersion: headers.modelVersion)
        let plane = dataPlane
        // The caller first: an unauthenticated peer learns nothing, not even that its message is malformed.
        if headers.method != .serverLive, headers.method != .serverReady { try plane.authenticate(context) }
        switch headers.method {
        case .serverLive:
            await send(encode(plane.serverLive(try decode(payload), context: context)))
        case .serverReady:
            await send(encode(await plane.serverReady(try decode(payload), context: context)))
        case .modelReady:
            await send(encode(try await plane.modelReady(try decode(payload), context: context)))
        case .serverMetadata:
            await send(encode(try plane.serverMetadata(try decode(payload), context: context)))
        case .modelMetadata:
            await send(encode(try await plane.modelMetadata(try decode(payload), context: context)))
        case .modelInfer:
            await send(encode(try await plane.infer(try decode(payload), context: context)))
        case .modelStreamInfer:
            try await plane.inferStream(try decode(payload), context: context) { response in
                var message = ModelStreamInferResponse()
                message.inferResponse = response
                await send(encode(message))
            }
        case .repositoryIndex:
            await send(encode(try await plane.repositoryIndex(try decode(payload), context: context)))
        case .repositoryModelLoad:
            await send(encode(try await plane.repositoryModelLoad(try decode(payload), context: context)))
        case .repositoryModelUnload:
            await send(encode(try await plane.repositoryModelUnload(try decode(payload), context: context)))
        default:
            throw InferenceError(.unimplemented, "unknown method \(headers.method.rawValue)")
        }
    }

    private func decode<M: ProtoMessage>(_ payload: ByteBuffer) throws(InferenceError) -> M {
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
}
