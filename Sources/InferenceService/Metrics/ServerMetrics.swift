import CoreMetrics
import InferWireCore
import InferWireProtocol
import NIOConcurrencyHelpers
import NIOCore
import ProtoWire

/// What the server counts, through swift-metrics (exported by swift-prometheus on /metrics):
///
/// - `inferwire_requests_total{method, model, code}`: finished streams by status code
/// - `inferwire_request_duration_seconds{method, model}`: HEADERS to STATUS
/// - `inferwire_streams_in_flight`: open streams
/// - `inferwire_received_bytes_total`, `inferwire_sent_bytes_total`: frame payload bytes
/// - `inferwire_http_requests_total{route, method, status}`, `inferwire_http_request_duration_seconds{route, method}`:
///   the HTTP door's requests by route pattern (never the raw path: clients cannot grow the labels)
public struct ServerMetrics: Sendable {
    let factory: any MetricsFactory
    private let inFlight: Meter
    private let received: Counter
    private let sent: Counter
    private let handles = MetricHandles()

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        inFlight = Meter(label: "inferwire_streams_in_flight", dimensions: [], factory: factory)
        received = Counter(label: "inferwire_received_bytes_total", dimensions: [], factory: factory)
        sent = Counter(label: "inferwire_sent_bytes_total", dimensions: [], factory: factory)
    }

    func streamOpened() { inFlight.increment() }
    func streamClosed() { inFlight.decrement() }
    func bytesReceived(_ count: Int) { received.increment(by: count) }
    func bytesSent(_ count: Int) { sent.increment(by: count) }

    /// One HTTP request answered (`route` is the matched pattern, or "NotFound").
    public func httpFinished(route: String, method: String, status: Int, duration: Duration) {
        let (counter, timer) = handles.get(.init(first: route, second: method, code: status)) {
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            return (
                Counter(label: "inferwire_http_requests_total", dimensions: dimensions, factory: factory),
                Timer(label: "inferwire_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory))
        }
        counter.increment()
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func finished(method: Method, model: String, code: StatusCode, duration: TimeAmount) {
        let (counter, timer) = handles.get(.init(first: method.description, second: model, code: Int(code.rawValue))) {
            let dimensions = [("method", method.description), ("model", model), ("code", code.description)]
            return (
                Counter(label: "inferwire_requests_total", dimensions: dimensions, factory: factory),
                Timer(label: "inferwire_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory))
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }
}

/// Counters and timers by their labels, made once: asking the factory for them on every request
/// (label lists built, sorted and looked up under its lock) cost more than the request's own
/// counting. Bounded: past `limit` label sets (clients choose model names and methods) handles
/// are made per call, as before, rather than kept.
final class MetricHandles: Sendable {
    struct Key: Hashable {
        let first: String
        let second: String
        let code: Int
    }

    private let limit = 4096
    private let table = NIOLockedValueBox<[Key: (Counter, Timer)]>([:])

    func get(_ key: Key, make: () -> (Counter, Timer)) -> (Counter, Timer) {
        if let found = table.withLockedValue({ $0[key] }) { return found }
        let made = make()
        table.withLockedValue { table in
            if table.count < limit, table[key] == nil { table[key] = made }
        }
        return made
    }
}
