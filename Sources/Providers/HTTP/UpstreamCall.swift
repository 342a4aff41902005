/// The one way providers send a request: until a 200 arrives, retrying 429/5xx and connect
/// errors under `retry` and the deadline (which also bounds each attempt's transfer); other
/// statuses throw the provider's own error, read from its body.
enum UpstreamCall {
    static func send(
        _ request: HTTPRequest, provider: String, engine: CurlEngine, retry: RetryPolicy,
        deadline: ContinuousClock.Instant?, errorFromBody: @escaping @Sendable (Int, [UInt8]) -> ProviderError
    ) async throws -> HTTPResponse {
        try await retry.run(deadline: deadline) { _ -> AttemptOutcome<HTTPResponse> in
            var attempt = request
            if let deadline { attempt.totalTimeout = max(.milliseconds(1), deadline - ContinuousClock.now) }
            let response: HTTPResponse
            do {
                response = try await engine.execute(attempt)
            } catch let error as HTTPClientError {
                let mapped = ProviderError(error.kind == .timeout ? .deadlineExceeded : .unavailable, "\(provider) request failed: \(error.message)")
                if RetryPolicy.isRetryable(error) { return .retryable(mapped, retryAfter: nil) }
                throw mapped
            }
            if response.head.status == 200 { return .success(response) }
            let error = errorFromBody(response.head.status, (try? await response.collect(limit: 1 << 20)) ?? [])
            if RetryPolicy.isRetryable(status: response.head.status) {
                return .retryable(error, retryAfter: response.head.header("retry-after"))
            }
            throw error
        }
    }
}
