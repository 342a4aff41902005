import Foundation
import InferWireClient
import NIOCore
import ProtoWire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
@testable import inferwire

/// The built `inferwire` executable as a subprocess.
@Suite("inferwire binary", .timeLimit(.minutes(2)))
struct BinaryTests {
    @Test("infer --file sends 300 KB of random bytes as one BYTES element; --json and --output-bytes-to return them unchanged")
    func inferFile() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle (\(CommandLine.arguments[0])); run `swift build` first")
            return
        }
        try await EchoServer.with { (server: EchoServer) async throws in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-file-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let photo = directory.appendingPathComponent("photo.jpg")
            try Data(bytes).write(to: photo)
            let copy = directory.appendingPathComponent("copy.jpg")

            let result = try await runBinary(binary, [
                "infer", "echo", "--port", "\(server.port)", "--file", photo.path, "--type", "image/jpeg", "--json",
                "--output-bytes-to", copy.path,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let response = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
            #expect(response["model_name"] as? String == "echo")
            let outputs = try #require(response["outputs"] as? [[String: Any]])
            try #require(outputs.count == 1)
            #expect(outputs[0]["name"] as? String == "file")
            #expect(outputs[0]["datatype"] as? String == "BYTES")
            #expect(outputs[0]["shape"] as? [Int] == [1])
            #expect((outputs[0]["parameters"] as? [String: Any])?["content_type"] as? String == "image/jpeg")
            #expect(outputs[0]["data_encoding"] as? String == "base64")
            let data = try #require(outputs[0]["data"] as? [String])
            try #require(data.count == 1)
            let echoed = try #require(Data(base64Encoded: data[0]))
            #expect(echoed == Data(bytes), "the echoed bytes differ from the file's")
            #expect(try Data(contentsOf: copy) == Data(bytes))
        }
    }

    @Test("simulate as a subprocess: answers an OpenAI-shaped request, stops on SIGTERM")
    func simulate() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let port = try await freePort()
        let simulate = try BinaryProcess(binary, ["simulate", "--port", "\(port)"])
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("Bearer sim-openai-key", forHTTPHeaderField: "authorization")
        request.httpBody = Data(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}"#.utf8)
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, simulate.process.isRunning {
            if let (data, _) = try? await URLSession.shared.data(for: request) {
                answer = String(decoding: data, as: UTF8.self)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.contains("received 1 part(s): text(5)"), "simulator answered: \(answer); stderr: \(simulate.stderr)")
        kill(simulate.process.processIdentifier, SIGTERM)
        let exited = try await simulate.waitForExit(timeout: .seconds(5))
        try #require(exited, "simulate still running 5 s after SIGTERM")
        #expect(simulate.process.terminationStatus == 0)
    }

    @Test("serve as a subprocess: prints the models and the address, health exits 0, SIGTERM drains and exits 0")
    func serve() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle (\(CommandLine.arguments[0])); run `swift build` first")
            return
        }
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let port = try await freePort()
        let serve = try BinaryProcess(binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)"])

        // Wait until health says ready.
        let deadline = ContinuousClock.now + .seconds(20)
        var health: (status: Int32, stdout: Data, stderr: String) = (-1, Data(), "")
        while ContinuousClock.now < deadline, serve.process.isRunning {
            health = try await runBinary(binary, ["health", "--port", "\(port)", "--model", "echo"])
            if health.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(health.status == 0, "health never succeeded: \(health.stderr); serve said: \(serve.stderr)")
        #expect(String(decoding: health.stdout, as: UTF8.self) == "server live: true\nserver ready: true\nmodel echo ready: true\n")
        let started = String(decoding: serve.stdout, as: UTF8.self)
        #expect(started.contains("model echo: READY\n"))
        #expect(started.contains("listening on 127.0.0.1:\(port)\n"))

        kill(serve.process.processIdentifier, SIGTERM)
        let exited = try await serve.waitForExit(timeout: .seconds(5))
        try #require(exited, "serve still running 5 s after SIGTERM")
        #expect(serve.process.terminationReason == .exit)
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr)")
        #expect(String(decoding: serve.stdout, as: UTF8.self).contains("received a termination signal, draining"))

        // Nothing listens any more: health exits 2.
        let after = try await runBinary(binary, ["health", "--port", "\(port)"])
        #expect(after.status == 2)
        #expect(after.stderr.hasPrefix("error: UNAVAILABLE: cannot connect to 127.0.0.1:\(port)"))
    }

    @Test("a SIGTERM while serve is still starting is a drain, not a kill: it exits 0")
    func earlySignal() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let serve = try BinaryProcess(binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "0"])
        // The first line comes from inside the service group, before any door listens.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, serve.stdout.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try await serve.waitForExit(timeout: .seconds(10)))
        #expect(serve.process.terminationReason == .exit && serve.process.terminationStatus == 0, "\(serve.stderr)")
    }

    @Test("serve's HTTP door: V2 REST answers, and on SIGTERM an in-flight HTTP request finishes before the exit")
    func httpDrain() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let (port, httpPort) = (try await freePort(), try await freePort())
        let serve = try BinaryProcess(binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)", "--http-port", "\(httpPort)"])
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("http on 127.0.0.1:\(httpPort)") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(String(decoding: serve.stdout, as: UTF8.self).contains("http on 127.0.0.1:\(httpPort)"), "\(serve.stderr)")
        let body = #"{"parameters": {"delay_ms": 1500}, "inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["slow"]}]}"#
        let slow = Task {
            try await ChildProcess.run("/usr/bin/curl", [
                "-s", "-w", " %{http_code}", "-H", "content-type: application/json", "-d", body, "http://127.0.0.1:\(httpPort)/v2/models/echo/infer",
            ])
        }
        try await Task.sleep(for: .milliseconds(500))
        kill(serve.process.processIdentifier, SIGTERM)
        let answer = String(decoding: try await slow.value.stdout, as: UTF8.self)
        #expect(answer.hasSuffix(" 200") && answer.contains(#""data":["slow"]"#), "\(answer)")
        #expect(try await serve.waitForExit(timeout: .seconds(10)))
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr)")
        let after = try await ChildProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(httpPort)/v2/health/live"])
        #expect(String(decoding: after.stdout, as: UTF8.self) == "000", "nothing listens after the exit")
    }

    @Test("serve's gRPC door on SIGTERM: health Watch goes NOT_SERVING, an in-flight call finishes, new calls are refused, exit 0")
    func grpcDrain() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let (port, grpcPort) = (try await freePort(), try await freePort())
        let serve = try BinaryProcess(binary, [
            "serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)", "--http-port=-1", "--grpc-port", "\(grpcPort)",
        ])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("grpc on 127.0.0.1:\(grpcPort)") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(String(decoding: serve.stdout, as: UTF8.self).contains("grpc on 127.0.0.1:\(grpcPort)"), "\(serve.stderr)")
        let report = try await PythonChecks.run(
            packageRoot: root, script: "Tests/InferwireCLITests/check_grpc_drain.py",
            ["127.0.0.1:\(grpcPort)", root.appendingPathComponent("proto").path, "\(serve.process.processIdentifier)"])
        #expect(report.status == 0 && report.checks == 1 && report.failed == [], "\(report.log)")
        #expect(try await serve.waitForExit(timeout: .seconds(10)))
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr)")
    }

    @Test("serve's HTTP door on SIGTERM while a streamed /v1 request is still arriving: answered whole, then closed, exit 0")
    func httpDrainHandover() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let (port, httpPort) = (try await freePort(), try await freePort())
        let serve = try BinaryProcess(binary, [
            "serve", "--repository", root.appendingPathComponent("examples/models").path, "--host", "127.0.0.1", "--port", "\(port)",
            "--http-port", "\(httpPort)", "--grpc-port=-1",
        ])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("http on 127.0.0.1:\(httpPort)") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(String(decoding: serve.stdout, as: UTF8.self).contains("http on 127.0.0.1:\(httpPort)"), "\(serve.stderr)")
        let report = try await PythonChecks.run(
            packageRoot: root, script: "Tests/InferwireCLITests/check_http_drain_handover.py", ["\(httpPort)", "\(serve.process.processIdentifier)"])
        #expect(report.status == 0 && report.checks == 1 && report.failed == [], "\(report.log)")
        #expect(try await serve.waitForExit(timeout: .seconds(10)))
        #expect(serve.process.terminationStatus == 0, "\(serve.stderr)")
    }

    @Test("README command 1: serve the example repository without API keys; the bundled simulator answers chat and the seeds' requests")
    func exampleRepository() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let port = try await freePort()
        let serve = try BinaryProcess(binary, ["serve", "--repository", root.appendingPathComponent("examples/models").path, "--host", "127.0.0.1", "--port", "\(port)"])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("listening on") {
            try await Task.sleep(for: .milliseconds(50))
        }
        let started = String(decoding: serve.stdout, as: UTF8.self)
        #expect(started.contains("no API key for gemini (MLSERVER_MODEL_GEMINI_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY): its models use the bundled provider simulator"), "\(started)")
        #expect(started.contains("model gemini-chat-completions: READY") && started.contains("model openai-chat-completions: READY")
                && started.contains("model gemini-prompt-chat-completions: READY"), "\(started)\n\(serve.stderr)")

        let chat = try await runBinary(binary, ["chat", "gemini-chat-completions", "--port", "\(port)"], stdin: Data("Hello there\nAnd again\n".utf8))
        #expect(chat.status == 0, "\(chat.stderr)")
        #expect(String(decoding: chat.stdout, as: UTF8.self) == """
            gemini-chat-completions: received 1 part(s): text(11)
            gemini-chat-completions: received 1 part(s): text(9)

            """)

        let prompt = try await runBinary(binary, ["infer", "gemini-prompt-chat-completions", "--port", "\(port)", "--json",
                                                  "--request", root.appendingPathComponent("examples/requests/gemini-prompt.json").path])
        #expect(prompt.status == 0, "\(prompt.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: prompt.stdout) as? [String: Any])
        let outputs = try #require(answer["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["role", "content", "type", "output_all"])
        #expect((outputs[1]["data"] as? [String])?.first?.hasPrefix("received 1 part(s): text(") == true)

        let photo = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-photo-\(UUID().uuidString).jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0] + (4..<4096).map { UInt8(truncatingIfNeeded: $0) }).write(to: photo)
        defer { try? FileManager.default.removeItem(at: photo) }
        let media = try await runBinary(binary, ["infer", "openai-chat-completions", "--port", "\(port)", "--message", "Describe it", "--file", photo.path, "--type", "image/jpeg"])
        #expect(String(decoding: media.stdout, as: UTF8.self).contains("received 2 part(s): text(11), image/jpeg(4096)"), "\(media.stderr)")
    }

    @Test("kill -9 during a stream of memory appends: after a restart every acknowledged entry is there (files, SQLite, PostgreSQL)")
    func memoryDurability() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-durability-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: repository) }
        let models = [
            "files": #"{"name": "files", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "filesys", "config": {"window_size": 10000}}}}"#,
            "sqlite": #"{"name": "sqlite", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "sqlite:///memory.db", "window_size": 10000}}}}"#,
            "postgres": #"{"name": "postgres", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "\#(ProcessInfo.processInfo.environment["INFERWIRE_TEST_POSTGRES_URL"] ?? "postgresql://missing-INFERWIRE_TEST_POSTGRES_URL@127.0.0.1:1/none")", "window_size": 10000}}}}"#,
        ]
        let memoryID = "durable-\(UUID().uuidString)"
        for (name, text) in models {
            try FileManager.default.createDirectory(at: repository.appendingPathComponent(name), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: repository.appendingPathComponent("\(name)/model-settings.json"))
        }
        func start() async throws -> (BinaryProcess, InferWireClient) {
            let port = try await freePort()
            let serve = try BinaryProcess(binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)"])
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, !String(decoding: serve.stdout, as: UTF8.self).contains("listening on") {
                try await Task.sleep(for: .milliseconds(50))
            }
            return (serve, try await InferWireClient.connect(host: "127.0.0.1", port: port))
        }
        func append(_ client: InferWireClient, _ model: String, _ text: String) async throws {
            var request = ModelInferRequest()
            request.modelName = model
            for (name, value) in [("memory_id", memoryID), ("role", "user"), ("content", text), ("type", "text")] {
                var contents = InferTensorContents()
                contents.bytesContents = [ByteBuffer(string: value)]
                request.inputs.append(.init(name: name, datatype: "BYTES", shape: [1], contents: contents))
            }
            _ = try await client.infer(request)
        }

        let (serve, client) = try await start()
        let acknowledged = AcknowledgedLog()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for model in ["files", "sqlite", "postgres"] {
                    for writer in 0..<4 {
                        group.addTask {
                            for index in 0..<100_000 {
                                let text = "\(model)-\(writer)-\(index)"
                                do {
                                    try await append(client, model, text)
                                } catch {
                                    return  // the server is gone: this one was never acknowledged
                                }
                                acknowledged.add(model, text)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        // 600 appends in flight and acknowledged before the kill; on a CI machine running every
        // suite at once 20 s gave only 441, so the wait is longer and the floor lower.
        let until = ContinuousClock.now + .seconds(60)
        while acknowledged.count < 600, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(20)) }
        kill(serve.process.processIdentifier, SIGKILL)
        _ = await writers.result
        await client.close()
        _ = try await serve.waitForExit(timeout: .seconds(5))
        #expect(acknowledged.count >= 200)

        let (again, reader) = try await start()
        defer { kill(again.process.processIdentifier, SIGKILL) }
        for model in ["files", "sqlite", "postgres"] {
            var request = ModelInferRequest()
            request.modelName = model
            var contents = InferTensorContents()
            contents.bytesContents = [ByteBuffer(string: memoryID)]
            request.inputs = [.init(name: "memory_id", datatype: "BYTES", shape: [1], contents: contents)]
            let response = try await reader.infer(request)
            let index = try #require(response.outputIndex(named: "history"))
            let stored = Set(try response.bytesElements(ofOutput: index).map { element -> String in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(element.readableBytesView)) as? [String: Any])
                return ((object["content"] as? [[String: Any]])?.first?["value"] as? String) ?? ""
            })
            let wanted = acknowledged.texts(model)
            #expect(!wanted.isEmpty)
            #expect(wanted.isSubset(of: stored), "\(model): \(wanted.subtracting(stored).count) acknowledged entries lost")
        }
        await reader.close()
    }
}

/// Appends the server acknowledged, by model.
final class AcknowledgedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var byModel: [String: Set<String>] = [:]
    func add(_ model: String, _ text: String) { lock.withLock { _ = byModel[model, default: []].insert(text) } }
    func texts(_ model: String) -> Set<String> { lock.withLock { byModel[model] ?? [] } }
    var count: Int { lock.withLock { byModel.values.reduce(0) { $0 + $1.count } } }
}
