import Foundation
import Testing
import TestSupport

/// Secrets stay secret on every failure path: `serve` runs with known provider keys and a known
/// bearer token, behind which every way of failing is driven from outside (wrong and missing
/// tokens, a scope refused, a rate exceeded, providers refusing the key, upstream 500s and
/// truncated streams, bad bodies, the tuning gateway, the binary door through the CLI). Then no
/// response (headers included), log line, metric or CLI output may hold a key or the token, not
/// even the masked fragment OpenAI quotes back.
@Suite("Secrets in no log, error, metric or response", .timeLimit(.minutes(3)))
struct SecretsTests {
    static let openAIKey = "sk-known-openai-7Hq2Lx9Vt4Rb8Mw1"
    static let geminiKey = "AIza-known-gemini-3Kf8Pz6Nc2Yd5Ue0"
    static let token = "known-bearer-token-9Wv4Qs7Jm1Xe"
    /// A second caller's token, with a small rate, for the 429 path.
    static let limitedToken = "known-limited-token-5Tg3Hn8Bq2Zk"

    /// The secrets, distinctive pieces of them, and OpenAI's masked form of the key (its first
    /// 8 and last 4 characters around asterisks).
    static let needles = [openAIKey, geminiKey, token, "7Hq2Lx9V", "3Kf8Pz6N", "9Wv4Qs7J", "sk-known*", "*8Mw1", limitedToken, "5Tg3Hn8B"]

    static func llm(_ name: String, provider: String, model: String, base: String) -> String {
        #"{"name": "\#(name)", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "\#(provider)", "#
            + #""config": {"model_id": "\#(model)", "base_url": "\#(base)", "timeout_seconds": 5}}}}"#
    }

