import Foundation
import HTTPTypes
import Hummingbird
import InferWireCore
import InferenceService
import NIOCore
import ProtoWire
import V2JSON

/// MLServer's and KServe's V2 REST routes, each one call of the data plane: the request's JSON
/// becomes the V2 message, the answer's message becomes JSON. Nothing here decides anything the
/// binary door would decide differently (routing, checks and statuses are the data plane's).
struct V2Routes {
    let dataPlane: DataPlane
    let maxBodyBytes: Int

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v2/health/live") { _, _ in json(.ok, #"{"live":true}"#) }
        router.get("/v2/health/ready") { request, _ in
            let ready = await dataPlane.serverReady(ServerReadyRequest(), context: callContext(request)).ready
            return json(ready ? .ok : .badRequest, ready ? #"{"ready":true}"# : #"{"ready":false}"#)
        }
        router.get("/v2") { request, _ in
            let metadata = try dataPlane.serverMetadata(ServerMetadataRequest(), context: callContext(request))
            return json(.ok, JSONDocument.object([
                ("name", .string(metadata.name)), ("version", .string(metadata.version)),
                ("extensions", .array(metadata.extensions.map { .string($0) })),
            ]).serialized())
        }
        for path in ["/v2/models/{model}", "/v2/models/{model}/versions/{version}"] {
            router.get(RouterPath(path)) { request, context in try await modelMetadata(request, context) }
            router.get(RouterPath(path + "/ready")) { request, context in try await modelReady(request, context) }
            router.post(RouterPath(path + "/infer")) { request, context in try await infer(request, context) }
            // MLServer's aliases: generate is infer; infer_stream and generate_stream stream.
            router.post(RouterPath(path + "/generate")) { request, context in try await infer(request, context) }
            router.post(RouterPath(path + "/infer_stream")) { request, context in try await inferStream(request, context) }
            router.post(RouterPath(path + "/generate_stream")) { request, context in try await inferStream(request, context) }
        }
        router.post("/v2/repository/index") { request, _ in try await repositoryIndex(request) }
        router.post("/v2/repository/models/{model}/load") { request, context in
            let model = try context.parameters.require("model")
            _ = try await body(request)
            _ = try await dataPlane.repositoryModelLoad(RepositoryModelLoadRequest(modelName: model), context: callContext(request, model: model))
            return json(.ok, "")
        }
        router.post("/v2/repository/models/{model}/unload") { request, context in
            let model = try context.parameters.require("model")
            _ = try await body(request)
            _ = try await dataPlane.repositoryModelUnload(RepositoryModelUnloadRequest(modelName: model), context: callContext(request, model: model))
            return json(.ok, "")
        }
    }

    // MARK: Handlers

    private func modelMetadata(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (model, version) = try route(context)
        let metadata = try await dataPlane.modelMetadata(ModelMetadataRequest(name: model, version: version), context: callContext(request, model: model, version: version))
        func tensors(_ list: [ModelMetadataResponse.TensorMetadata]) -> JSONDocument {
            .array(list.map { tensor in
                var members: [(String, JSONDocument)] = [
                    ("name", .string(tensor.name)), ("datatype", .string(tensor.datatype)), ("shape", .array(tensor.shape.map { .int($0) })),
                ]
                if !tensor.parameters.isEmpty { members.append(("parameters", V2ResponseEncoder.parameterJSON(tensor.parameters))) }
                return .object(members)
            })
        }
        var members: [(String, JSONDocument)] = [
            ("name", .string(metadata.name)), ("versions", .array(metadata.versions.map { .string($0) })),
            ("platform", .string(metadata.platform)), ("inputs", tensors(metadata.inputs)), ("outputs", tensors(metadata.outputs)),
        ]
        if !metadata.parameters.isEmpty { members.append(("parameters", V2ResponseEncoder.parameterJSON(metadata.parameters))) }
        return json(.ok, JSONDocument.object(members).serialized())
    }

    private func modelReady(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (model, version) = try route(context)
        let ready = try await dataPlane.modelReady(ModelReadyRequest(name: model, version: version), context: callContext(request, model: model, version: version)).ready
        return json(ready ? .ok : .badRequest, JSONDocument.object([("name", .string(model)), ("ready", .bool(ready))]).serialized())
    }

