import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Providers
import ProviderSimulator
import TestSupport
import Testing
import _CryptoExtras

/// `inferwire tune` as a subprocess against the simulator: records in SQLite across runs, a
/// watch stopped by Ctrl-C and resumed, cancel, delete, dataset errors, and the tuned model's
/// folder served by `inferwire serve`. Google credentials are a service-account key file.
@Suite("inferwire tune", .timeLimit(.minutes(2)))
struct TuneCommandTests {
    struct Session {
        let binary: URL
        let folder: TemporaryFolder
        let simulator: ProviderSimulator
        let environment: [String: String]
        var base: String { "http://127.0.0.1:\(simulator.port)" }

        func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: String, stderr: String) {
            let result = try await runBinary(binary, arguments, environment: environment, timeout: timeout)
            return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
        }

        func json(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }
    }

    static let privateKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let email = "tuner@cli-tests.iam.gserviceaccount.com"

    /// A simulator trusting a fresh service account, whose key file is in the session folder.
    func session(step: Int64) async throws -> Session? {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return nil
        }
        let simulator = try await ProviderSimulator.start(configuration: ProviderSimulator.Configuration(
            tuningStepMilliseconds: step, trustedServiceAccounts: [Self.email: Self.privateKey.publicKey.pemRepresentation]))
        let folder = try TemporaryFolder()
        let key: [String: Any] = ["type": "service_account", "project_id": "cli-tests", "private_key_id": "k1",
                                  "private_key": Self.privateKey.pkcs8PEMRepresentation, "client_email": Self.email,
                                  "token_uri": "http://127.0.0.1:\(simulator.port)/token"]
        try folder.write("sa.json", String(decoding: try JSONSerialization.data(withJSONObject: key), as: UTF8.self))
        var lines = ""
        for index in 1...15 { lines += #"{"text_input": "\#(index)", "output": "\#(index + 1)"}"# + "\n" }
        try folder.write("numbers.jsonl", lines)
        return Session(binary: binary, folder: folder, simulator: simulator, environment: [
            "INFERWIRE_HOME": folder.path + "/home", GoogleAuthorization.credentialsVariable: folder.path + "/sa.json",
            "OPENAI_API_KEY": "sim-openai-key",
        ])
    }

    @Test("Gemini with a service account: create, watch to ACTIVE with the loss chart, a model folder that serve loads and answers; no secret printed")
    func geminiToServe() async throws {
        guard let session = try await session(step: 10) else { return }
        let models = session.folder.path + "/models/numbers"
        let created = try await session.run([
            "tune", "create", "--provider", "gemini", "--base-model", "models/gemini-1.5-flash-001-tuning", "--data", session.folder.path + "/numbers.jsonl",
            "--epochs", "5", "--batch-size", "2", "--learning-rate", "0.001", "--display-name", "number generator",
            "--base-url", session.base, "--model-dir", models, "--detach", "--json",
        ])
        try #require(created.status == 0, "\(created.stderr)")
        let id = try #require((try session.json(created.stdout)["job"] as? [String: Any])?["id"] as? String)
        #expect(id.hasPrefix("tunedModels/number-generator-"))

        let watched = try await session.run(["tune", "watch", id, "--interval", "0.05"])
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(watched.stdout.contains("step 38/38"))
        #expect(watched.stdout.contains("mean loss per epoch:\n  epoch  1"))
        #expect(watched.stdout.contains("succeeded: \(id)"))
        let settings = try String(contentsOfFile: models + "/model-settings.json", encoding: .utf8)
        #expect(settings.contains(#""model_id" : "\#(id)""#) && settings.contains(#""base_url" : "\#(session.base)/v1beta""#))
        #expect(session.simulator.tokensIssued == 2, "one exchange per process (create, watch), not per poll")
        for text in [created.stdout, created.stderr, watched.stdout, watched.stderr] {
            #expect(!text.contains("PRIVATE KEY") && !text.contains("ya29."), "a secret was printed: \(text)")
        }

        let listed = try await session.run(["tune", "list", "--offline"])
        #expect(listed.stdout.contains(id) && listed.stdout.contains("ACTIVE"))

        // Serve the folder the job wrote, and chat with the tuned model through V2 REST.
        let port = try await freePort(), http = try await freePort()
        let serve = try BinaryProcess(session.binary, ["serve", "--repository", session.folder.path + "/models", "--host", "127.0.0.1",
                                                       "--port", "\(port)", "--http-port", "\(http)"],
                                      environment: ["GEMINI_API_KEY": "sim-gemini-key"])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(http)/v2/models/numbers/infer")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"inputs":[{"name":"role","shape":[1],"datatype":"BYTES","data":["user"]},{"name":"content","shape":[1],"datatype":"BYTES","data":["LXIII"]},{"name":"type","shape":[1],"datatype":"BYTES","data":["text"]}]}"#.utf8)
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !answer.contains("outputs") {
            if let (data, _) = try? await URLSession.shared.data(for: request) { answer = String(decoding: data, as: UTF8.self) }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.contains("received 1 part(s): text(5)"), "serve answered: \(answer); stderr: \(serve.stderr)")
        #expect(session.simulator.log.requests.last?.path == "/v1beta/\(id):generateContent")

        let deleted = try await session.run(["tune", "delete", id])
        #expect(deleted.status == 0 && deleted.stdout.hasPrefix("deleted \(id)"))
        #expect(try await session.run(["tune", "list", "--offline"]).stdout.contains(id) == false)
        await session.simulator.close()
    }

    @Test("OpenAI: a watch stopped by SIGINT resumes from the records to success; cancel stops a job; a bad dataset names its line (exit 64)")
    func openAIResumeCancel() async throws {
        // 2 lead steps + 10 training steps of 300 ms: long enough to interrupt the first watch
        // after its first line even on a loaded machine.
        guard let session = try await session(step: 300) else { return }
        let created = try await session.run([
            "tune", "create", "--provider", "openai", "--base-model", "gpt-4o-mini-2024-07-18", "--data", session.folder.path + "/numbers.jsonl",
            "--epochs", "2", "--batch-size", "3", "--display-name", "numbers v1", "--base-url", session.base,
            "--model-dir", session.folder.path + "/models/numbers-v1", "--detach", "--json",
        ])
        try #require(created.status == 0, "\(created.stderr)")
        let id = try #require((try session.json(created.stdout)["job"] as? [String: Any])?["id"] as? String)

        let first = try BinaryProcess(session.binary, ["tune", "watch", id, "--interval", "0.02"], environment: session.environment)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, first.process.isRunning, first.stdout.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        kill(first.process.processIdentifier, SIGINT)
        _ = try await first.waitForExit(timeout: .seconds(5))
        #expect(!String(decoding: first.stdout, as: UTF8.self).contains("succeeded:"), "the first watch was meant to be cut short")

        let resumed = try await session.run(["tune", "watch", id, "--interval", "0.02"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("succeeded: ft:gpt-4o-mini-2024-07-18:sim-org:numbers-v1:"))
        let got = try await session.run(["tune", "get", id])
        #expect(got.stdout.contains("progress:     step 10 of 10"))
        #expect(got.stdout.contains("settings:     epochs 2, batch size 3"))

        // A job that would take minutes, cancelled; its watch then ends with exit 1.
        let slow = try await ProviderSimulator.start(configuration: ProviderSimulator.Configuration(tuningStepMilliseconds: 60_000))
        let started = try await session.run([
            "tune", "create", "--provider", "openai", "--base-model", "gpt-4o-mini", "--data", session.folder.path + "/numbers.jsonl",
            "--base-url", "http://127.0.0.1:\(slow.port)", "--detach", "--json",
        ])
        let slowID = try #require((try session.json(started.stdout)["job"] as? [String: Any])?["id"] as? String)
        let cancelled = try await session.run(["tune", "cancel", slowID])
        #expect(cancelled.status == 0 && cancelled.stdout == "cancelled \(slowID)\n", "\(cancelled.stderr)")
        let after = try await session.run(["tune", "watch", slowID, "--interval", "0.02"])
        #expect(after.status == 1 && after.stdout.contains("cancelled"))

        try session.folder.write("bad.jsonl", #"{"text_input": "1", "output": "2"}"# + "\n" + #"{"text_input": "3"}"# + "\n")
        let bad = try await session.run(["tune", "create", "--provider", "gemini", "--base-model", "m", "--data", session.folder.path + "/bad.jsonl", "--base-url", session.base])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("line 2: missing \"output\""), "\(bad.stderr)")
        await slow.close()
        await session.simulator.close()
    }

    @Test("serve's gateway: openai and google-genai tune through InferWire's HTTP door with its bearer token; the keys stay in the server")
    func gateway() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        let repository = try EchoServer.makeRepository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let port = try await freePort(), http = try await freePort()
        // No provider keys: the gateway relays to the bundled simulator, which holds them.
        let serve = try BinaryProcess(binary, ["serve", "--repository", repository.path, "--host", "127.0.0.1", "--port", "\(port)", "--http-port", "\(http)"],
                                      environment: ["INFERWIRE_AUTH_TOKEN": "gateway-token"])
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning, !String(decoding: serve.stdout, as: UTF8.self).contains("http on") {
            try await Task.sleep(for: .milliseconds(50))
        }
        // Without the token, the gateway refuses before anything reaches a provider.
        var anonymous = URLRequest(url: URL(string: "http://127.0.0.1:\(http)/v1/fine_tuning/jobs")!)
        anonymous.setValue("Bearer sim-openai-key", forHTTPHeaderField: "authorization")
        let (_, refused) = try await URLSession.shared.data(for: anonymous)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401)

        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let report = try await PythonChecks.run(packageRoot: packageRoot, script: "Tests/SDKFidelity/check_tuning_sdks.py", ["http://127.0.0.1:\(http)", "--gateway"])
        #expect(report.status == 0, "\(report.log)\nserve: \(serve.stderr)")
        #expect(report.checks == 10, "\(report.log)")
        #expect(report.failed == [], "\(report.log)")
        // Neither the server's token nor the provider keys it holds reach its logs or the client's output.
        let printed = String(decoding: serve.stdout, as: UTF8.self) + serve.stderr
        for secret in ["gateway-token", "sim-openai-key", "sim-gemini-key", "sim-access-token"] {
            #expect(!printed.contains(secret), "serve printed \(secret)")
        }
        #expect(!report.log.contains("sim-openai-key") && !report.log.contains("sim-gemini-key"))
    }
}
