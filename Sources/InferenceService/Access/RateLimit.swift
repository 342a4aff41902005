import NIOConcurrencyHelpers
import NIOCore

/// A token's request rate: `requestsPerSecond` on average, up to `burst` at once.
public struct RateLimit: Sendable, Equatable {
    public var requestsPerSecond: Double
    public var burst: Int

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// A token bucket as a value: `burst` requests in hand, refilled at the rate; no clock inside
/// (the caller passes the time), so it is tested with times it chooses.
struct TokenBucket: Sendable {
    let limit: RateLimit
    private var available: Double
    private var updated: NIODeadline

    init(_ limit: RateLimit, now: NIODeadline) {
        self.limit = limit
        available = Double(limit.burst)
        updated = now
    }

    /// Takes one request: nil when it may go now, else the seconds until one is available.
    mutating func take(now: NIODeadline) -> Double? {
        let elapsed = Double(max(0, (now - updated).nanoseconds)) / 1e9
        available = min(Double(limit.burst), available + elapsed * limit.requestsPerSecond)
        updated = now
        guard available >= 1 else { return (1 - available) / limit.requestsPerSecond }
        available -= 1
        return nil
    }
}

/// One grant's bucket, shared by every connection and door that token uses.
final class RateLimiter: Sendable {
    let limit: RateLimit
    private let bucket: NIOLockedValueBox<TokenBucket>

    init(_ limit: RateLimit) {
        self.limit = limit
        bucket = NIOLockedValueBox(TokenBucket(limit, now: .now()))
    }

    func take() -> Double? {
        bucket.withLockedValue { $0.take(now: .now()) }
    }
}

/// One grant's running inference calls, shared by every door and connection.
final class RunningCalls: Sendable {
    let limit: Int
    private let count = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when all `limit` are taken.
    func start() -> Bool {
        count.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func end() {
        count.withLockedValue { $0 -= 1 }
    }

    var running: Int { count.withLockedValue { $0 } }
}
