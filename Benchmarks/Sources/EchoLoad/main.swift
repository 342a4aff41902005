// Echo requests over the binary protocol on loopback: requests/s and latency percentiles.
//
//   swift run -c release EchoLoad [seconds] [connections] [in-flight per connection] [payload bytes]
//
// Starts an InferWire server with the `echo` model in this process (its own event loops), then
// C client connections keep N unary ModelInfer calls each in flight for the given time. Latency
// is per call, client side (encode → frames → server decode/dispatch/encode → client decode),
// recorded in an HdrHistogram. The server and clients share the machine's 2 cores.
import Histogram
import InferWireClient
import InferWireProtocol
import InferenceService
import NIOCore
import NIOPosix
import ProtoWire

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.count > 0 ? arguments[0] : 10
let connections = arguments.count > 1 ? arguments[1] : 4
let inFlight = arguments.count > 2 ? arguments[2] : 16
let payloadBytes = arguments.count > 3 ? arguments[3] : 64

let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let registry = ModelRegistry()
await registry.register(name: "echo", runtime: EchoRuntime(name: "echo"))
try await registry.load(name: "echo")
let server = try await BinaryServer.start(host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry)), group: serverGroup)
let port = server.localAddress!.port!

var request = ModelInferRequest()
request.modelName = "echo"
request.inputs = [.init(name: "text", datatype: "BYTES", shape: [1])]
request.rawInputContents = [BytesElements.encode([[UInt8](repeating: 0x61, count: payloadBytes)])]
let message = request

var clients: [InferWireClient] = []
for _ in 0..<connections {
    clients.append(try await InferWireClient.connect(host: "127.0.0.1", port: port, group: clientGroup))
}
// Warm-up.
for client in clients { _ = try await client.infer(message) }

let end = ContinuousClock.now + .seconds(seconds)
let start = ContinuousClock.now
let histogram = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
    for client in clients {
        for _ in 0..<inFlight {
            group.addTask {
                var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
                while ContinuousClock.now < end {
                    let begin = ContinuousClock.now
                    _ = try await client.infer(message)
                    let elapsed = ContinuousClock.now - begin
                    _ = histogram.record(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
                }
                return histogram
            }
        }
    }
    var total = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    for try await histogram in group { total.add(histogram) }
    return total
}
let elapsed = ContinuousClock.now - start
let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
func microseconds(_ percentile: Double) -> String {
    String(format: "%.0f", Double(histogram.valueAtPercentile(percentile)) / 1000)
}
print("echo ModelInfer, \(connections) connections × \(inFlight) in flight, \(payloadBytes)-byte BYTES input, \(seconds) s")
print("requests: \(histogram.totalCount), \(String(format: "%.0f", Double(histogram.totalCount) / elapsedSeconds)) req/s")
print("latency µs: p50 \(microseconds(50)), p90 \(microseconds(90)), p99 \(microseconds(99)), p99.9 \(microseconds(99.9)), max \(microseconds(100))")
for client in clients { await client.close() }
await server.shutdown(timeout: .seconds(1))
