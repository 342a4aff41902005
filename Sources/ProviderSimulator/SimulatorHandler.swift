import Foundation
import NIOCore
import NIOHTTP1

/// One connection of the simulator: reads a request, answers as OpenAI or Gemini would.
final class SimulatorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: ProviderSimulator.Configuration
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(configuration: ProviderSimulator.Configuration) {
        self.configuration = configuration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            let latency = Int64(head.headers.first(name: "x-simulator-latency-ms") ?? "") ?? 0
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let request = body
            context.eventLoop.scheduleTask(in: .milliseconds(latency)) {
                let (handler, context) = bound.value
                handler.route(head, request, context: context)
            }
        }
    }

    // MARK: Routing

    private func route(_ head: HTTPRequestHead, _ body: ByteBuffer, context: ChannelHandlerContext) {
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? head.uri
        let fault = head.headers.first(name: "x-simulator-fault")
        if path == "/v1/chat/completions" {
            openAI(head, body, fault: fault, context: context)
        } else if let range = path.range(of: #"^/v1(beta)?/models/[^:]+:(generateContent|streamGenerateContent)$"#, options: .regularExpression) {
            let model = String(path[range].split(separator: "/")[2].split(separator: ":")[0])
            let key = head.headers.first(name: "x-goog-api-key") ?? components?.queryItems?.first { $0.name == "key" }?.value
            gemini(model: model, stream: path.hasSuffix(":streamGenerateContent"), key: key, body, fault: fault, context: context)
        } else {
            send(.notFound, #"{"error":{"message":"Unknown path \#(path)","type":"invalid_request_error","param":null,"code":null}}"#, context: context)
        }
    }

    private func commonFault(_ fault: String?, openAI: Bool, context: ChannelHandlerContext) -> Bool {
        switch fault {
        case "429":
            let body = openAI
                ? #"{"error":{"message":"Rate limit reached for requests. Please try again in 1s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
                : #"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED"}}"#
            send(.tooManyRequests, body, headers: [("retry-after", "1")], context: context)
        case "500":
            let body = openAI
                ? #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#
                : #"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#
            send(.internalServerError, body, context: context)
        case "503":
            let body = openAI
                ? #"{"error":{"message":"The engine is currently overloaded, please try again later.","type":"server_error","param":null,"code":null}}"#
                : #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#
            send(.serviceUnavailable, body, context: context)
        case "invalid-json":
            send(.ok, "{\"choices\": [", context: context)
        default:
            return false
        }
        return true
    }

    // MARK: OpenAI

    private func openAI(_ head: HTTPRequestHead, _ body: ByteBuffer, fault: String?, context: ChannelHandlerContext) {
        guard head.headers.first(name: "authorization") == "Bearer \(configuration.openAIKey)" else {
            send(.unauthorized, #"{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#, context: context)
            return
        }
        if commonFault(fault, openAI: true, context: context) { return }
        guard let request = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            let model = request["model"] as? String, let messages = request["messages"] as? [[String: Any]]
        else {
            send(.badRequest, #"{"error":{"message":"We could not parse the JSON body of your request.","type":"invalid_request_error","param":null,"code":null}}"#, context: context)
            return
        }
        guard model != "missing" else {
            send(.notFound, #"{"error":{"message":"The model `missing` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#, context: context)
            return
        }
        let summary = PartSummary.openAI(messages.last { $0["role"] as? String == "user" }?["content"])
        if summary.contains(where: { $0.hasSuffix("(-1)") }) {
            send(.badRequest, #"{"error":{"message":"Invalid base64 data in a content part.","type":"invalid_request_error","param":"messages","code":"invalid_base64"}}"#, context: context)
            return
        }
        let text = fault == "block" ? "" : "received \(summary.count) part(s): \(summary.joined(separator: ", "))"
        let finish = fault == "block" ? "content_filter" : "stop"
        let usage = #"{"prompt_tokens":\#(messages.count * 8),"completion_tokens":\#(text.split(separator: " ").count),"total_tokens":\#(messages.count * 8 + text.split(separator: " ").count)}"#
        guard request["stream"] as? Bool == true else {
            let answer = #"{"id":"chatcmpl-sim","object":"chat.completion","created":1700000000,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":\#(jsonString(text)),"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"\#(finish)"}],"usage":\#(usage),"service_tier":"default"}"#
            send(.ok, answer, headers: [("x-request-id", "req_sim")], context: context)
            return
        }
        var events = [chunk(model, #"{"role":"assistant","content":""}"#, finish: nil)]
        for word in text.split(separator: " ", omittingEmptySubsequences: false).enumerated().map({ $0.offset == 0 ? String($0.element) : " " + $0.element }) where !word.isEmpty {
            events.append(chunk(model, #"{"content":\#(jsonString(word))}"#, finish: nil))
        }
        events.append(chunk(model, "{}", finish: finish))
        if (request["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true {
            events.append(#"{"id":"chatcmpl-sim","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","choices":[],"usage":\#(usage)}"#)
        }
        events.append("[DONE]")
        stream(events.map { "data: \($0)\n\n" }, fault: fault, head: head, context: context)
    }

    private func chunk(_ model: String, _ delta: String, finish: String?) -> String {
        #"{"id":"chatcmpl-sim","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish.map { "\"\($0)\"" } ?? "null")}]}"#
    }

    // MARK: Gemini

    private func gemini(model: String, stream streaming: Bool, key: String?, _ body: ByteBuffer, fault: String?, context: ChannelHandlerContext) {
        guard let key else {
            send(.forbidden, #"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#, context: context)
            return
        }
        guard key == configuration.geminiKey else {
            send(.badRequest, #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#, context: context)
            return
        }
        if commonFault(fault, openAI: false, context: context) { return }
        guard let request = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            let contents = request["contents"] as? [[String: Any]]
        else {
            send(.badRequest, #"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#, context: context)
            return
        }
        guard model != "missing" else {
            send(.notFound, #"{"error":{"code":404,"message":"models/missing is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}"#, context: context)
            return
        }
        let summary = PartSummary.gemini(contents.last?["parts"] as? [[String: Any]] ?? [])
        if summary.contains(where: { $0.hasSuffix("(-1)") }) {
            send(.badRequest, #"{"error":{"code":400,"message":"Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed.","status":"INVALID_ARGUMENT"}}"#, context: context)
            return
        }
        let prompt = contents.count * 8
        if fault == "block" {
            send(.ok, #"{"promptFeedback": {"blockReason": "SAFETY"},"usageMetadata": {"promptTokenCount": \#(prompt),"totalTokenCount": \#(prompt)},"modelVersion": "\#(model)"}"#, context: context)
            return
        }
        let words = "received \(summary.count) part(s): \(summary.joined(separator: ", "))".split(separator: " ").map(String.init)
        func event(_ text: String, final: Bool, completion: Int) -> String {
            let finish = final ? #","finishReason": "STOP""# : ""
            let candidates = final ? #","candidatesTokenCount": \#(completion)"# : ""
            return #"{"candidates": [{"content": {"parts": [{"text": \#(jsonString(text))}],"role": "model"}\#(finish),"index": 0}],"usageMetadata": {"promptTokenCount": \#(prompt)\#(candidates),"totalTokenCount": \#(prompt + (final ? completion : 0))},"modelVersion": "\#(model)","responseId": "sim"}"#
        }
        guard streaming else {
            send(.ok, event(words.joined(separator: " "), final: true, completion: words.count), context: context)
            return
        }
        let events = words.enumerated().map { index, word in
            event(index == 0 ? word : " " + word, final: index == words.count - 1, completion: words.count)
        }
        stream(events.map { "data: \($0)\r\n\r\n" }, fault: fault, head: nil, context: context)
    }

    // MARK: Writing

    private func stream(_ events: [String], fault: String?, head: HTTPRequestHead?, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "transfer-encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        var pieces = events
        if fault == "truncate" || fault == "reset", pieces.count > 1 {
            pieces = Array(pieces.prefix(pieces.count / 2))
            if fault == "truncate", let last = pieces.popLast() { pieces.append(String(last.prefix(last.count / 2))) }
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let delay = Int64(head?.headers.first(name: "x-simulator-chunk-delay-ms") ?? "") ?? 0
        func write(_ index: Int) {
            let (handler, context) = bound.value
            guard context.channel.isActive else { return }
            guard index < pieces.count else {
                if fault == "reset" {
                    context.close(promise: nil)
                } else {
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                }
                return
            }
            context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: pieces[index])))), promise: nil)
            if delay > 0 {
                context.eventLoop.scheduleTask(in: .milliseconds(delay)) { write(index + 1) }
            } else {
                write(index + 1)
            }
        }
        write(0)
    }

    private func send(_ status: HTTPResponseStatus, _ body: String, headers extra: [(String, String)] = [], context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=UTF-8")
        headers.add(name: "content-length", value: "\(body.utf8.count)")
        for (name, value) in extra { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}