    private func repositoryIndex(_ request: Request) async throws -> Response {
        var message = RepositoryIndexRequest()
        let buffer = try await body(request)
        if buffer.readableBytes > 0, case .bool(let ready)? = try V2InferCall.parse(buffer)["ready"] { message.ready = ready }
        let index = try await dataPlane.repositoryIndex(message, context: callContext(request))
        return json(.ok, JSONDocument.array(index.models.map { model in
            .object([("name", .string(model.name)), ("version", .string(model.version)), ("state", .string(model.state)), ("reason", .string(model.reason))])
        }).serialized())
    }

    /// Server-sent events, MLServer's framing: one `data: <V2 response JSON>\n\n` per response
    /// of the data plane's stream. A failure before the first event is an ordinary error
    /// response; after it, a last event `data: {"error": "..."}` (the status line has gone).
    private func inferStream(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (message, callContext) = try await inferRequest(request, context)
        let plane = dataPlane
        let (events, continuation) = AsyncStream.makeStream(of: Result<ByteBuffer, InferenceError>.self, bufferingPolicy: .bufferingNewest(64))
        let producer = Task {
            do throws(InferenceError) {
                try await plane.inferStream(message, context: callContext) { response in
                    var writer = JSONWriter(capacity: 512)
                    writer.raw("data: ")
                    if (try? V2ResponseEncoder.write(response, to: &writer)) == nil {
                        writer = JSONWriter()
                        writer.raw(#"data: {"error":"unencodable response"}"#)
                    }
                    writer.raw("\n\n")
                    continuation.yield(.success(writer.buffer))
                }
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        var iterator = events.makeAsyncIterator()
        // Until the first event the status line is still ours: a failure is an ordinary error.
        guard let first = await iterator.next() else { return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init()) }
        if case .failure(let error) = first { throw error }
        // Handed over whole to the body writer, its only consumer from here on.
        nonisolated(unsafe) let rest = iterator
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var events = rest
                // A client that leaves stops the call (and its upstream request).
                try await withTaskCancellationHandler {
                    var next: Result<ByteBuffer, InferenceError>? = first
                    while let event = next {
                        switch event {
                        case .success(let bytes): try await writer.write(bytes)
                        case .failure(let error): try await writer.write(Self.errorEvent(error))
                        }
                        next = await events.next()
                    }
                } onCancel: {
                    producer.cancel()
                }
                try await writer.finish(nil)
            })
    }

    /// After the first event a failure is a last event: `data: {"error": "..."}`.
    static func errorEvent(_ error: InferenceError) -> ByteBuffer {
        var event = ByteBuffer(string: "data: ")
        var body = V2InferCall.errorBody(error.message)
        event.writeBuffer(&body)
        event.writeString("\n\n")
        return event
    }

    /// The request message and its context from an infer-style route's body.
    private func inferRequest(_ request: Request, _ context: BasicRequestContext) async throws -> (ModelInferRequest, InferWireCore.RequestContext) {
        try V2InferCall.request(try await inferInput(request, context))
    }

    private func inferInput(_ request: Request, _ context: BasicRequestContext) async throws -> V2InferCall.Input {
        let (model, version) = try route(context)
        return V2InferCall.Input(
            model: model, version: version, body: try await body(request), inferenceHeaderLength: request.headers[Self.inferenceHeaderLength],
            authorization: request.headers[.authorization] ?? "", requestIDHeader: request.headers[Self.requestIDHeader])
    }

    private func infer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let input = try await inferInput(request, context)
        let answer = try await V2InferCall.answer(input, dataPlane: dataPlane)
        var headers: HTTPFields = [.contentType: answer.contentType]
        if let length = answer.inferenceHeaderLength { headers[Self.inferenceHeaderLength] = String(length) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: answer.body))
    }

    // MARK: Pieces

    static let inferenceHeaderLength = HTTPField.Name(V2InferCall.inferenceHeaderLengthName)!

    private func route(_ context: BasicRequestContext) throws -> (String, String) {
        (try context.parameters.require("model"), context.parameters.get("version") ?? "")
    }

    private func body(_ request: Request) async throws -> ByteBuffer {
        try await request.body.collect(upTo: maxBodyBytes)
    }

    /// The call's context (`V2InferCall.context`: the same rule as an infer call's).
    private func callContext(_ request: Request, model: String = "", version: String = "") -> InferWireCore.RequestContext {
        V2InferCall.context(
            model: model, version: version, authorization: request.headers[.authorization] ?? "", requestIDHeader: request.headers[Self.requestIDHeader])
    }

    static let requestIDHeader = HTTPField.Name("x-request-id")!
}

private func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}
