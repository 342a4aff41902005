import Foundation
import InferWireCore
import InferenceService
import NIOCore
import ProtoWire
import V2JSON

/// One OpenAI chat completion call from its body to the data plane, shared by the `/v1` route
/// (Hummingbird) and the fast path (`FastInferHandler`, plain completions), so both answer alike.
struct OpenAIChatCall {
    var chat: OpenAIChatRequest
    var context: InferWireCore.RequestContext
    var id: String
    var created: Int64

    /// The body as JSON, or INVALID_ARGUMENT saying where it broke.
    static func parse(_ body: ByteBuffer) throws(InferenceError) -> JSONDocument {
        do {
            return try JSONDocument.parse(body)
        } catch {
            throw InferenceError(.invalidArgument, "the body is not valid JSON: \(error.message)")
        }
    }

    /// The call for a parsed body: its model must be an LLM model of the repository.
    static func prepare(_ document: JSONDocument, authorization: String, dataPlane: DataPlane) async throws -> OpenAIChatCall {
        guard case .string(let model)? = document["model"] else { throw InferenceError(.invalidArgument, "\"model\" is required") }
        let context = Self.context(authorization: authorization, model: model)
        guard let provider = try await provider(of: model, context, dataPlane: dataPlane) else {
            throw InferenceError(.notFound, "model '\(model)' is not a chat model (an mlserver_llm_api.LLMRuntime)")
        }
        let chat = try OpenAIChatRequest(document, provider: provider)
        return OpenAIChatCall(
            chat: chat, context: context, id: "chatcmpl-" + context.requestID.replacingOccurrences(of: "-", with: ""),
            created: Int64(Date().timeIntervalSince1970))
    }

    /// A plain (not streamed) completion: the chat completion object's JSON.
    func complete(dataPlane: DataPlane) async throws -> ByteBuffer {
        let response = try await dataPlane.infer(chat.message, context: context)
        var writer = JSONWriter(capacity: 512)
        writer.document(OpenAIChatResponse.completion(response, model: chat.model, id: id, created: created))
        return writer.buffer
    }

    /// A `/v1` call's context: the caller's token, the model it names, a new request id.
    static func context(authorization: String, model: String = "") -> InferWireCore.RequestContext {
        InferWireCore.RequestContext(requestID: UUID().uuidString.lowercased(), authorization: authorization, routedModel: model)
    }

    /// The provider id of an LLM model (its metadata's platform), nil for other models.
    static func provider(of model: String, _ context: InferWireCore.RequestContext, dataPlane: DataPlane) async throws -> String? {
        let platform = try await dataPlane.modelMetadata(ModelMetadataRequest(name: model), context: context).platform
        return platform.hasPrefix("inferwire-llm-") ? String(platform.dropFirst("inferwire-llm-".count)) : nil
    }

    /// OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, and its status.
    static func error(_ error: InferenceError) -> (status: Int, body: ByteBuffer) {
        let type: String = switch error.code {
        case .invalidArgument, .failedPrecondition, .outOfRange: "invalid_request_error"
        case .unauthenticated: "authentication_error"
        case .permissionDenied: "permission_error"
        case .notFound: "not_found_error"
        case .resourceExhausted: "rate_limit_error"
        default: "api_error"
        }
        var writer = JSONWriter(capacity: 256)
        writer.document(.object([("error", .object([
            ("message", .string(error.message)), ("type", .string(type)), ("param", .null), ("code", .string(error.code.description.lowercased())),
        ]))]))
        return (V2InferCall.httpStatus(error.code), writer.buffer)
    }
}
