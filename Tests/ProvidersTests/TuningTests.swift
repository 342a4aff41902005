import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import InferWireCore
import Providers
import ProviderSimulator
import TestSupport
import Testing
import _CryptoExtras

/// Gemini tuning and OpenAI fine-tuning through the provider clients, against the simulator over
/// loopback: whole runs from dataset to a served tuned model, failures, cancel, paging.
@Suite("Tuning against the simulator", .timeLimit(.minutes(1)))
struct TuningTests {
    static let fast = ProviderSimulator.Configuration(tuningStepMilliseconds: 5)

    func examples(_ count: Int) -> [TuningExample] {
        (1...count).map { TuningExample(input: "\($0)", output: "\($0 + 1)") }
    }

    func gemini(_ simulator: ProviderSimulator, _ engine: CurlEngine, headers: [(name: String, value: String)] = []) -> GeminiTuning {
        var client = GeminiTuning(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta",
                                  authorization: GoogleAuthorization(.accessToken(Secret("sim-access-token")), userProject: "my-project"),
                                  engine: engine, retry: RetryPolicy(maxAttempts: 1))
        client.extraHeaders = headers
        return client
    }

    func waitDone(_ client: GeminiTuning, _ operation: String) async throws -> TuningJob {
        for _ in 0..<400 {
            let job = try await client.operation(operation)
            if job.state.isFinal { return job }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ProviderError(.deadlineExceeded, "tuning never finished")
    }

    @Test("Gemini: seed 003's run — create, poll the operation to 100% with a falling loss, ACTIVE, generate with the tuned model, delete")
    func geminiWholeRun() async throws {
        let simulator = try await ProviderSimulator.start(configuration: Self.fast)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let client = gemini(simulator, engine)
        let created = try await client.create(
            baseModel: "gemini-1.0-pro-001", displayName: "number generator model",
            hyperparameters: TuningHyperparameters(epochs: 5, batchSize: 2, learningRate: 0.001), examples: examples(15))
        // The seed's figures: 15 examples, batch 2, 5 epochs → 38 steps.
        #expect(created.totalSteps == 38)
        #expect(created.id.hasPrefix("tunedModels/number-generator-model-"))
        #expect(created.state == .running)
        let operation = try #require(created.operation)
        let done = try await waitDone(client, operation)
        #expect(done.state == .succeeded)
        #expect(done.completedSteps == 38)
        #expect(done.losses.count == 38)
        #expect(done.losses.map(\.epoch).last == 5)
        let losses = done.losses.map(\.loss)
        #expect(losses.last! < losses.first! / 3, "the loss falls: \(losses.first!) → \(losses.last!)")
        #expect(done.resultModel == created.id)
        #expect(done.hyperparameters.batchSize == 2 && done.hyperparameters.epochs == 5)

        let model = try await client.get(created.id)
        #expect(model.providerState == "ACTIVE")
        #expect(model.displayName == "number generator model")

        let provider = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine)
        let answer = try await provider.complete(ChatRequest(model: created.id, messages: [.text(.user, "LXIII")]))
        #expect(answer.text == "received 1 part(s): text(5)")
        #expect(simulator.log.requests.last?.path == "/v1beta/\(created.id):generateContent")

        try await client.delete(created.id)
        await #expect(throws: ProviderError.self) { try await client.get(created.id) }
        await simulator.close()
    }

