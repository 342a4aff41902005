import ExtrasBase64
import Foundation
import Histogram
import InferenceService
import InferWireCore
import LLMAPI
import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire
import Providers

// The whole gateway's cost: a binary client asking InferWire's LLM runtime, which asks the
// provider simulator, against calling the simulator directly, in one run.
//
//   GatewayOverhead --port P [--requests N] [--rounds R] [--concurrency C]
//
// P is a running simulator (`ProviderOverhead simulator --port P`, its own process). The
// InferWire server runs in this process on 127.0.0.1 with one OpenAI model pointed at it.
// Sequential rounds alternate: direct (OpenAIProvider.complete) and through InferWire
// (InferWireClient.infer → server → LLMRuntime → OpenAIProvider); then requests/s with C
// requests in flight, each way. Last, the bytes a 5 MiB image costs on the wire: the binary
// protocol's frame (raw bytes) against MLServer REST's JSON body (base64).

@main
struct GatewayOverhead {
    static func main() async throws {
        try await Task.detached { try await run(CommandLine.arguments) }.value
    }

    static func run(_ arguments: [String]) async throws {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let port = option("--port", 9190)
        let requests = option("--requests", 2000)
        let rounds = option("--rounds", 5)
        let concurrency = option("--concurrency", 32)

        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-gateway-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: repository.appendingPathComponent("chat"), withIntermediateDirectories: true)
        try Data(#"{"name": "chat", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "gpt-4o-mini"}}}}"#.utf8)
            .write(to: repository.appendingPathComponent("chat/model-settings.json"))
        defer { try? FileManager.default.removeItem(at: repository) }
        let engine = CurlEngine()
        let llm = LLMEnvironment(engine: engine, environment: [:], simulator: .init(baseURL: "http://127.0.0.1:\(port)"), retry: RetryPolicy(maxAttempts: 1))
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = repository.path
        var runtimes = RuntimeFactory.builtIn
        LLMRuntime.register(in: &runtimes, environment: llm)
        let server = try await InferWireServer.start(settings: settings, runtimes: runtimes)
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: server.server.localAddress!.port!)

        let direct = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
        let chat = ChatRequest(model: "gpt-4o-mini", messages: [.text(.user, "What is the capital of France?")])
        var request = ModelInferRequest()
        request.modelName = "chat"
        for (name, value) in [("role", "user"), ("content", "What is the capital of France?"), ("type", "text")] {
            var contents = InferTensorContents()
            contents.bytesContents = [ByteBuffer(string: value)]
            request.inputs.append(.init(name: name, datatype: "BYTES", shape: [1], contents: contents))
        }

        func histogram() -> Histogram<UInt64> { Histogram(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three) }
        var directHistogram = histogram()
        var gatewayHistogram = histogram()
        var medians: [String: [UInt64]] = [:]
        for round in 0...rounds {
            var directSamples: [UInt64] = []
            for _ in 0..<requests {
                let start = ContinuousClock.now
                _ = try await direct.complete(chat)
                directSamples.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
            }
            var gatewaySamples: [UInt64] = []
            for _ in 0..<requests {
                let start = ContinuousClock.now
                _ = try await client.infer(request)
                gatewaySamples.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
            }
            guard round > 0 else { continue }
            for value in directSamples { directHistogram.record(value) }
            for value in gatewaySamples { gatewayHistogram.record(value) }
            medians["direct", default: []].append(directSamples.sorted()[requests / 2])
            medians["gateway", default: []].append(gatewaySamples.sorted()[requests / 2])
        }
        func us(_ value: UInt64) -> String { String(format: "%.1f", Double(value) / 1000) }
        print("Gateway latency, \(rounds) rounds x \(requests) sequential requests, OpenAI chat via the simulator on loopback")
        print("| path | p50 µs | p90 µs | p99 µs | round medians µs |")
        print("|---|---:|---:|---:|---|")
        for (name, h) in [("direct (OpenAIProvider.complete)", directHistogram), ("through InferWire (binary client → server → LLM runtime)", gatewayHistogram)] {
            print("| \(name) | \(us(h.valueAtPercentile(50))) | \(us(h.valueAtPercentile(90))) | \(us(h.valueAtPercentile(99))) | \(medians[name.hasPrefix("direct") ? "direct" : "gateway"]!.map(us).joined(separator: ", ")) |")
        }
        print(String(format: "added by InferWire: p50 %+.1f µs, p99 %+.1f µs", (Double(gatewayHistogram.valueAtPercentile(50)) - Double(directHistogram.valueAtPercentile(50))) / 1000,
                     (Double(gatewayHistogram.valueAtPercentile(99)) - Double(directHistogram.valueAtPercentile(99))) / 1000))

        // Throughput with `concurrency` requests in flight, 5 s each way.
        func throughput(_ call: @escaping @Sendable () async throws -> Void) async throws -> Double {
            let end = ContinuousClock.now + .seconds(5)
            let count = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var done = 0
                        while ContinuousClock.now < end {
                            try await call()
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
            return Double(count) / 5
        }
        let sendableRequest = request
        let directRate = try await throughput { _ = try await direct.complete(chat) }
        let gatewayRate = try await throughput { _ = try await client.infer(sendableRequest) }
        print("")
        print("| \(concurrency) in flight | requests/s |")
        print("|---|---:|")
        print(String(format: "| direct | %.0f |", directRate))
        print(String(format: "| through InferWire | %.0f |", gatewayRate))

        // Bytes on the wire for a 5 MiB image in one chat message.
        let image = [UInt8](repeating: 0xAB, count: 5 << 20)
        var media = ModelInferRequest()
        media.modelName = "chat"
        media.inputs = [
            .init(name: "role", datatype: "BYTES", shape: [1]), .init(name: "content", datatype: "BYTES", shape: [1, 2]),
            .init(name: "type", datatype: "BYTES", shape: [1, 2]),
        ]
        media.rawInputContents = [
            BytesElements.encode(strings: ["user"]), BytesElements.encode([Array("Describe it".utf8), image]),
            BytesElements.encode(strings: ["text", "image/jpeg"]),
        ]
        let frame = 12 + media.serializedBytes().count
        let json = #"{"inputs": [{"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]}, {"name": "content", "shape": [1, 2], "datatype": "BYTES", "data": ["Describe it", ""#
            + Base64.encodeToString(bytes: image) + #""]}, {"name": "type", "shape": [1, 2], "datatype": "BYTES", "data": ["text", "image/jpeg"]}]}"#
        print("")
        print("| 5 MiB image in one message | bytes on the wire | vs raw image |")
        print("|---|---:|---:|")
        print(String(format: "| InferWire binary frame (raw bytes) | %d | %.4f× |", frame, Double(frame) / Double(image.count)))
        print(String(format: "| MLServer REST JSON (base64) | %d | %.4f× |", json.utf8.count, Double(json.utf8.count) / Double(image.count)))

        await client.close()
        await server.shutdown(timeout: .zero)
        engine.shutdown()
    }
}
