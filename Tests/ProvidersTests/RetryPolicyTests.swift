import Foundation
import Providers
import Testing

@Suite("Retries")
struct RetryPolicyTests {
    struct Failure: Error, Equatable { let attempt: Int }

    @Test("backoff grows exponentially with full jitter, capped, and honours Retry-After")
    func delays() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        var random = SystemRandomNumberGenerator()
        for retry in 1...8 {
            let window = min(100 * (1 << (retry - 1)), 1000)
            for _ in 0..<50 {
                let delay = policy.delay(forRetry: retry, retryAfter: nil, using: &random)
                #expect(delay >= .zero && delay <= .milliseconds(window))
            }
        }
        #expect(policy.delay(forRetry: 1, retryAfter: "3", using: &random) >= .seconds(3))
        #expect(RetryPolicy.parseRetryAfter("120") == .seconds(120))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now)
        #expect(later == .seconds(20))
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        #expect(RetryPolicy.isRetryable(status: 429) && RetryPolicy.isRetryable(status: 503))
        #expect(!RetryPolicy.isRetryable(status: 400) && !RetryPolicy.isRetryable(status: 401))
    }

    @Test("retries until success, then stops; non-retryable errors are thrown at once")
    func attempts() async throws {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5))
        var calls = 0
        let value = try await policy.run { attempt -> AttemptOutcome<Int> in
            calls += 1
            return attempt < 3 ? .retryable(Failure(attempt: attempt), retryAfter: nil) : .success(attempt)
        }
        #expect(value == 3 && calls == 3)

        calls = 0
        await #expect(throws: Failure(attempt: 5)) {
            _ = try await policy.run { attempt -> AttemptOutcome<Int> in
                calls += 1
                return .retryable(Failure(attempt: attempt), retryAfter: nil)
            }
        }
        #expect(calls == 5)

        calls = 0
        await #expect(throws: Failure(attempt: 1)) {
            _ = try await policy.run { attempt -> AttemptOutcome<Int> in
                calls += 1
                throw Failure(attempt: attempt)
            }
        }
        #expect(calls == 1)
    }

    @Test("no retry that would end after the deadline")
    func deadline() async throws {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(1))
        let start = ContinuousClock.now
        var calls = 0
        await #expect(throws: Failure(attempt: 1)) {
            _ = try await policy.run(deadline: start + .milliseconds(500)) { attempt -> AttemptOutcome<Int> in
                calls += 1
                return .retryable(Failure(attempt: attempt), retryAfter: "5")  // asks for 5 s
            }
        }
        #expect(calls == 1)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("a spent retry budget stops retries across calls")
    func budget() async throws {
        let budget = RetryBudget(ratio: 0, minimum: 2, maximum: 2)
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(1), maxDelay: .milliseconds(1), budget: budget)
        var calls = 0
        await #expect(throws: Failure.self) {
            _ = try await policy.run { attempt -> AttemptOutcome<Int> in
                calls += 1
                return .retryable(Failure(attempt: attempt), retryAfter: nil)
            }
        }
        #expect(calls == 3)  // the first attempt and the two retries the budget held
        #expect(budget.tokens < 1)
    }

    @Test("against a real server: 503 twice, then 200")
    func flakyServer() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))
        let url = "http://127.0.0.1:\(server.port)/flaky?key=7&fail=2"
        let body = try await policy.run { _ -> AttemptOutcome<String> in
            let response = try await engine.execute(HTTPRequest(url: url))
            let text = String(decoding: try await response.collect(), as: UTF8.self)
            if RetryPolicy.isRetryable(status: response.head.status) {
                return .retryable(HTTPClientError(.transfer, "status \(response.head.status)"), retryAfter: response.head.header("retry-after"))
            }
            return .success(text)
        }
        #expect(body == "ok after 3")
        engine.shutdown()
        await server.close()
    }
}
