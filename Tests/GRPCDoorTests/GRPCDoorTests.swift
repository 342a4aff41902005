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

    @Test("grpcio stubs and tritonclient.grpc: every RPC, raw and typed tensors, streams, statuses")
    func clients() async throws {
        let folder = try TemporaryFolder()
        let examples = Self.packageRoot.appendingPathComponent("examples/models")
        for model in ["echo", "gemini-chat-completions"] {
            try folder.write("\(model)/model-settings.json", try String(contentsOf: examples.appendingPathComponent("\(model)/model-settings.json"), encoding: .utf8))
        }
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let llm = LLMEnvironment(engine: engine, environment: [:], simulator: .init(baseURL: "http://127.0.0.1:\(simulator.port)"), retry: RetryPolicy(maxAttempts: 1))
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
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.shutdown(timeout: .zero)
        engine.shutdown()
        await simulator.close()

        for (name, report, checks) in [("check_grpc.py", grpcio, 5), ("check_triton_grpc.py", triton, 1)] {
            #expect(report.status == 0, "\(name) failed:\n\(report.log)")
            #expect(report.checks == checks, "\(name): \(report.log)")
            #expect(report.failed == [], "\(name): \(report.log)")
        }
    }
}
