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
        let context = OpenAIChatCall.context(authorization: request.headers[.authorization] ?? "")
        var data: [JSONDocument] = []
        for model in try await dataPlane.repositoryIndex(RepositoryIndexRequest(), context: context).models where model.state == "READY" {
            guard let provider = try? await OpenAIChatCall.provider(of: model.name, context, dataPlane: dataPlane) else { continue }
            data.append(.object([("id", .string(model.name)), ("object", .string("model")), ("created", .int(0)), ("owned_by", .string("inferwire-\(provider)"))]))
        }
        return json(JSONDocument.object([("object", .string("list")), ("data", .array(data))]))
    }

    private func chatCompletions(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: maxBodyBytes)
        let document = try OpenAIChatCall.parse(body)
        let call = try await OpenAIChatCall.prepare(document, authorization: request.headers[.authorization] ?? "", dataPlane: dataPlane)
        guard call.chat.stream else {
            let answer = try await call.complete(dataPlane: dataPlane)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: answer))
        }
        return stream(call.chat, context: call.context, id: call.id, created: call.created)
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
                continuation.yield(ByteBuffer(string: "data: \(String(buffer: OpenAIErrorMiddleware<BasicRequestContext>.body(error)))\n\n"))
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
            return Self.response(HTTPResponse.Status(error.code), Self.body(error)).retryAfter(error)
        } catch is NIOTooManyBytesError {
            return Self.response(.contentTooLarge, Self.body(InferenceError(.resourceExhausted, "the request body is larger than this server accepts")))
        }
    }

    static func body(_ error: InferenceError) -> ByteBuffer {
        OpenAIChatCall.error(error).body
    }

    static func response(_ status: HTTPResponse.Status, _ body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}
