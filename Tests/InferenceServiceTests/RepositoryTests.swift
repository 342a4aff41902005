import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import InferWireClient
import InferWireCore
import InferWireProtocol
import InferenceService
import ProtoWire
import TestSupport
import Testing

/// The model repository on real files: MLServer's folder layout and settings, broken models
/// reported while the others serve, settings from file and environment.
@Suite("Model repository and settings")
struct RepositoryTests {
    /// A fresh temporary folder, removed when the test ends.
    @Test("every folder with a model-settings.json is a model; names default to the folder")
    func scan() throws {
        let folder = try TemporaryFolder()
        try folder.write("chat/model-settings.json", #"{"name": "chat-model", "implementation": "echo", "parameters": {"version": "3", "extra": {"provider_id": "openai", "config": {"model_id": "gpt-4o"}}}}"#)
        try folder.write("nested/deeper/unnamed/model-settings.json", #"{"implementation": "echo"}"#)
        try folder.write("broken/model-settings.json", #"{"name": "broken", "implementation": "#)
        try folder.write("noimpl/model-settings.json", #"{"name": "noimpl"}"#)
        try folder.write("notes/README.md", "not a model")
        let (models, errors) = ModelRepository(root: folder.path).scan()
        #expect(models.map(\.name) == ["chat-model", "unnamed"])
        #expect(models[0].version == "3")
        #expect(models[0].extra["provider_id"] == .string("openai"))
        #expect(models[0].extra["config"]?["model_id"] == .string("gpt-4o"))
        #expect(errors.count == 2)
        #expect(errors.contains { $0.file.hasSuffix("broken/model-settings.json") && $0.message.contains("not valid JSON") })
        #expect(errors.contains { $0.file.hasSuffix("noimpl/model-settings.json") && $0.message.contains("implementation") })
        #expect(ModelRepository(root: folder.path + "/missing").scan().errors.first?.message == "model repository folder not found")
    }

    @Test("duplicate model names: the second is reported, the first serves")
    func duplicates() throws {
        let folder = try TemporaryFolder()
        try folder.write("a/model-settings.json", #"{"name": "same", "implementation": "echo"}"#)
        try folder.write("b/model-settings.json", #"{"name": "same", "implementation": "echo"}"#)
        let (models, errors) = ModelRepository(root: folder.path).scan()
        #expect(models.count == 1)
        #expect(errors.first?.message.contains("already used") == true)
    }

    @Test("a load names a folder added after the start (as Seldon's agent adds them): found, loaded, served; an unknown name stays NOT_FOUND")
    func loadDiscovers() async throws {
        let folder = try TemporaryFolder()
        try folder.write("echo/model-settings.json", #"{"name": "echo", "implementation": "echo"}"#)
        try await LoopbackServer.with(repository: folder.path, runtimes: .builtIn) { client, _ in
            try folder.write("late/model-settings.json", #"{"name": "late", "implementation": "echo", "parameters": {"version": "2"}}"#)
            try await client.load(model: "late")
            let index = try await client.repositoryIndex()
            #expect(index.map(\.name) == ["echo", "late"] && index.map(\.state) == ["READY", "READY"])
            #expect(index[1].version == "2")
            var request = ModelInferRequest()
            request.modelName = "late"
            let answer = try await client.infer(request)
            #expect(answer.modelName == "late")
            await #expect { try await client.load(model: "never-added") } throws: { error in (error as? InferenceError)?.code == .notFound }
        }
    }

    @Test("server over a repository: a model with an unknown implementation is UNAVAILABLE with its reason, the rest serve")
    func serverOverRepository() async throws {
        let folder = try TemporaryFolder()
        try folder.write("echo/model-settings.json", #"{"name": "echo", "implementation": "echo"}"#)
        try folder.write("llm/model-settings.json", #"{"name": "llm", "implementation": "mlserver_llm_api.LLMRuntime"}"#)
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsPort = 0
        settings.modelRepositoryRoot = folder.path
        let running = try await InferWireServer.start(settings: settings)
        let port = try #require(running.server.localAddress?.port)
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: port)
        let index = try await client.repositoryIndex()
        #expect(index.map(\.name) == ["echo", "llm"])
        #expect(index.map(\.state) == ["READY", "UNAVAILABLE"])
        #expect(index[1].reason.contains("unknown implementation 'mlserver_llm_api.LLMRuntime'"))
        #expect(try await client.modelReady("echo"))
        #expect(try await !client.serverReady())
        var request = ModelInferRequest()
        request.modelName = "echo"
        #expect(try await client.infer(request).modelName == "echo")
        request.modelName = "llm"
        await #expect(throws: InferenceError.self) { try await client.infer(request) }
        request.modelName = "no-such-model-\(UInt64.random(in: 1 ... .max))"
        await #expect(throws: InferenceError.self) { try await client.infer(request) }

        // Prometheus exposition on the metrics port.
        let metricsPort = try #require(running.metricsServer?.localAddress?.port)
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"inferwire_requests_total{method="ModelInfer",model="echo",code="OK"} 1"#))
        #expect(text.contains(#"inferwire_requests_total{method="ModelInfer",model="llm",code="UNAVAILABLE"} 1"#))
        #expect(text.contains(#"inferwire_requests_total{method="ModelInfer",model="_other",code="NOT_FOUND"} 1"#))
        #expect(!text.contains("no-such-model"))
        #expect(text.contains("inferwire_request_duration_seconds"))
        #expect(text.contains("inferwire_received_bytes_total"))
        let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/other")!)
        #expect((missing as? HTTPURLResponse)?.statusCode == 404)
        await client.close()
        await running.shutdown(timeout: .seconds(2))
    }

    @Test("settings: defaults, then settings.json, then environment; bad values are named")
    func settings() throws {
        let folder = try TemporaryFolder()
        try folder.write("settings.json", #"{"host": "127.0.0.1", "binary_port": 9000, "model_repository_root": "/models", "http_port": 8080, "load_models_at_startup": false, "max_concurrent_streams": 64}"#)
        var settings = ServerSettings()
        #expect(settings.binaryPort == 8083)
        try settings.apply(file: folder.path + "/settings.json")
        #expect(settings.host == "127.0.0.1")
        #expect(settings.binaryPort == 9000)
        #expect(settings.modelRepositoryRoot == "/models")
        #expect(settings.loadModelsAtStartup == false)
        #expect(settings.maxConcurrentStreams == 64)
        try settings.apply(environment: ["MLSERVER_MODEL_REPOSITORY_ROOT": "/env-models", "INFERWIRE_BINARY_PORT": "9100", "PATH": "/bin"])
        #expect(settings.modelRepositoryRoot == "/env-models")
        #expect(settings.binaryPort == 9100)
        #expect(throws: RepositoryError(file: "environment", message: "binary_port must be a non-negative integer, got 'abc'")) {
            try settings.apply(environment: ["INFERWIRE_BINARY_PORT": "abc"])
        }
        #expect(throws: RepositoryError.self) { try settings.apply(environment: ["INFERWIRE_MAX_FRAME_SIZE": "100"]) }
        try folder.write("bad.json", "[1, 2]")
        #expect(throws: RepositoryError.self) { try settings.apply(file: folder.path + "/bad.json") }
    }

    @Test("the example repository in examples/models loads")
    func exampleRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/models").path
        let (models, errors) = ModelRepository(root: root).scan()
        #expect(errors.isEmpty)
        #expect(models.map(\.name) == ["echo", "echo-v2", "filesys-memory", "gemini-chat-completions", "gemini-prompt-chat-completions", "openai-chat-completions", "sqlite-memory"])
        #expect(models[1].version == "2")
    }
}