    @Test("known keys and token: every failure path answers without them, and no log line or metric holds them")
    func secretsNeverLeak() async throws {
        guard let binary = inferwireBinary() else {
            Issue.record("the inferwire executable was not found next to the test bundle; run `swift build` first")
            return
        }
        // Three simulators: one taking the known keys, one answering 500 to everything, one
        // taking only its own keys (so ours are refused, and OpenAI's refusal quotes them).
        let (good, faulty, strict) = (try await freePort(), try await freePort(), try await freePort())
        let keys = ["--openai-key", Self.openAIKey, "--gemini-key", Self.geminiKey]
        let simulators = [
            try BinaryProcess(binary, ["simulate", "--port", "\(good)"] + keys),
            try BinaryProcess(binary, ["simulate", "--port", "\(faulty)", "--fault", "500"] + keys),
            try BinaryProcess(binary, ["simulate", "--port", "\(strict)"]),
        ]
        let folder = try TemporaryFolder()
        let models: [(String, String)] = [
            ("openai-ok", Self.llm("openai-ok", provider: "openai", model: "gpt-4o", base: "http://127.0.0.1:\(good)/v1")),
            ("openai-refused", Self.llm("openai-refused", provider: "openai", model: "gpt-4o", base: "http://127.0.0.1:\(strict)/v1")),
            ("openai-failing", Self.llm("openai-failing", provider: "openai", model: "gpt-4o", base: "http://127.0.0.1:\(faulty)/v1")),
            ("gemini-refused", Self.llm("gemini-refused", provider: "gemini", model: "gemini-1.5-flash", base: "http://127.0.0.1:\(strict)/v1beta")),
            ("gemini-failing", Self.llm("gemini-failing", provider: "gemini", model: "gemini-1.5-flash", base: "http://127.0.0.1:\(faulty)/v1beta")),
            ("echo", #"{"name": "echo", "implementation": "echo"}"#),
        ]
        for (name, settings) in models { try folder.write("models/\(name)/model-settings.json", settings) }
        try folder.write("tokens.json", #"{"tokens": [{"name": "app", "token": "\#(Self.token)", "models": ["openai-*", "gemini-*", "echo"], "operations": ["infer", "metadata", "tuning"]}, {"name": "limited", "token": "\#(Self.limitedToken)", "models": ["echo"], "rate": {"requests_per_second": 0.01, "burst": 2}}]}"#)
        let (port, http, metrics) = (try await freePort(), try await freePort(), try await freePort())
        let serve = try BinaryProcess(
            binary, ["serve", "--repository", folder.path + "/models", "--host", "127.0.0.1", "--port", "\(port)", "--http-port", "\(http)", "--grpc-port=-1",
                     "--metrics-port", "\(metrics)"],
            environment: [
                "OPENAI_API_KEY": Self.openAIKey, "GEMINI_API_KEY": Self.geminiKey, "INFERWIRE_TOKENS_FILE": folder.path + "/tokens.json",
                "OPENAI_BASE_URL": "http://127.0.0.1:\(strict)",
            ])
        var seen: [(what: String, text: String)] = []
        func curl(_ what: String, _ arguments: [String]) async throws {
            let result = try await ChildProcess.run("/usr/bin/curl", ["-s", "-i", "--max-time", "20"] + arguments)
            seen.append((what, String(decoding: result.stdout, as: UTF8.self)))
        }
        let base = "http://127.0.0.1:\(http)"
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, serve.process.isRunning {
            if (try? await ChildProcess.run("/usr/bin/curl", ["-sf", "\(base)/v2/health/ready"]))?.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let bearer = ["-H", "Authorization: Bearer \(Self.token)", "-H", "content-type: application/json"]
        let chat = #"{"inputs": [{"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]}, {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["hi"]}, {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]}"#

        try await curl("a good call", bearer + ["-d", chat, "\(base)/v2/models/openai-ok/infer"])
        #expect(seen.last?.text.contains("200 OK") == true, "\(seen.last?.text ?? "")")
        for model in ["openai-refused", "gemini-refused", "openai-failing", "gemini-failing"] {
            try await curl("\(model) infer", bearer + ["-d", chat, "\(base)/v2/models/\(model)/infer"])
            #expect(seen.last?.text.contains("200 OK") == false, "\(model): \(seen.last?.text ?? "")")
            try await curl("\(model) stream", bearer + ["-d", chat, "\(base)/v2/models/\(model)/generate_stream"])
        }
        try await curl("OpenAI door, key refused", bearer + ["-d", #"{"model": "openai-refused", "messages": [{"role": "user", "content": "hi"}]}"#, "\(base)/v1/chat/completions"])
        #expect(seen.last?.text.contains("Incorrect API key provided: [redacted]") == true, "\(seen.last?.text ?? "")")
        try await curl("OpenAI door, stream failing", bearer + ["-d", #"{"model": "openai-failing", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#, "\(base)/v1/chat/completions"])
        try await curl("no token", ["-d", chat, "\(base)/v2/models/echo/infer"])
        try await curl("a near-miss token", ["-H", "Authorization: Bearer \(Self.token)x", "-d", chat, "\(base)/v2/models/echo/infer"])
        #expect(seen.last?.text.contains("401") == true)
        try await curl("a scope refused", ["-X", "POST"] + bearer + ["\(base)/v2/repository/models/echo/load"])
        #expect(seen.last?.text.contains("403") == true)
        try await curl("bad JSON", bearer + ["-d", "{\"inputs\": [", "\(base)/v2/models/echo/infer"])
        try await curl("the tuning gateway, key refused upstream", bearer + ["\(base)/v1/fine_tuning/jobs"])
        for _ in 0..<4 {
            try await curl("over the rate", ["-H", "Authorization: Bearer \(Self.limitedToken)", "-d", chat, "\(base)/v2/models/echo/infer"])
        }
        #expect(seen.contains { $0.text.contains("429 Too Many Requests") }, "the rate was never exceeded")

        // The binary door through the CLI: the token from the environment, a refusal upstream.
        for model in ["openai-refused", "echo"] {
            let result = try await runBinary(
                binary, ["infer", model, "--port", "\(port)", "--input", "role:BYTES:[1]=user", "--input", "content:BYTES:[1]=hi", "--input", "type:BYTES:[1]=text"],
                environment: ["INFERWIRE_AUTH_TOKEN": Self.token])
            seen.append(("inferwire infer \(model)", String(decoding: result.stdout, as: UTF8.self) + result.stderr))
        }
        let wrong = try await runBinary(binary, ["health", "--port", "\(port)", "--model", "echo"], environment: ["INFERWIRE_AUTH_TOKEN": Self.token + "x"])
        seen.append(("inferwire health, wrong token", String(decoding: wrong.stdout, as: UTF8.self) + wrong.stderr))

        try await curl("metrics", ["http://127.0.0.1:\(metrics)/metrics"])
        #expect(seen.last?.text.contains("inferwire_") == true, "no metrics scraped")
        kill(serve.process.processIdentifier, SIGTERM)
        _ = try await serve.waitForExit(timeout: .seconds(15))
        seen.append(("serve's standard output", String(decoding: serve.stdout, as: UTF8.self)))
        seen.append(("serve's standard error (logs)", serve.stderr))
        for simulator in simulators { kill(simulator.process.processIdentifier, SIGTERM) }

        #expect(seen.count > 20)
        #expect(serve.stderr.contains("model loaded"), "serve logged nothing: \(serve.stderr)")
        for (what, text) in seen {
            for needle in Self.needles where text.contains(needle) {
                Issue.record("\(what) holds a secret (\(needle.prefix(4))…):\n\(text.prefix(2000))")
            }
        }
    }
}
