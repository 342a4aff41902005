import CoreMetrics
import InferWireCore
import InferWireProtocol
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
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: "inferwire_http_requests_total", dimensions: dimensions, factory: factory).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: "inferwire_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func finished(method: Method, model: String, code: StatusCode, duration: TimeAmount) {
        let dimensions = [("method", method.description), ("model", model), ("code", code.description)]
        Counter(label: "inferwire_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "inferwire_request_duration_seconds", dimensions: Array(dimensions.prefix(2)), factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }
}
