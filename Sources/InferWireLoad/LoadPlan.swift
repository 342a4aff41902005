import NIOCore
import ProtoWire

/// How to load a server: how many connections, closed or open loop, for how long.
public struct LoadPlan: Sendable {
    public enum Loop: Sendable, Equatable {
        /// Every connection keeps `concurrency` calls in flight: the next call starts when one
        /// ends. Measures what the server sustains (latency is service time).
        case closed
        /// Calls start at a fixed total rate whatever the server does, each timed from when it
        /// was due (coordinated-omission correction, as wrk2 does); at most `concurrency` in
        /// flight per connection, later calls wait and their wait counts.
        case open(requestsPerSecond: Double)
    }

    public enum Stop: Sendable, Equatable {
        /// Measure for this long after the warm-up.
        case after(Duration)
        /// Measure this many calls after the warm-up, spread evenly over the connections.
        case count(Int)
    }

    public var loop: Loop = .closed
    public var stop: Stop = .after(.seconds(10))
    public var connections = 1
    /// Closed loop: calls in flight per connection. Open loop: the most in flight per connection.
    public var concurrency = 1
    /// Calls whose results are not recorded, before measuring starts.
    public var warmUp: Duration = .seconds(1)
    /// Client event-loop threads; connections are spread over them.
    public var threads = 1
    /// ModelStreamInfer instead of ModelInfer: time to first message and between messages too.
    public var streaming = false
    /// How long to wait, once measuring ends, for calls still in flight before cancelling them.
    public var drainTimeout: Duration = .seconds(30)

    public init() {}

    var isOpenLoop: Bool { if case .open = loop { true } else { false } }
}

/// One request as it goes on the wire, encoded once and sent many times (ByteBuffers share
/// their storage: sending one costs no copy).
public struct LoadPayload: Sendable {
    public var request: ModelInferRequest
    /// Where it came from, for reports: a file name, "flags".
    public var source: String

    public init(request: ModelInferRequest, source: String) {
        self.request = request
        self.source = source
    }
}
