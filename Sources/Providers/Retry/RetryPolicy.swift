import Foundation
import NIOConcurrencyHelpers

/// What one attempt of an upstream call says.
public enum AttemptOutcome<Value: Sendable>: Sendable {
    case success(Value)
    /// Failed in a way worth retrying (429, 5xx, connect error), before anything was delivered
    /// to the caller; `retryAfter` is the response's `Retry-After` header, if any.
    case retryable(any Error, retryAfter: String?)
}

/// Retries of upstream calls: exponential backoff with full jitter, `Retry-After` honoured,
/// bounded by attempts, the call's deadline and a shared retry budget. A streamed call is only
/// retried before its first chunk reached the caller (the operation decides: it returns
/// `.retryable` only then).
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Shared by all calls to one provider, so that an outage does not multiply the load.
    public var budget: RetryBudget?

    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(8), budget: RetryBudget? = nil) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.budget = budget
    }

    /// The statuses worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        [429, 500, 502, 503, 504].contains(status)
    }

    /// Transport errors worth another attempt: the request never reached a server.
    public static func isRetryable(_ error: HTTPClientError) -> Bool {
        error.kind == .connect
    }

    /// The wait before retry number `retry` (1 for the first retry): full jitter over an
    /// exponentially growing window, and never less than what `Retry-After` asks.
    public func delay(forRetry retry: Int, retryAfter: String?, now: Date = Date(), using random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let window = min(Double(baseDelay.nanoseconds) * pow(2, Double(exponent)), Double(maxDelay.nanoseconds))
        let jittered = Duration.nanoseconds(Int64(Double.random(in: 0...window, using: &random)))
        guard let retryAfter, let asked = Self.parseRetryAfter(retryAfter, now: now) else { return jittered }
        return max(jittered, asked)
    }

    /// `Retry-After`: delay-seconds or an HTTP-date.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite, seconds < 86_400 {
            return .milliseconds(Int64(seconds * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let interval = max(0, date.timeIntervalSince(now))
        return interval < 86_400 ? .milliseconds(Int64(interval * 1000)) : nil
    }

    /// Runs `attempt` (numbered from 1) until it succeeds, throws, or may not be retried: the
    /// last retryable error is thrown when attempts, budget or deadline run out.
    public func run<Value: Sendable>(
        deadline: ContinuousClock.Instant? = nil,
        _ attempt: (Int) async throws -> AttemptOutcome<Value>
    ) async throws -> Value {
        var random = SystemRandomNumberGenerator()
        budget?.recordRequest()
        var number = 1
        while true {
            switch try await attempt(number) {
            case .success(let value):
                return value
            case .retryable(let error, let retryAfter):
                guard number < maxAttempts else { throw error }
                let wait = delay(forRetry: number, retryAfter: retryAfter, using: &random)
                if let deadline, ContinuousClock.now + wait >= deadline { throw error }
                guard budget?.withdraw() ?? true else { throw error }
                try await Task.sleep(for: wait)
                number += 1
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A token bucket shared by the calls to one provider: every call deposits `ratio` tokens, every
/// retry takes one, and retries stop when the bucket is empty. With the default ratio retries
/// add at most about 20% to the load an outage sees, plus `minimum` to start with.
public final class RetryBudget: Sendable {
    private let state: NIOLockedValueBox<Double>
    private let ratio: Double
    private let maximum: Double

    public init(ratio: Double = 0.2, minimum: Double = 10, maximum: Double = 100) {
        self.ratio = ratio
        self.maximum = maximum
        state = NIOLockedValueBox(minimum)
    }

    func recordRequest() {
        state.withLockedValue { $0 = min(maximum, $0 + ratio) }
    }

    /// Takes one retry's token; false when the budget is spent.
    func withdraw() -> Bool {
        state.withLockedValue { tokens in
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    public var tokens: Double { state.withLockedValue { $0 } }
}
