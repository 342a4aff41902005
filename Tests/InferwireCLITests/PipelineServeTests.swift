import Foundation
import InferWireClient
import ProtoWire
import TestSupport
import Testing

/// `inferwire serve` on examples/chatbot (no keys: the bundled simulator answers): the chatbot
/// pipeline over every door — the binary protocol here, REST and gRPC from Python clients.
@Suite("inferwire serve: the chatbot pipeline", .timeLimit(.minutes(2)))
struct PipelineServeTests {
    @Test("examples/chatbot over the binary door, REST (infer, generate_stream) and gRPC (ModelInfer, ModelStreamInfer)")
    func everyDoor() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = try TemporaryFolder()
        let example = packageRoot.appendingPathComponent("examples/chatbot")
        for model in ["chat-memory", "chat-memory-answer", "chat-llm", "chatbot"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: example.appendingPathComponent(model).path) {
                try folder.write("\(model)/\(file)", try String(contentsOf: example.appendingPathComponent("\(model)/\(file)"), encoding: .utf8))
            }
        }
        let port = try await freePort(), http = try await freePort(), grpc = try await freePort()
        let serve = try BinaryProcess(binary, ["serve", "--repository", folder.path, "--host", "127.0.0.1", "--port", "\(port)",
                                               "--http-port", "\(http)", "--grpc-port", "\(grpc)"])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("grpc on") {
            try await Task.sleep(for: .milliseconds(50))
        }
        let started = String(decoding: serve.stdout, as: UTF8.self)
        try #require(started.contains("model chatbot: READY"), "\(started)\n\(serve.stderr)")

        let client = try await InferWireClient.connect(host: "127.0.0.1", port: port)
        let memoryID = UUID().uuidString
        var request = Tensors.chat("chatbot", [
            Tensors.text("memory_id", [memoryID]), Tensors.text("role", ["user"]), Tensors.text("content", ["Hello over the binary door"]),
            Tensors.text("type", ["text"]),
        ])
        request.id = "b-1"
        let answer = try await client.infer(request)
        #expect(try Tensors.strings(answer, "content") == ["received 1 part(s): text(26)"])
        _ = try await client.infer(request)  // the same id again
        let history = try Tensors.strings(try await client.infer(Tensors.chat("chat-memory", [Tensors.text("memory_id", [memoryID])])), "history")
        #expect(history.count == 2, "\(history)")
        await client.close()

        let report = try await PythonChecks.run(packageRoot: packageRoot, script: "Tests/InferwireCLITests/check_pipeline_doors.py",
                                                ["http://127.0.0.1:\(http)", "127.0.0.1:\(grpc)", packageRoot.appendingPathComponent("proto").path])
        #expect(report.status == 0, "\(report.log)\nserve: \(serve.stderr)")
        #expect(report.checks == 4 && report.failed == [], "\(report.log)")
    }
}
