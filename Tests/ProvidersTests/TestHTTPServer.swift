import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 for the engine's tests. Routes:
/// - `GET /hello`: "hello"
/// - `POST /echo`: the request body back, with `x-received-length`
/// - `GET /stream?chunks=N&size=S&delay=MS`: N chunks of S bytes, MS apart
/// - `GET /slow?delay=MS`: the head after MS
/// - `GET /status/CODE`: that status with a JSON body
/// - `GET /flaky?key=K&fail=N`: 503 (Retry-After: 0) the first N times for key K, then 200
/// - `POST /v1/chat/completions` and `/openai/deployments/D/chat/completions`: a minimal
///   OpenAI shape (key "test-key"; echoes the last user text; `stream` as SSE; model
///   "truncated" ends the stream without `[DONE]`)
final class TestHTTPServer: Sendable {
    let channel: Channel
    let openedConnections = NIOLockedValueBox(0)
    let closedConnections = NIOLockedValueBox(0)
    let bytesWritten = NIOLockedValueBox(0)
    let flakyCalls = NIOLockedValueBox<[Int: Int]>([:])

    var port: Int { channel.localAddress!.port! }

    init() async throws {
        let opened = openedConnections
        let closed = closedConnections
        let written = bytesWritten
        let flaky = flakyCalls
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 2048)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                opened.withLockedValue { $0 += 1 }
                channel.closeFuture.whenComplete { _ in closed.withLockedValue { $0 += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(written: written, flaky: flaky))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async {
        try? await channel.close()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let written: NIOLockedValueBox<Int>
        let flaky: NIOLockedValueBox<[Int: Int]>
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(written: NIOLockedValueBox<Int>, flaky: NIOLockedValueBox<[Int: Int]>) {
            self.written = written
            self.flaky = flaky
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
                respond(head, context: context)
            }
        }

        func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
            let components = URLComponents(string: head.uri)
            let query = Dictionary(uniqueKeysWithValues: (components?.queryItems ?? []).map { ($0.name, Int($0.value ?? "") ?? 0) })
            let path = components?.path ?? ""
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            switch path {
            case "/hello":
                send(status: .ok, body: ByteBuffer(string: "hello"), context: context)
            case "/echo":
                send(status: .ok, body: body, headers: [("x-received-length", "\(body.readableBytes)")], context: context)
            case "/v1/chat/completions", "/openai/deployments/dep/chat/completions":
                let azure = path.hasPrefix("/openai/")
                let key = azure ? head.headers.first(name: "api-key") : head.headers.first(name: "authorization")
                guard key == (azure ? "test-key" : "Bearer test-key") else {
                    send(status: .unauthorized, body: ByteBuffer(string: #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#), context: context)
                    return
                }
                let request = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
                let messages = request["messages"] as? [[String: Any]] ?? []
                let last = messages.last { $0["role"] as? String == "user" }?["content"]
                let text = "echo: " + ((last as? String) ?? "parts")
                let model = request["model"] as? String ?? ""
                if request["stream"] as? Bool == true {
                    var headers = HTTPHeaders()
                    headers.add(name: "content-type", value: "text/event-stream")
                    headers.add(name: "transfer-encoding", value: "chunked")
                    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                    var events = [
                        #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
                        #"{"choices":[{"index":0,"delta":{"content":"echo: "}}]}"#,
                        #"{"choices":[{"index":0,"delta":{"content":"\#(text.dropFirst(6))"}}]}"#,
                        #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
                        #"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
                        "[DONE]",
                    ]
                    if model == "truncated" { events = Array(events.prefix(2)) }
                    for event in events {
                        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: \(event)\n\n")))), promise: nil)
                    }
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                } else {
                    let answer = #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#
                    send(status: .ok, body: ByteBuffer(string: answer), headers: [("content-type", "application/json")], context: context)
                }
            case "/v1beta/models/gemini-test:generateContent", "/v1beta/models/gemini-test:streamGenerateContent",
                "/v1beta/models/blocked:generateContent":
                guard head.headers.first(name: "x-goog-api-key") == "test-key" else {
                    send(status: .badRequest, body: ByteBuffer(string: #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#), context: context)
                    return
                }
                let request = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
                let parts = ((request["contents"] as? [[String: Any]])?.last?["parts"] as? [[String: Any]]) ?? []
                let summary = parts.map { part -> String in
                    if let text = part["text"] as? String { return text }
                    if let inline = part["inlineData"] as? [String: Any] {
                        let bytes = Data(base64Encoded: inline["data"] as? String ?? "")?.count ?? -1
                        return "<\(inline["mimeType"] as? String ?? "?") \(bytes) bytes>"
                    }
                    return "<part>"
                }.joined(separator: " ")
                if path.hasPrefix("/v1beta/models/blocked") {
                    send(status: .ok, body: ByteBuffer(string: #"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}"#), context: context)
                } else if path.hasSuffix(":streamGenerateContent") {
                    var headers = HTTPHeaders()
                    headers.add(name: "content-type", value: "text/event-stream")
                    headers.add(name: "transfer-encoding", value: "chunked")
                    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                    for event in [
                        #"{"candidates": [{"content": {"parts": [{"text": "got "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 4}}"#,
                        #"{"candidates": [{"content": {"parts": [{"text": "\#(summary)"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 2,"totalTokenCount": 6}}"#,
                    ] {
                        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: \(event)\r\n\r\n")))), promise: nil)
                    }
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                } else {
                    let answer = #"{"candidates": [{"content": {"parts": [{"text": "got \#(summary)"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 2,"totalTokenCount": 6},"modelVersion": "gemini-test"}"#
                    send(status: .ok, body: ByteBuffer(string: answer), headers: [("content-type", "application/json")], context: context)
                }
            case "/flaky":
                let key = query["key"] ?? 0
                let calls = flaky.withLockedValue { counts in
                    counts[key, default: 0] += 1
                    return counts[key]!
                }
                if calls <= (query["fail"] ?? 0) {
                    send(status: .serviceUnavailable, body: ByteBuffer(string: "busy"), headers: [("retry-after", "0")], context: context)
                } else {
                    send(status: .ok, body: ByteBuffer(string: "ok after \(calls)"), context: context)
                }
            case "/slow":
                loop.scheduleTask(in: .milliseconds(Int64(query["delay"] ?? 0))) {
                    self.send(status: .ok, body: ByteBuffer(string: "late"), context: bound.value)
                }
            case let status where status.hasPrefix("/status/"):
                let code = Int(status.dropFirst("/status/".count)) ?? 500
                send(status: HTTPResponseStatus(statusCode: code), body: ByteBuffer(string: #"{"error":{"code":\#(code)}}"#),
                     headers: [("content-type", "application/json"), ("retry-after", "1")], context: context)
            case "/stream":
                let chunks = query["chunks"] ?? 1
                let size = query["size"] ?? 1
                let delay = Int64(query["delay"] ?? 0)
                var headers = HTTPHeaders()
                headers.add(name: "transfer-encoding", value: "chunked")
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                func sendChunk(_ index: Int) {
                    let context = bound.value
                    guard context.channel.isActive else { return }
                    if index == chunks {
                        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                        return
                    }
                    let payload = ByteBuffer(repeating: UInt8(truncatingIfNeeded: index), count: size)
                    let written = self.written
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(payload)))).whenSuccess {
                        written.withLockedValue { $0 += size }
                        if delay > 0 {
                            loop.scheduleTask(in: .milliseconds(delay)) { sendChunk(index + 1) }
                        } else {
                            sendChunk(index + 1)
                        }
                    }
                }
                sendChunk(0)
            default:
                send(status: .notFound, body: ByteBuffer(string: "no route"), context: context)
            }
        }

        func send(status: HTTPResponseStatus, body: ByteBuffer, headers extra: [(String, String)] = [], context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "\(body.readableBytes)")
            for (name, value) in extra { headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
