/// Gemini over the shared HTTP engine: the Developer API (`generativelanguage.googleapis.com`,
/// an API key or OAuth) or Vertex AI (`{location}-aiplatform.googleapis.com/v1/projects/{p}/
/// locations/{l}/publishers/google/models/{m}`, OAuth only); `:generateContent` and
/// `:streamGenerateContent?alt=sse` on either.
public struct GeminiProvider: LLMProvider {
    public enum Endpoint: Sendable, Equatable {
        /// The Developer API's versioned root, e.g. `https://generativelanguage.googleapis.com/v1beta`.
        case developer(baseURL: String)
        /// Vertex AI; `root` is the scheme and host (`https://us-central1-aiplatform.googleapis.com`).
        case vertex(root: String, project: String, location: String)

        /// Google's host for a Vertex location (`global` has no regional prefix).
        public static func vertexRoot(location: String) -> String {
            location == "global" ? "https://aiplatform.googleapis.com" : "https://\(location)-aiplatform.googleapis.com"
        }
    }

    public let endpoint: Endpoint
    let authorization: GoogleAuthorization
    let engine: CurlEngine
    let retry: RetryPolicy
    /// Sent with every request (gateway or tracing headers; the simulator's fault switches).
    public var extraHeaders: [(name: String, value: String)] = []

    public init(baseURL: String = "https://generativelanguage.googleapis.com/v1beta", apiKey: Secret?, engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.init(endpoint: .developer(baseURL: baseURL), authorization: GoogleAuthorization(apiKey.map { .apiKey($0) } ?? .none), engine: engine, retry: retry)
    }

    public init(endpoint: Endpoint, authorization: GoogleAuthorization, engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.endpoint = endpoint
        self.authorization = authorization
        self.engine = engine
        self.retry = retry
    }

    func url(model: String, stream: Bool) -> String {
        let method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent"
        switch endpoint {
        case .developer(let baseURL):
            let name = model.hasPrefix("models/") || model.hasPrefix("tunedModels/") ? model : "models/\(model)"
            return baseURL.trimmingSuffix("/") + "/\(name)" + method
        case .vertex(let root, let project, let location):
            let name = model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
            return root.trimmingSuffix("/") + "/v1/projects/\(project)/locations/\(location)/publishers/google/models/\(name)" + method
        }
    }

    /// Sends until a 200 arrives (UpstreamCall: retries, deadline, Google's error bodies).
    func send(_ body: [UInt8], url: String, deadline: ContinuousClock.Instant?, stream: Bool = false) async throws -> HTTPResponse {
        let headers: [(name: String, value: String)] = [("content-type", "application/json")] + (try await authorization.headers())
        var request = HTTPRequest(method: "POST", url: url, headers: headers + extraHeaders, body: body)
        request.longLived = stream
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
                    let response = try await send(body, url: url(model: request.model, stream: true), deadline: deadline, stream: true)
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
