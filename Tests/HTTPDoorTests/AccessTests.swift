import Foundation
import InferWireClient
import InferWireCore
import InferenceService
import NIOConcurrencyHelpers
import ProtoWire
import TestSupport
import Testing

/// A tokens file on a served repository, tried from outside: curl on the HTTP door (V2 and
/// OpenAI routes), the binary client on the binary door. Each token may reach some models and
/// operations; one has a rate.
@Suite("Tokens with scopes and rates", .timeLimit(.minutes(2)))
struct AccessTests {
    static let tokens = #"""
    {"tokens": [
      {"name": "echo-only", "token": "tok-echo", "models": ["echo*"], "operations": ["infer", "metadata"]},
      {"name": "ops", "sha256": "SHA", "operations": ["metadata", "repository"]},
      {"name": "slow", "token": "tok-slow", "models": ["echo"], "operations": ["infer"], "rate": {"requests_per_second": 0.01, "burst": 2}},
      {"name": "single", "token": "tok-single", "models": ["echo"], "operations": ["infer"], "max_concurrent": 1}
    ]}
    """#

    /// The file, with the ops token given by its SHA-256 only (`printf tok-ops | sha256sum`).
    static func tokensFile(_ folder: TemporaryFolder) throws -> String {
        try folder.write("tokens.json", tokens.replacingOccurrences(of: "SHA", with: "041086374f20673b2d3681b40573ae817db655c399362cd08205cf77c8217ed0"))
        return folder.path + "/tokens.json"
    }

    static func curl(_ arguments: [String]) async throws -> (status: String, headers: String, body: String) {
        let headers = FileManager.default.temporaryDirectory.appendingPathComponent("headers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: headers) }
        let result = try await ChildProcess.run("/usr/bin/curl", ["-s", "-D", headers, "-o", "/dev/stderr", "-w", "%{http_code}"] + arguments)
        return (String(decoding: result.stdout, as: UTF8.self), (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "", String(decoding: result.stderr, as: UTF8.self))
    }

    static let echoBody = #"{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}"#

    static func infer(_ base: String, model: String, token: String) async throws -> (status: String, headers: String, body: String) {
        try await curl(["-H", "Authorization: Bearer \(token)", "-H", "content-type: application/json", "-d", echoBody, "\(base)/v2/models/\(model)/infer"])
    }

    @Test("curl: a token reaches its models and operations only (403 outside), sees only its models in the index; a rate answers 429 with Retry-After")
    func httpDoor() async throws {
        let folder = try TemporaryFolder()
        try await HTTPDoorTests.withDoor(tokensFile: try Self.tokensFile(folder)) { base in
            let allowed = try await Self.infer(base, model: "echo", token: "tok-echo")
            #expect(allowed.status == "200" && allowed.body.contains(#""data":["hi"]"#), "\(allowed)")
            #expect(try await Self.infer(base, model: "echo-v2", token: "tok-echo").status == "200")
            let otherModel = try await Self.infer(base, model: "sqlite-memory", token: "tok-echo")
            #expect(otherModel.status == "403" && otherModel.body.contains("token 'echo-only' may not use model 'sqlite-memory'"), "\(otherModel)")
            let metadata = try await Self.curl(["-H", "Authorization: Bearer tok-echo", "\(base)/v2/models/echo"])
            #expect(metadata.status == "200", "\(metadata)")
            let load = try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer tok-echo", "\(base)/v2/repository/models/echo/load"])
            #expect(load.status == "403" && load.body.contains("may not use repository calls"), "\(load)")

            // The ops token, known by its digest only: metadata and repository, no inference.
            let index = try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer tok-ops", "-H", "content-type: application/json", "-d", "{}", "\(base)/v2/repository/index"])
            #expect(index.status == "200" && index.body.contains(#""sqlite-memory""#), "\(index)")
            #expect(try await Self.infer(base, model: "echo", token: "tok-ops").status == "403")
            #expect(try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer tok-ops", "\(base)/v2/repository/models/echo/load"]).status == "200")
            // The echo token lists its two models and nothing else.
            let narrow = try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer tok-echo", "-H", "content-type: application/json", "-d", "{}", "\(base)/v2/repository/index"])
            #expect(narrow.status == "200" && narrow.body.contains(#""echo-v2""#) && !narrow.body.contains("sqlite-memory"), "\(narrow)")

            // OpenAI's door: the same grants, in OpenAI's error shape.
            let chat = try await Self.curl([
                "-H", "Authorization: Bearer tok-echo", "-H", "content-type: application/json",
                "-d", #"{"model": "gemini-chat-completions", "messages": [{"role": "user", "content": "hi"}]}"#, "\(base)/v1/chat/completions",
            ])
            #expect(chat.status == "403" && chat.body.contains("permission_error"), "\(chat)")

            // The slow token: a burst of 2, then 429 with Retry-After, on the fast path and the routed one alike.
            #expect(try await Self.infer(base, model: "echo", token: "tok-slow").status == "200")
            #expect(try await Self.infer(base, model: "echo", token: "tok-slow").status == "200")
            let limited = try await Self.infer(base, model: "echo", token: "tok-slow")
            // One request per 100 s: nothing refills while a loaded machine runs the test.
            #expect(limited.status == "429" && limited.body.contains("over its rate of 0.01 requests/s (burst 2)"), "\(limited)")
            let retryAfter = limited.headers.lowercased().components(separatedBy: "retry-after: ").dropFirst().first?.prefix { $0.isNumber }
            #expect(retryAfter.flatMap { Int($0) }.map { (90...100).contains($0) } == true, "\(limited.headers)")
            // Unknown and missing tokens stay 401, and no token appears in any answer.
            let unknown = try await Self.infer(base, model: "echo", token: "tok-nope")
            #expect(unknown.status == "401", "\(unknown)")
            for answer in [allowed, otherModel, load, index, limited, unknown, chat] {
                #expect(!answer.body.contains("tok-"), "\(answer)")
            }
        }
    }

    @Test("max_concurrent: a second call while the first runs is 429 on HTTP and RESOURCE_EXHAUSTED on the binary door; the slot comes back when the call ends, failed ones included")
    func concurrency() async throws {
        let folder = try TemporaryFolder()
        try await HTTPDoorTests.withDoor(tokensFile: try Self.tokensFile(folder)) { (base: String, server: InferWireServer) in
            let slow = #"{"parameters": {"delay_ms": 10000}, "inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}"#
            let refusedSlow = NIOLockedValueBox(false)
            let startSlow = {
                Task {
                    let answer = try await Self.curl(["-H", "Authorization: Bearer tok-single", "-H", "content-type: application/json", "-d", slow, "\(base)/v2/models/echo/infer"])
                    if answer.status == "429" { refusedSlow.withLockedValue { $0 = true } }
                    return answer
                }
            }
            var first = startSlow()
            // Until the slow call is admitted (a loaded machine may start curl late), a quick
            // call still gets through; once it runs, the next is refused. A slow call that came
            // while a quick one held the slot was refused itself: it is sent again.
            var second = try await Self.infer(base, model: "echo", token: "tok-single")
            for _ in 0..<100 where second.status == "200" {
                try await Task.sleep(for: .milliseconds(100))
                if refusedSlow.withLockedValue({ $0 }) {
                    refusedSlow.withLockedValue { $0 = false }
                    first = startSlow()
                }
                second = try await Self.infer(base, model: "echo", token: "tok-single")
            }
            #expect(second.status == "429" && second.body.contains("token 'single' has 1 calls running, its limit"), "\(second)")
            let port = try #require(server.server.localAddress?.port)
            let client = try await InferWireClient.connect(host: "127.0.0.1", port: port, token: "tok-single")
            var request = ModelInferRequest()
            request.modelName = "echo"
            request.inputs = [.init(name: "x", datatype: "BYTES", shape: [1])]
            request.rawInputContents = [BytesElements.encode(strings: ["hi"])]
            await #expect { try await client.infer(request) } throws: { ($0 as? InferenceError)?.code == .resourceExhausted }
            #expect(try await first.value.status == "200")
            // The slot is back; a call that fails after taking it (no such version) gives it back too.
            #expect(try await Self.infer(base, model: "echo", token: "tok-single").status == "200")
            #expect(try await Self.infer(base, model: "echo/versions/9", token: "tok-single").status == "404")
            _ = try await client.infer(request)
            await client.close()
        }
    }

    @Test("binary door: PERMISSION_DENIED outside the grant, RESOURCE_EXHAUSTED with retry-after over the rate")
    func binaryDoor() async throws {
        let folder = try TemporaryFolder()
        try await HTTPDoorTests.withDoor(tokensFile: try Self.tokensFile(folder)) { (_: String, server: InferWireServer) in
            let port = try #require(server.server.localAddress?.port)
            var request = ModelInferRequest()
            request.inputs = [.init(name: "x", datatype: "BYTES", shape: [1])]
            request.rawInputContents = [BytesElements.encode(strings: ["hi"])]

            let echo = try await InferWireClient.connect(host: "127.0.0.1", port: port, token: "tok-echo")
            request.modelName = "echo"
            _ = try await echo.infer(request)
            request.modelName = "sqlite-memory"
            await #expect { try await echo.infer(request) } throws: { ($0 as? InferenceError)?.code == .permissionDenied }
            await echo.close()

            let slow = try await InferWireClient.connect(host: "127.0.0.1", port: port, token: "tok-slow")
            request.modelName = "echo"
            _ = try await slow.infer(request)
            _ = try await slow.infer(request)
            do {
                _ = try await slow.infer(request)
                Issue.record("a third call within the burst's refill time was admitted")
            } catch let error as InferenceError {
                let seconds = error.details[InferenceError.retryAfterKey].flatMap { Int($0) } ?? 0
                #expect(error.code == .resourceExhausted && (90...100).contains(seconds), "\(error)")
            }
            await slow.close()
        }
    }
}
