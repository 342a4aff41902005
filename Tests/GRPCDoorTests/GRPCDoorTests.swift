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

    @Test(
        "grpcio stubs and tritonclient.grpc: every RPC, raw and typed tensors, streams, statuses, health, deadlines (ModelInfer run by the transport, and through grpc-swift's core)",
        arguments: [true, false])
    func clients(directModelInfer: Bool) async throws {
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
        // A 4 MiB message limit, for the check of a message over it.
        let door = GRPCDoor(dataPlane: server.dataPlane, settings: .init(host: "127.0.0.1", port: 0, maxMessageBytes: 4 << 20, directModelInfer: directModelInfer)) { bound in
            port.withLockedValue { $0 = bound }
        }
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

        for (name, report, checks) in [("check_grpc.py", grpcio, 10), ("check_triton_grpc.py", triton, 1)] {
            #expect(report.status == 0, "\(name) failed:\n\(report.log)")
            #expect(report.checks == checks, "\(name): \(report.log)")
            #expect(report.failed == [], "\(name): \(report.log)")
        }
    }

    @Test("connection limits on the wire: MAX_CONCURRENT_STREAMS in the server's SETTINGS; a bad stream is reset and the connection lives on; a connection idle after its calls gets GOAWAY and is closed")
    func connectionLimits() async throws {
        let folder = try TemporaryFolder()
        try folder.write("echo/model-settings.json", #"{"name": "echo", "implementation": "echo"}"#)
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = folder.path
        let server = try await InferWireServer.start(settings: settings)
        let port = NIOLockedValueBox<Int?>(nil)
        // 3 s timers: with every suite running at once on 2 cores, a 1 s idle or handshake timer
        // fired before the loop had read the frames the client sent right after connecting.
        let door = GRPCDoor(
            dataPlane: server.dataPlane, settings: .init(host: "127.0.0.1", port: 0, idleTimeout: .seconds(3), maxConcurrentStreams: 3, handshakeTimeout: .seconds(3))
        ) { bound in port.withLockedValue { $0 = bound } }
        let group = ServiceGroup(configuration: .init(services: [door], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while port.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let bound = try #require(port.withLockedValue { $0 })
        // Raw HTTP/2 frames: what the server advertises and does is the point.
        let script = """
            import socket, struct, time
            s = socket.create_connection(("127.0.0.1", \(bound)))
            s.sendall(b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + struct.pack(">I", 0)[1:] + b"\\x04\\x00" + struct.pack(">I", 0))
            # Three streams first (HPACK literals): 1 has an upper-case header name (swift-nio-http2
            # resets that stream; the connection must live on), 3 is a ServerLive call, 5 is not
            # gRPC (415). The idle timer must start again once the last of them is done.
            def literal(name, value):
                return b"\\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
            def call(stream, content_type=b"application/grpc", extra=()):
                block = b"".join(literal(n, v) for n, v in [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"test"),
                    (b":path", b"/inference.GRPCInferenceService/ServerLive"), (b"content-type", content_type), (b"te", b"trailers"), *extra])
                s.sendall(struct.pack(">I", len(block))[1:] + b"\\x01\\x04" + struct.pack(">I", stream) + block)
                s.sendall(struct.pack(">I", 5)[1:] + b"\\x00\\x01" + struct.pack(">I", stream) + b"\\x00" * 5)
            call(1, extra=[(b"X-Upper", b"1")])
            call(3)
            call(5, content_type=b"text/plain")
            reset, ended = set(), set()
            s.settimeout(30)
            start, data, settings, goaway, answered = time.time(), b"", {}, None, False
            while goaway is None:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
                while len(data) >= 9:
                    length = int.from_bytes(data[:3], "big"); kind, flags = data[3], data[4]
                    stream = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
                    if len(data) < 9 + length: break
                    payload, data = data[9:9 + length], data[9 + length:]
                    if kind == 4 and not flags & 1:
                        for i in range(0, length, 6):
                            settings[int.from_bytes(payload[i:i + 2], "big")] = int.from_bytes(payload[i + 2:i + 6], "big")
                        s.sendall(b"\\x00\\x00\\x00\\x04\\x01" + struct.pack(">I", 0))
                    if kind == 3: reset.add(stream)
                    if kind == 1 and flags & 1:
                        ended.add(stream)
                        if stream == 5: answered, start = True, time.time()
                    if kind == 7: goaway = time.time() - start
            print("reset=%s ended=%s" % (sorted(reset), sorted(ended)))
            print("answered=%s max_concurrent_streams=%s goaway_after=%s" % (answered, settings.get(3), "%.1f" % goaway if goaway is not None else None))
            """
        let result = try await ChildProcess.run(try PythonChecks.python(packageRoot: Self.packageRoot), ["-c", script])
        let output = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        #expect(output.contains("reset=[1] ended=[3, 5]"), "a bad stream is reset, the connection lives on: \(output)")
        #expect(output.contains("answered=True max_concurrent_streams=3 "), "\(output)")
        let after = output.components(separatedBy: "goaway_after=").last.flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(after.map { $0 >= 2.5 && $0 < 20 } == true, "\(output)")
        // A peer that connects and never sends the HTTP/2 preface is closed by the same timeout.
        let silent = """
            import socket, time
            s = socket.create_connection(("127.0.0.1", \(bound)))
            s.settimeout(30)
            start = time.time()
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            print("closed_after=%.1f" % (time.time() - start))
            """
        let closed = try await ChildProcess.run(try PythonChecks.python(packageRoot: Self.packageRoot), ["-c", silent])
        let closedOutput = String(decoding: closed.stdout + closed.stderr, as: UTF8.self)
        let closedAfter = closedOutput.components(separatedBy: "closed_after=").last.flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(closedAfter.map { $0 >= 2.5 && $0 < 20 } == true, "\(closedOutput)")
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await server.shutdown(timeout: .zero)
    }
}