    @Test("Gemini: list pages, a poisoned dataset fails the operation and the model refuses generation, bad input and quota are typed errors")
    func geminiFailures() async throws {
        let simulator = try await ProviderSimulator.start(configuration: Self.fast)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let client = gemini(simulator, engine)
        for index in 0..<3 {
            _ = try await client.create(baseModel: "models/gemini-1.5-flash-001-tuning", displayName: "m\(index)", hyperparameters: TuningHyperparameters(), examples: examples(4))
        }
        let first = try await client.list(pageSize: 2)
        #expect(first.jobs.count == 2)
        let token = try #require(first.nextPageToken)
        let second = try await client.list(pageSize: 2, pageToken: token)
        #expect(second.jobs.count == 1 && second.nextPageToken == nil)
        #expect(Set((first.jobs + second.jobs).map(\.displayName)) == ["m0", "m1", "m2"])

        var poisoned = examples(8)
        poisoned[3].output = "sim-fail-tuning"
        let failing = try await client.create(baseModel: "gemini-1.5-flash-001-tuning", displayName: "bad", hyperparameters: TuningHyperparameters(epochs: 2, batchSize: 2), examples: poisoned)
        let failed = try await waitDone(client, try #require(failing.operation))
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("non-finite loss") == true)
        #expect(try await client.get(failing.id).providerState == "FAILED")
        let provider = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
        await #expect { try await provider.complete(ChatRequest(model: failing.id, messages: [.text(.user, "x")])) } throws: { error in
            (error as? ProviderError)?.code == .invalidArgument && "\(error)".contains("not ACTIVE")
        }

