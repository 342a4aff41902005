/// OpenAI chat completions over the shared HTTP engine: api.openai.com, Azure OpenAI
/// (deployment URL, `api-version`, `api-key` header) and any OpenAI-compatible base URL (vLLM,
/// llama.cpp, Ollama). Retries before the first streamed byte only.
public struct OpenAIProvider: LLMProvider {
    public enum Endpoint: Sendable {
        /// `https://api.openai.com/v1` or any compatible base URL (`.../v1`).
        case openAI(baseURL: String)
        /// `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`.
        case azure(endpoint: String, deployment: String, apiVersion: String)
    }

    public let endpoint: Endpoint
    let apiKey: Secret?
    let engine: CurlEngine
    let retry: RetryPolicy
    /// Sent with every request (gateway or tracing headers; the simulator's fault switches).
    public var extraHeaders: [(name: String, value: String)] = []

    public init(endpoint: Endpoint = .openAI(baseURL: "https://api.openai.com/v1"), apiKey: Secret?, engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.engine = engine
        self.retry = retry
    }

    var url: String {
        switch endpoint {
        case .openAI(let baseURL):
            return baseURL.trimmingSuffix("/") + "/chat/completions"
        case .azure(let endpoint, let deployment, let apiVersion):
            return endpoint.trimmingSuffix("/") + "/openai/deployments/\(deployment)/chat/completions?api-version=\(apiVersion)"
        }
    }

    /// Sends until a 200 arrives (UpstreamCall: retries, deadline, OpenAI's error bodies).
    func send(_ body: [UInt8], deadline: ContinuousClock.Instant?, stream: Bool = false) async throws -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("content-type", "application/json"), ("accept", "application/json, text/event-stream")]
        if let apiKey {
            switch endpoint {
            case .openAI: headers.append(("authorization", "Bearer \(apiKey.reveal())"))
            case .azure: headers.append(("api-key", apiKey.reveal()))
            }
        }
        var request = HTTPRequest(method: "POST", url: url, headers: headers + extraHeaders, body: body)
        request.longLived = stream
        return try await UpstreamCall.send(
            request, provider: "OpenAI", engine: engine, retry: retry, deadline: deadline, errorFromBody: OpenAIChatFormat.error)
    }

    public func complete(_ request: ChatRequest, deadline: ContinuousClock.Instant? = nil) async throws -> ChatResponse {
        let body = try OpenAIChatFormat.body(for: request, stream: false)
        let response = try await send(body, deadline: deadline)
        return try OpenAIChatFormat.response(from: try await response.collect())
    }

    public func stream(_ request: ChatRequest, deadline: ContinuousClock.Instant? = nil) -> AsyncThrowingStream<ChatStreamEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let body = try OpenAIChatFormat.body(for: request, stream: true)
                    let response = try await send(body, deadline: deadline, stream: true)
                    var parser = ServerSentEventParser()
                    var done = false
                    for try await chunk in response.body where !done {
                        for event in parser.feed(chunk) {
                            if event.data == "[DONE]" {
                                done = true
                                break
                            }
                            continuation.yield(.raw(event.data))
                            for item in try OpenAIChatFormat.events(fromChunk: event.data) {
                                continuation.yield(item)
                            }
                        }
                    }
                    if !done {
                        _ = parser.finish()
                        throw ProviderError(.unavailable, "OpenAI stream ended before [DONE]")
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
