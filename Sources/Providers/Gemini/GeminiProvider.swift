/// Gemini's Developer API (`generativelanguage.googleapis.com`, `x-goog-api-key`) over the
/// shared HTTP engine: `models/{m}:generateContent` and `:streamGenerateContent?alt=sse`.
public struct GeminiProvider: LLMProvider {
    public let baseURL: String
    let apiKey: Secret?
    let engine: CurlEngine
    let retry: RetryPolicy
    /// Sent with every request (gateway or tracing headers; the simulator's fault switches).
    public var extraHeaders: [(name: String, value: String)] = []

    public init(baseURL: String = "https://generativelanguage.googleapis.com/v1beta", apiKey: Secret?, engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.engine = engine
        self.retry = retry
    }

    func url(model: String, stream: Bool) -> String {
        let name = model.hasPrefix("models/") || model.hasPrefix("tunedModels/") ? model : "models/\(model)"
        return baseURL.trimmingSuffix("/") + "/\(name)" + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent")
    }

    /// Sends until a 200 arrives (UpstreamCall: retries, deadline, Google's error bodies).
    func send(_ body: [UInt8], url: String, deadline: ContinuousClock.Instant?) async throws -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("content-type", "application/json")]
        if let apiKey { headers.append(("x-goog-api-key", apiKey.reveal())) }
        let request = HTTPRequest(method: "POST", url: url, headers: headers + extraHeaders, body: body)
        return try await UpstreamCall.send(
            request, provider: "Gemini", engine: engine, retry: retry, deadline: deadline, errorFromBody: GeminiFormat.error)
    }

    public func complete(_ request: ChatRequest, deadline: ContinuousClock.Instant? = nil) async throws -> ChatResponse {
        let body = try GeminiFormat.body(for: request)
        let response = try await send(body, url: url(model: request.model, stream: false), deadline: deadline)
        let answer = try GeminiFormat.response(from: try await response.collect())
        if let reason = answer.blockReason {
            throw ProviderError(.invalidArgument, "Gemini blocked the prompt (blockReason \(reason))")
        }
        return answer
    }

    public func stream(_ request: ChatRequest, deadline: ContinuousClock.Instant? = nil) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let body = try GeminiFormat.body(for: request)
                    let response = try await send(body, url: url(model: request.model, stream: true), deadline: deadline)
                    var parser = ServerSentEventParser()
                    var usage: TokenUsage?
                    for try await chunk in response.body {
                        for event in parser.feed(chunk) {
                            continuation.yield(.raw(event.data))
                            let answer = try GeminiFormat.response(from: Array(event.data.utf8))
                            if let reason = answer.blockReason {
                                throw ProviderError(.invalidArgument, "Gemini blocked the prompt (blockReason \(reason))")
                            }
                            for (index, part) in answer.parts.enumerated() {
                                switch part {
                                case .text(let text): continuation.yield(.text(text))
                                case .toolCall(let id, let name, let arguments):
                                    continuation.yield(.toolCallDelta(index: index, id: id, name: name, arguments: arguments))
                                default: break
                                }
                            }
                            if let reason = answer.finishReason { continuation.yield(.finished(reason)) }
                            usage = answer.usage ?? usage  // cumulative: the last one counts
                        }
                    }
                    // Gemini has no [DONE]: the stream simply ends, but never inside an event.
                    if parser.finish() { throw ProviderError(.unavailable, "Gemini stream ended in the middle of an event") }
                    if let usage { continuation.yield(.usage(usage)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
