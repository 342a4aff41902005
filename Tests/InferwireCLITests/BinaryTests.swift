import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
}
