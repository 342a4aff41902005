import Foundation
import GRPCCore
import InferWireCore
import InferenceService
import ProtoWire

/// `inference.GRPCInferenceService` (proto/inference.proto) over the data plane: every RPC is
/// one typed call, so statuses, routing and checks are the binary door's. ModelStreamInfer is
/// bidirectional as Triton's: each request message is answered by its stream of responses, a
/// failed one by a response carrying `error_message` (the stream goes on, as Triton's does).
struct InferenceGRPCService: RegistrableRPCService {
    let dataPlane: DataPlane
    let limits: DecodingLimits

    static let service = "inference.GRPCInferenceService"
    /// Every method but ModelStreamInfer: one request, one answer.
    static let unaryMethods = [
        "ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer", "RepositoryIndex", "RepositoryModelLoad",
        "RepositoryModelUnload",
    ]

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let plane = dataPlane
        unary(&router, "ServerLive") { (request: ServerLiveRequest, context) in plane.serverLive(request, context: context) }
        unary(&router, "ServerReady") { (request: ServerReadyRequest, context) in await plane.serverReady(request, context: context) }
        unary(&router, "ModelReady") { (request: ModelReadyRequest, context) in try await plane.modelReady(request, context: context) }
        unary(&router, "ServerMetadata") { (request: ServerMetadataRequest, context) in try plane.serverMetadata(request, context: context) }
        unary(&router, "ModelMetadata") { (request: ModelMetadataRequest, context) in try await plane.modelMetadata(request, context: context) }
        unary(&router, "ModelInfer") { (request: ModelInferRequest, context) in try await plane.infer(request, context: context) }
        unary(&router, "RepositoryIndex") { (request: RepositoryIndexRequest, context) in try await plane.repositoryIndex(request, context: context) }
        unary(&router, "RepositoryModelLoad") { (request: RepositoryModelLoadRequest, context) in try await plane.repositoryModelLoad(request, context: context) }
        unary(&router, "RepositoryModelUnload") { (request: RepositoryModelUnloadRequest, context) in try await plane.repositoryModelUnload(request, context: context) }

        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "ModelStreamInfer"),
            deserializer: ProtoWireDeserializer<ModelInferRequest>(limits: limits),
            serializer: ProtoWireSerializer<ModelStreamInferResponse>()
        ) { request, _ in
            let metadata = request.metadata
            return StreamingServerResponse { writer in
                try await Self.answer(request.messages, metadata: metadata, plane: plane, writer: writer)
                return [:]
            }
        }
    }

    /// ModelStreamInfer's loop: each request message answered by its stream of responses.
    private static func answer(
        _ messages: RPCAsyncSequence<ModelInferRequest, any Error>, metadata: Metadata, plane: DataPlane, writer: RPCWriter<ModelStreamInferResponse>
    ) async throws {
        for try await message in messages {
            let context = Self.context(metadata, id: message.id)
            do throws(InferenceError) {
                try await plane.inferStream(message, context: context) { response in
                    var wrapped = ModelStreamInferResponse()
                    wrapped.inferResponse = response
                    try? await writer.write(wrapped)
                }
            } catch {
                var failed = ModelStreamInferResponse()
                failed.errorMessage = "\(error.code): \(error.message)"
                try await writer.write(failed)
            }
        }
    }

    /// A unary RPC: one request, the data plane's answer or its status.
    private func unary<Transport: ServerTransport, Input: ProtoMessage, Output: ProtoMessage>(
        _ router: inout RPCRouter<Transport>, _ method: String,
        _ call: @escaping @Sendable (Input, InferWireCore.RequestContext) async throws -> Output
    ) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: method),
            deserializer: ProtoWireDeserializer<Input>(limits: limits),
            serializer: ProtoWireSerializer<Output>()
        ) { request, serverContext in
            let single = try await ServerRequest(stream: request)
            let id = (single.message as? ModelInferRequest)?.id ?? ""
            do {
                let context = Self.context(single.metadata, id: id)
                // A deadline, a reset or a closed connection cancels this task (the transport's
                // `CancellationRelay`): the data plane and the runtime's provider call see it.
                let answer = try await call(single.message, context)
                return StreamingServerResponse(single: ServerResponse(message: answer))
            } catch let error as InferenceError {
                // The core cancels a call whose grpc-timeout passed through its handle: the data
                // plane saw a cancellation, the client is owed DEADLINE_EXCEEDED.
                if error.code == .cancelled, serverContext.cancellation.isCancelled {
                    return StreamingServerResponse(error: RPCError(code: .deadlineExceeded, message: "the call's deadline passed"))
                }
                return StreamingServerResponse(error: RPCError(error))
            }
        }
    }

    /// ModelInfer as the transport runs it (`GRPCDirectMethod`): the same decoding, data plane
    /// call, statuses and encoding as the registered handler, without grpc-swift's core. The
    /// transport cancels the call's task on a deadline, a reset or a closed connection.
    static func directModelInfer(_ plane: DataPlane, limits: DecodingLimits) -> GRPCDirectMethod {
        let decoder = ProtoWireDeserializer<ModelInferRequest>(limits: limits)
        let encoder = ProtoWireSerializer<ModelInferResponse>()
        return GRPCDirectMethod { bytes, metadata in
            do {
                let request = try decoder.deserialize(GRPCBytes(bytes))
                let context = Self.context(metadata, id: request.id)
                let response = try await plane.infer(request, context: context)
                let encoded: GRPCBytes = try encoder.serialize(response)
                return .init(message: encoded)
            } catch let error as InferenceError {
                return .init(error: RPCError(error))
            } catch let error as RPCError {
                return .init(error: error)
            } catch {
                return .init(error: RPCError(code: .unknown, message: "Service method threw an unknown error."))
            }
        }
    }

    /// The call's context: the `authorization` metadata (the bearer token), a request id (the
    /// message's, else `x-request-id`, else a new UUID), free metadata for the runtime.
    static func context(_ metadata: Metadata, id: String) -> InferWireCore.RequestContext {
        var free: [String: String] = [:]
        for (key, value) in metadata {
            if case .string(let text) = value, key != "authorization" { free[key] = text }
        }
        let requestID = id.isEmpty ? (free["x-request-id"] ?? UUID().uuidString.lowercased()) : id
        let authorization = metadata[stringValues: "authorization"].first(where: { _ in true }) ?? ""
        return InferWireCore.RequestContext(requestID: requestID, metadata: free, authorization: authorization)
    }
}

extension RPCError {
    /// The data plane's status as gRPC's (the same numbers: InferWire's codes are gRPC's).
    init(_ error: InferenceError) {
        let code: RPCError.Code = switch error.code {
        case .cancelled: .cancelled
        case .invalidArgument: .invalidArgument
        case .deadlineExceeded: .deadlineExceeded
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .permissionDenied: .permissionDenied
        case .resourceExhausted: .resourceExhausted
        case .failedPrecondition: .failedPrecondition
        case .aborted: .aborted
        case .outOfRange: .outOfRange
        case .unimplemented: .unimplemented
        case .internal: .internalError
        case .unavailable: .unavailable
        case .dataLoss: .dataLoss
        case .unauthenticated: .unauthenticated
        default: .unknown
        }
        var metadata = Metadata()
        if let seconds = error.details[InferenceError.retryAfterKey] { metadata.addString(seconds, forKey: "retry-after") }
        self.init(code: code, message: error.message, metadata: metadata)
    }
}
