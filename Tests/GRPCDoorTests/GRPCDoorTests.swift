import Foundation
import GRPCDoor
import InferWireCore
import InferenceService
import LLMAPI
import Logging
import NIOConcurrencyHelpers
import Providers
import ProviderSimulator
import ServiceLifecycle
import TestSupport
import Testing

/// The gRPC door over loopback with clients we did not write: grpcio on stubs generated from
/// proto/inference.proto, and tritonclient.grpc (`check_grpc.py`).
@Suite("gRPC door", .timeLimit(.minutes(2)))
struct GRPCDoorTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("grpcio stubs and tritonclient.grpc: every RPC, raw and typed tensors, streams, statuses, health, deadlines")
    func clients() async throws {
        let folder = try TemporaryFolder()
        let examples = Self.packageRoot.appendingPathComponent("examples/models")
        for model in ["echo", "gemini-chat-completions"] {
            try folder.write("\(model)/model-settings.json", try String(contentsOf: examples.appendingPathComponent("\(model)/model-settings.json"), encoding: .utf8))
        }
        let simulator = try await ProviderSimulator.start()
        // A provider that takes 5 s to answer, for the deadline check: the call must give up
        // (and drop its upstream request) when the client's grpc-timeout passes.
        let slow = try await ProviderSimulator.start(configuration: .init(latencyMilliseconds: 5000))
        try folder.write("slow-chat/model-settings.json", """
            {"name": "slow-chat", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai",
             "config": {"model_id": "gpt-4o", "model_type": "chat.completions", "base_url": "http://127.0.0.1:\(slow.port)/v1", "api_key_env": "SLOW_KEY"}}}}
            """)
        let engine = CurlEngine()
        let llm = LLMEnvironment(
            engine: engine, environment: ["SLOW_KEY": "sim-openai-key"], simulator: .init(baseURL: "http://127.0.0.1:\(simulator.port)"),
            retry: RetryPolicy(maxAttempts: 1))
        var runtimes = RuntimeFactory.builtIn
        LLMRuntime.register(in: &runtimes, environment: llm)
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = folder.path
        let server = try await InferWireServer.start(settings: settings, runtimes: runtimes)
        let port = NIOLockedValueBox<Int?>(nil)
        let door = GRPCDoor(dataPlane: server.dataPlane, settings: .init(host: "127.0.0.1", port: 0)) { bound in port.withLockedValue { $0 = bound } }
        let group = ServiceGroup(configuration: .init(services: [door], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while port.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let bound = try #require(port.withLockedValue { $0 })

        let grpcio = try await PythonChecks.run(
            packageRoot: Self.packageRoot, script: "Tests/GRPCDoorTests/check_grpc.py", ["127.0.0.1:\(bound)", Self.packageRoot.appendingPathComponent("proto").path])
        let triton = try await PythonChecks.run(packageRoot: Self.packageRoot, script: "Tests/GRPCDoorTests/check_triton_grpc.py", ["127.0.0.1:\(bound)"])
        // The deadline reached the runtime: its upstream request was dropped, not waited for.
        let waitUntil = ContinuousClock.now + .seconds(5)
        while slow.log.abandonedResponses == 0, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(slow.log.requestCount == 1 && slow.log.abandonedResponses == 1, "the slow provider saw its answer abandoned")
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.shutdown(timeout: .zero)
        engine.shutdown()
        await simulator.close()
        await slow.close()

        for (name, report, checks) in [("check_grpc.py", grpcio, 7), ("check_triton_grpc.py", triton, 1)] {
            #expect(report.status == 0, "\(name) failed:\n\(report.log)")
            #expect(report.checks == checks, "\(name): \(report.log)")
            #expect(report.failed == [], "\(name): \(report.log)")
        }
    }
}