        await #expect { try await client.create(baseModel: "m", displayName: nil, hyperparameters: TuningHyperparameters(), examples: []) } throws: { error in
            (error as? ProviderError)?.code == .invalidArgument && "\(error)".contains("at least one example")
        }
        let quota = gemini(simulator, engine, headers: [("x-simulator-fault", "429")])
        await #expect { try await quota.create(baseModel: "m", displayName: nil, hyperparameters: TuningHyperparameters(), examples: examples(2)) } throws: { error in
            (error as? ProviderError)?.code == .resourceExhausted
        }
        // Neither an API key nor a token: Google's refusal, typed.
        let anonymous = GeminiTuning(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", authorization: GoogleAuthorization(.none), engine: engine, retry: RetryPolicy(maxAttempts: 1))
        await #expect { try await anonymous.list() } throws: { error in (error as? ProviderError)?.code == .permissionDenied }
        await simulator.close()
    }

    /// One raw call: status and JSON object (or the body's text under "text").
    func call(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? ["text": String(decoding: data, as: UTF8.self)]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    @Test("simulator routes the clients do not use: PATCH a tuned model, its operations list, a file's content; unknown ids are 404s")
    func otherRoutes() async throws {
        let simulator = try await ProviderSimulator.start(configuration: Self.fast)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let base = "http://127.0.0.1:\(simulator.port)"
        let google = ["authorization": "Bearer sim-access-token", "content-type": "application/json"]
        let created = try await gemini(simulator, engine).create(baseModel: "m", displayName: "before", hyperparameters: TuningHyperparameters(), examples: examples(2))
        let (patched, renamed) = try await call("PATCH", "\(base)/v1beta/\(created.id)?updateMask=displayName", headers: google, body: #"{"display_name": "after"}"#)
        #expect(patched == 200 && renamed["displayName"] as? String == "after")
        let (refused, _) = try await call("PATCH", "\(base)/v1beta/\(created.id)?updateMask=baseModel", headers: google, body: #"{"baseModel": "x"}"#)
        #expect(refused == 400)
        let (listed, operations) = try await call("GET", "\(base)/v1/\(created.id)/operations", headers: google)
        #expect(listed == 200 && (operations["operations"] as? [[String: Any]])?.first?["name"] as? String == created.operation)
        #expect(try await call("GET", "\(base)/v1beta/tunedModels/nope", headers: google).0 == 404)
        #expect(try await call("GET", "\(base)/v1beta/tunedModels/nope/operations/x", headers: google).0 == 404)
        #expect(try await call("GET", "\(base)/v1beta/tunedModels", headers: ["authorization": "Bearer expired-or-unknown"]).0 == 401)

        let openAI = ["authorization": "Bearer sim-openai-key"]
        let content = TuningDataset(examples: examples(10), lines: Array(1...10)).openAIJSONL()
        let file = try await self.openAI(simulator, engine).upload(content, filename: "t.jsonl")
        let (status, body) = try await call("GET", "\(base)/v1/files/\(file)/content", headers: openAI)
        #expect(status == 200 && (body["text"] as? String).map { Array($0.utf8) } == content)
        #expect(try await call("GET", "\(base)/v1/files/file-nope", headers: openAI).0 == 404)
        #expect(try await call("GET", "\(base)/v1/fine_tuning/jobs/ftjob-nope/events", headers: openAI).0 == 404)
        #expect(try await call("GET", "\(base)/v1/fine_tuning/jobs", headers: ["authorization": "Bearer wrong"]).0 == 401)
        await simulator.close()
    }

    func openAI(_ simulator: ProviderSimulator, _ engine: CurlEngine, step: Int? = nil) -> OpenAIFineTuning {
        var client = OpenAIFineTuning(baseURL: "http://127.0.0.1:\(simulator.port)/v1", apiKey: Secret("sim-openai-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
        if let step { client.extraHeaders = [("x-simulator-tuning-step-ms", "\(step)")] }
        return client
    }

    @Test("OpenAI: upload, create, run to success with metrics events and checkpoints, chat with the ft: model")
    func openAIWholeRun() async throws {
        let simulator = try await ProviderSimulator.start(configuration: Self.fast)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let client = openAI(simulator, engine)
        let dataset = TuningDataset(examples: examples(12), lines: Array(1...12))
        let file = try await client.upload(dataset.openAIJSONL(), filename: "train.jsonl")
        #expect(file.hasPrefix("file-"))
        let created = try await client.create(baseModel: "gpt-4o-mini-2024-07-18", trainingFile: file,
                                              hyperparameters: TuningHyperparameters(epochs: 2, batchSize: 3), suffix: "numbers")
        #expect(created.id.hasPrefix("ftjob-"))
        #expect(created.state == .validating)
        var job = created
        for _ in 0..<400 where !job.state.isFinal {
            try await Task.sleep(for: .milliseconds(10))
            job = try await client.get(created.id)
        }
        #expect(job.state == .succeeded)
        let model = try #require(job.resultModel)
        #expect(model.hasPrefix("ft:gpt-4o-mini-2024-07-18:sim-org:numbers:"))
        let events = try await client.events(created.id)
        let metrics = events.filter { $0.step != nil }
        #expect(metrics.count == 8, "12 examples / batch 3 × 2 epochs")
        #expect(metrics.map(\.step!) == Array(1...8), "oldest first")
        #expect(metrics.last!.loss! < metrics.first!.loss!)
        #expect(events.last?.message == "The job has successfully completed")
        let checkpoints = try await client.checkpoints(created.id)
        #expect(checkpoints.map(\.step) == [8, 4])
        #expect(checkpoints.first?.model == model + ":ckpt-step-8")
        let listed = try await client.list(limit: 5)
        #expect(listed.jobs.first?.id == created.id)

        let chat = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine)
        let answer = try await chat.complete(ChatRequest(model: model, messages: [.text(.user, "7")]))
        #expect(answer.text == "received 1 part(s): text(1)")
        #expect(simulator.log.requests.last?.model == model)
        await simulator.close()
    }

    @Test("OpenAI: cancel a running job (twice is an error), a file with too few examples fails validation, an unknown file is refused")
    func openAIFailures() async throws {
        let simulator = try await ProviderSimulator.start(configuration: Self.fast)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let slow = openAI(simulator, engine, step: 60_000)
        let file = try await slow.upload(TuningDataset(examples: examples(10), lines: Array(1...10)).openAIJSONL(), filename: "t.jsonl")
        let job = try await slow.create(baseModel: "gpt-4o-mini", trainingFile: file, hyperparameters: TuningHyperparameters())
        let cancelled = try await slow.cancel(job.id)
        #expect(cancelled.state == .cancelled)
        #expect(try await slow.get(job.id).state == .cancelled)
        await #expect { try await slow.cancel(job.id) } throws: { error in "\(error)".contains("already completed") }
        #expect(try await slow.events(job.id).last?.message == "Fine-tuning job cancelled")

        let client = openAI(simulator, engine)
        let small = try await client.upload(TuningDataset(examples: examples(3), lines: [1, 2, 3]).openAIJSONL(), filename: "small.jsonl")
        var failing = try await client.create(baseModel: "gpt-4o-mini", trainingFile: small, hyperparameters: TuningHyperparameters())
        for _ in 0..<200 where !failing.state.isFinal {
            try await Task.sleep(for: .milliseconds(10))
            failing = try await client.get(failing.id)
        }
        #expect(failing.state == .failed)
        #expect(failing.error?.contains("at least 10 examples") == true)
        await #expect { try await client.create(baseModel: "gpt-4o-mini", trainingFile: "file-nope", hyperparameters: TuningHyperparameters()) } throws: { error in
            (error as? ProviderError)?.code == .invalidArgument && "\(error)".contains("invalid training_file")
        }
        await simulator.close()
    }
}

/// Google OAuth: a service account's RS256 JWT exchanged at the simulator's token endpoint,
/// cached, refreshed before expiry; Vertex AI's paths with those tokens.
@Suite("Google OAuth and Vertex AI", .timeLimit(.minutes(1)))
struct GoogleOAuthTests {
    struct Account {
        let folder: TemporaryFolder
        let path: String
        let publicPEM: String
        let privatePEM: String
    }

    /// A fresh service account: its key file in a temporary folder, its public key for the simulator.
    func account(email: String = "tests@inferwire-tests.iam.gserviceaccount.com", tokenURI: String) throws -> Account {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let folder = try TemporaryFolder()
        let file: [String: Any] = [
            "type": "service_account", "project_id": "tests", "private_key_id": "k1", "private_key": key.pkcs8PEMRepresentation,
            "client_email": email, "token_uri": tokenURI,
        ]
        try folder.write("sa.json", String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self))
        return Account(folder: folder, path: folder.path + "/sa.json", publicPEM: key.publicKey.pemRepresentation, privatePEM: key.pkcs8PEMRepresentation)
    }

    /// A clock a test moves by hand.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var offset: TimeInterval = 0
        func advance(_ seconds: TimeInterval) { lock.withLock { offset += seconds } }
        var now: Date { lock.withLock { Date().addingTimeInterval(offset) } }
    }

    @Test("a service account's token is exchanged once, reused, refreshed before it expires; the Developer API takes it")
    func serviceAccountTokens() async throws {
        let email = "tests@inferwire-tests.iam.gserviceaccount.com"
        let folder = try TemporaryFolder()
        // The simulator must trust the key before it starts: make the key, then the simulator.
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let simulator = try await ProviderSimulator.start(configuration: ProviderSimulator.Configuration(
            trustedServiceAccounts: [email: key.publicKey.pemRepresentation], tokenLifetimeSeconds: 3600))
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let file: [String: Any] = ["type": "service_account", "private_key": key.pkcs8PEMRepresentation, "client_email": email,
                                   "token_uri": "http://127.0.0.1:\(simulator.port)/token", "project_id": "tests"]
        try folder.write("sa.json", String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self))
        let credentials = try GoogleCredentialFile.load(path: folder.path + "/sa.json")
        // The source's clock is moved by hand; the JWT's iat/exp stay real (the simulator checks them).
        let clock = TestClock()
        let tokens = GoogleTokenSource(credentials: credentials, scopes: GoogleTokenSource.tuningScopes, engine: engine, now: { clock.now })
        let tuning = GeminiTuning(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", authorization: GoogleAuthorization(.tokens(tokens)), engine: engine)
        async let one = tuning.list()
        async let two = tuning.list()
        _ = try await (one, two)
        clock.advance(3000)
        _ = try await tuning.list()
        #expect(simulator.tokensIssued == 1, "concurrent and later calls share one exchange")
        // An hour's token is refreshed five minutes before it ends.
        clock.advance(301)
        _ = try await tuning.list()
        #expect(simulator.tokensIssued == 2)
        #expect(await tokens.exchanges == 2)
        // Nothing secret in what a log would print.
        let printed = "\(credentials) \(String(reflecting: credentials))"
        #expect(!printed.contains("PRIVATE KEY") && printed.contains("<redacted>"))
        await simulator.close()
    }

    @Test("a gcloud user file (authorized_user): its refresh token is exchanged; a revoked one is refused without echoing it")
    func authorizedUser() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        defer { engine.shutdown() }
        func tokens(_ refreshToken: String) throws -> GoogleTokenSource {
            let file = #"{"type": "authorized_user", "client_id": "sim-client-id", "client_secret": "sim-client-secret", "refresh_token": "\#(refreshToken)", "token_uri": "http://127.0.0.1:\#(simulator.port)/token", "quota_project_id": "q"}"#
            return GoogleTokenSource(credentials: try GoogleCredentialFile.parse(Data(file.utf8), source: "adc.json"), scopes: GoogleTokenSource.tuningScopes, engine: engine)
        }
        let good = try tokens("sim-refresh-token")
        #expect(good.projectID == "q")
        let tuning = GeminiTuning(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", authorization: GoogleAuthorization(.tokens(good)), engine: engine)
        _ = try await tuning.list()
        #expect(simulator.tokensIssued == 1)
        await #expect { try await tokens("revoked-refresh-token").token() } throws: { error in
            "\(error)".contains("invalid_grant") && !"\(error)".contains("revoked-refresh-token")
        }
        await simulator.close()
    }

    @Test("an untrusted key is refused as unauthenticated, and the error names neither key nor token")
    func untrustedKey() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let account = try account(tokenURI: "http://127.0.0.1:\(simulator.port)/token")
        let tokens = GoogleTokenSource(credentials: try GoogleCredentialFile.load(path: account.path), scopes: ["s"], engine: engine)
        await #expect { try await tokens.token() } throws: { error in
            let text = "\(error)"
            return (error as? ProviderError)?.code == .unauthenticated && text.contains("Invalid JWT Signature")
                && !text.contains("PRIVATE KEY") && !text.contains(String(account.privatePEM.split(separator: "\n")[1]))
        }
        #expect(simulator.tokensIssued == 0)
        #expect(throws: ProviderError.self) { try GoogleCredentialFile.parse(Data(#"{"type":"service_account"}"#.utf8), source: "x.json") }
        await simulator.close()
    }

    @Test("Vertex AI through the catalog: model-settings config selects the project/location path and OAuth; an API key alone is refused")
    func vertex() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let folder = try TemporaryFolder()
        try folder.write("token", "sim-access-token\n")
        let root = "http://127.0.0.1:\(simulator.port)"
        let connection = ProviderConnection(
            modelID: "gemini-2.0-flash", baseURL: root, simulatorURL: nil, apiKey: nil,
            config: ["vertex_project": .string("my-proj"), "vertex_location": .string("us-central1"),
                     "access_token_file": .string(folder.path + "/token"), "user_project": .string("billing-proj")],
            engine: engine, retry: RetryPolicy(maxAttempts: 1))
        let provider = try GeminiProvider.descriptor.make(connection)
        let answer = try await provider.complete(ChatRequest(model: "gemini-2.0-flash", messages: [.text(.user, "hello")]), deadline: nil)
        #expect(answer.text == "received 1 part(s): text(5)")
        #expect(simulator.log.requests.last?.path == "/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent")

        var keyOnly = connection
        keyOnly.config = ["vertex_project": .string("my-proj")]
        keyOnly.apiKey = Secret("sim-gemini-key")
        #expect(throws: ProviderError.self) { try GeminiProvider.descriptor.make(keyOnly) }
        let direct = GeminiProvider(endpoint: .vertex(root: root, project: "p", location: "l"), authorization: GoogleAuthorization(.apiKey(Secret("sim-gemini-key"))),
                                    engine: engine, retry: RetryPolicy(maxAttempts: 1))
        await #expect { try await direct.complete(ChatRequest(model: "m", messages: [.text(.user, "x")])) } throws: { error in
            (error as? ProviderError)?.code == .unauthenticated && "\(error)".contains("API keys are not supported")
        }
        #expect(GeminiProvider.Endpoint.vertexRoot(location: "europe-west4") == "https://europe-west4-aiplatform.googleapis.com")
        #expect(GeminiProvider.Endpoint.vertexRoot(location: "global") == "https://aiplatform.googleapis.com")
        await simulator.close()
    }
}

