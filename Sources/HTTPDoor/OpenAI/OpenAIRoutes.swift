import Foundation
import HTTPTypes
import Hummingbird
import InferWireCore
import InferenceService
import NIOCore
import ProtoWire
import V2JSON

/// The OpenAI-compatible door: `POST /v1/chat/completions` (plain and streamed) and
/// `GET /v1/models` over the repository's LLM models, so an OpenAI SDK pointed at
/// `http://host:8080/v1` works unchanged. Each call is the data plane's infer or inferStream on
/// the model named by `model`.
struct OpenAIRoutes {
    let dataPlane: DataPlane
    let maxBodyBytes: Int

    func register(on router: Router<BasicRequestContext>) {
        let v1 = router.group("/v1").add(middleware: OpenAIErrorMiddleware())
        v1.get("/models") { request, _ in try await models(request) }
        v1.post("/chat/completions") { request, _ in try await chatCompletions(request) }
    }

    private func models(_ request: Request) async throws -> Response {
        let context = callContext(request)
        var data: [JSONDocument] = []
        for model in try await dataPlane.repositoryIndex(RepositoryIndexRequest(), context: context).models where model.state == "READY" {
            guard let provider = try? await provider(of: model.name, context) else { continue }
            data.append(.object([("id", .string(model.name)), ("object", .string("model")), ("created", .int(0)), ("owned_by", .string("inferwire-\(provider)"))]))
        }
        return json(JSONDocument.object([("object", .string("list")), ("data", .array(data))]))
    }

    /// The provider id of an LLM model (its metadata's platform), nil for other models.
    private func provider(of model: String, _ context: InferWireCore.RequestContext) async throws -> String? {
        let platform = try await dataPlane.modelMetadata(ModelMetadataRequest(name: model), context: context).platform
        return platform.hasPrefix("inferwire-llm-") ? String(platform.dropFirst("inferwire-llm-".count)) : nil
    }

    private func chatCompletions(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: maxBodyBytes)
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(body)
        } catch {
            throw InferenceError(.invalidArgument, "the body is not valid JSON: \(error.message)")
        }
        guard case .string(let model)? = document["model"] else { throw InferenceError(.invalidArgument, "\"model\" is required") }
        let context = callContext(request, model: model)
        guard let provider = try await provider(of: model, context) else {
            throw InferenceError(.notFound, "model '\(model)' is not a chat model (an mlserver_llm_api.LLMRuntime)")
        }
        let chat = try OpenAIChatRequest(document, provider: provider)
        let id = "chatcmpl-" + context.requestID.replacingOccurrences(of: "-", with: "")
        let created = Int64(Date().timeIntervalSince1970)
        guard chat.stream else {
            let response = try await dataPlane.infer(chat.message, context: context)
            return json(OpenAIChatResponse.completion(response, model: model, id: id, created: created))
        }
        return stream(chat, context: context, id: id, created: created)
    }

    /// Chunks as OpenAI streams them: the role first, then text deltas, tool calls and the
    /// finish reason from the runtime's final message, the usage when asked, then `[DONE]`.
    private func stream(_ chat: OpenAIChatRequest, context: InferWireCore.RequestContext, id: String, created: Int64) -> Response {
        let plane = dataPlane
        let model = chat.model
        let (events, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(64))
        func send(_ document: JSONDocument) { continuation.yield(ByteBuffer(string: "data: \(document.serialized())\n\n")) }
        let producer = Task {
            send(OpenAIChatResponse.chunk(id: id, model: model, created: created, delta: [("role", .string("assistant")), ("content", .string(""))], finish: nil))
            do throws(InferenceError) {
                try await plane.inferStream(chat.message, context: context) { response in
                    guard response.parameters["final"]?.value == .bool(true) else {
                        for text in OpenAIChatResponse.strings(response, "content") where !text.isEmpty {
                            send(OpenAIChatResponse.chunk(id: id, model: model, created: created, delta: [("content", .string(text))], finish: nil))
                        }
                        return
                    }
                    if let calls = OpenAIChatResponse.strings(response, "tool_calls").first, case .array(let list)? = try? JSONDocument.parse(Data(calls.utf8)), !list.isEmpty {
                        let indexed: [JSONDocument] = list.enumerated().map { index, call in
                            guard case .object(let members) = call else { return call }
                            return .object([("index", .int(Int64(index)))] + members)
                        }
                        send(OpenAIChatResponse.chunk(id: id, model: model, created: created, delta: [("tool_calls", .array(indexed))], finish: nil))
                    }
                    send(OpenAIChatResponse.chunk(id: id, model: model, created: created, delta: [], finish: OpenAIChatResponse.finishReason(response) ?? "stop"))
                    if chat.includeUsage, let usage = OpenAIChatResponse.usage(response) {
                        send(OpenAIChatResponse.usageChunk(id: id, model: model, created: created, usage: usage))
                    }
                }
            } catch {
                continuation.yield(ByteBuffer(string: "data: \(OpenAIErrorMiddleware<BasicRequestContext>.body(error).serialized())\n\n"))
            }
            continuation.yield(ByteBuffer(string: "data: [DONE]\n\n"))
            continuation.finish()
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                try await withTaskCancellationHandler {
                    for await event in events { try await writer.write(event) }
                } onCancel: {
                    producer.cancel()
                }
                try await writer.finish(nil)
            })
    }

    private func callContext(_ request: Request, model: String = "") -> InferWireCore.RequestContext {
        InferWireCore.RequestContext(
            requestID: UUID().uuidString.lowercased(), authorization: request.headers[.authorization] ?? "", routedModel: model)
    }

    private func json(_ document: JSONDocument) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document.serialized())))
    }
}

/// Failures on `/v1` in OpenAI's error shape, so its SDKs raise their usual exceptions:
/// `{"error": {"message", "type", "param", "code"}}` with the status of the code.
struct OpenAIErrorMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as InferenceError {
            return Self.response(HTTPResponse.Status(error.code), Self.body(error))
        } catch is NIOTooManyBytesError {
            return Self.response(.contentTooLarge, Self.body(InferenceError(.resourceExhausted, "the request body is larger than this server accepts")))
        }
    }

    static func body(_ error: InferenceError) -> JSONDocument {
        let type: String = switch error.code {
        case .invalidArgument, .failedPrecondition, .outOfRange: "invalid_request_error"
        case .unauthenticated: "authentication_error"
        case .permissionDenied: "permission_error"
        case .notFound: "not_found_error"
        case .resourceExhausted: "rate_limit_error"
        default: "api_error"
        }
        return .object([("error", .object([
            ("message", .string(error.message)), ("type", .string(type)), ("param", .null), ("code", .string(error.code.description.lowercased())),
        ]))])
    }

    static func response(_ status: HTTPResponse.Status, _ body: JSONDocument) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body.serialized())))
    }
}