/// Dataset checks before any upload, each problem with its line.
@Suite("Tuning datasets")
struct TuningDatasetTests {
    func parse(_ text: String, csv: Bool = false) throws(TuningDataset.Invalid) -> TuningDataset {
        try TuningDataset.parse(Array(text.utf8), csv: csv, file: "data")
    }

    func problems(_ text: String, csv: Bool = false) -> [String] {
        do {
            _ = try parse(text, csv: csv)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test("JSONL in seed 003's names and OpenAI's chat form; CSV with quoted fields across lines")
    func readsBothFormats() throws {
        let jsonl = try parse(#"{"text_input": "1", "output": "2"}"# + "\n\n" + #"{"messages": [{"role": "system", "content": "count"}, {"role": "user", "content": "3"}, {"role": "assistant", "content": "4"}]}"# + "\n")
        #expect(jsonl.examples == [TuningExample(input: "1", output: "2"), TuningExample(input: "3", output: "4", system: "count")])
        #expect(jsonl.lines == [1, 3])
        let csv = try parse("text_input,output\n\"one, two\",three\n\"multi\nline\",\"say \"\"hi\"\"\"\n", csv: true)
        #expect(csv.examples == [TuningExample(input: "one, two", output: "three"), TuningExample(input: "multi\nline", output: "say \"hi\"")])
        #expect(csv.lines == [2, 3])
        let openAI = String(decoding: jsonl.openAIJSONL(), as: UTF8.self).split(separator: "\n")
        #expect(openAI.count == 2)
        #expect(openAI[1].contains(#""role":"system""#))
    }

    @Test("empty, missing fields, not JSON, not UTF-8, bad CSV, too few for OpenAI, too long for Gemini: each names its line")
    func problemsWithLines() throws {
        #expect(problems("") == ["the dataset has no examples"])
        #expect(problems("\n  \n") == ["the dataset has no examples"])
        #expect(problems(#"{"text_input": "1"}"# + "\n" + #"{"output": "2"}"# + "\nnot json\n") == [
            "line 1: missing \"output\" (a string)", "line 2: missing \"text_input\" (a string; or \"messages\")", "line 3: not a JSON object",
        ])
        var bytes = Array(#"{"text_input": "1", "output": "2"}"#.utf8) + [0x0a] + Array(#"{"text_input": ""#.utf8) + [0xff, 0xfe] + Array(#"", "output": "x"}"#.utf8)
        do {
            _ = try TuningDataset.parse(bytes, csv: false, file: "data")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["line 2: not valid UTF-8"])
        }
        bytes = []
        #expect(problems("prompt,answer\n1,2\n", csv: true).first?.contains("header row") == true)
        #expect(problems("input,output\n1,2,3\n\"open,4\n", csv: true) == ["line 2: 3 field(s), the header has 2", "line 3: a quoted field is never closed"])
        let small = try parse(#"{"text_input": "1", "output": "2"}"#)
        #expect(throws: TuningDataset.Invalid.self) { try small.check(for: .openai, file: "data") }
        let long = try parse(#"{"text_input": "1", "output": "\#(String(repeating: "x", count: 5001))"}"#)
        do {
            try long.check(for: .gemini, file: "data")
            Issue.record("an output over 5,000 characters was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["line 1: the output is 5001 characters, over Gemini's 5,000"])
        }
        let folder = try TemporaryFolder()
        try folder.write("big.jsonl", String(repeating: #"{"text_input": "1", "output": "2"}"# + "\n", count: 100))
        #expect(throws: TuningDataset.Invalid.self) { try TuningDataset.load(path: folder.path + "/big.jsonl", maxBytes: 1000) }
        try folder.write("data.txt", "x")
        #expect(throws: TuningDataset.Invalid.self) { try TuningDataset.load(path: folder.path + "/data.txt") }
    }
}
