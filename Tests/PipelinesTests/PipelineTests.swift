import ConversationalMemory
import Foundation
import InferWireClient
import InferWireCore
import InferenceService
import LLMAPI
import Pipelines
import ProtoWire
import Providers
import ProviderSimulator
import TestSupport
import Testing

/// Seldon Core 2 pipelines served as models, through a real server and the binary door: the
/// chatbot (memory → LLM → memory) over SQLite against the provider simulator, streaming,
/// retries, failures, tensor maps, and pipeline files that must not load.
@Suite("Pipelines", .timeLimit(.minutes(2)))
struct PipelineTests {
    static let chatbot = """
        apiVersion: mlops.seldon.io/v1alpha1
        kind: Pipeline
        metadata:
          name: chatbot
        spec:
          steps:
            - name: chat-memory
            - name: chat-llm
              inputs:
                - chat-memory.outputs.history
            - name: chat-memory-answer
              inputs:
                - chatbot.inputs.memory_id
                - chat-llm.outputs.role
                - chat-llm.outputs.content
                - chat-llm.outputs.type
          output:
            steps:
              - chat-llm
        """

    static func memory(_ name: String, database: String) -> String {
        #"{"name": "\#(name)", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "sqlite:///\#(database)", "window_size": 50, "tensor_names": ["role", "content", "type"]}}}}"#
    }

    static let llm = #"{"name": "chat-llm", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash", "model_type": "chat.completions"}}}}"#

    /// A repository with the chatbot (its memory models share one SQLite file) plus `extra`
    /// folders, served with the simulator standing in for Gemini.
    static func withServer(
        extra: [String: [String: String]] = [:], chunkDelay: Int64 = 0,
        _ body: (InferWireClient, ProviderSimulator, InferWireServer, String) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        let database = folder.path + "/chat.db"
        var models: [String: [String: String]] = [
            "chat-memory": ["model-settings.json": memory("chat-memory", database: database)],
            "chat-memory-answer": ["model-settings.json": memory("chat-memory-answer", database: database)],
            "chat-llm": ["model-settings.json": llm],
            "chatbot": ["pipeline.yaml": chatbot],
        ]
        models.merge(extra) { $1 }
        for (model, files) in models {
            for (name, text) in files { try folder.write("\(model)/\(name)", text) }
        }
        let simulator = try await ProviderSimulator.start(configuration: .init(chunkDelayMilliseconds: chunkDelay))
        let engine = CurlEngine()
        let llm = LLMEnvironment(engine: engine, environment: [:], simulator: .init(baseURL: "http://127.0.0.1:\(simulator.port)"),
                                 retry: RetryPolicy(maxAttempts: 1))
        var runtimes = RuntimeFactory.builtIn
        LLMRuntime.register(in: &runtimes, environment: llm)
        MemoryRuntime.register(in: &runtimes)
        PipelineRuntime.register(in: &runtimes)
        do {
            try await LoopbackServer.with(repository: folder.path, runtimes: runtimes) { client, server in
                try await body(client, simulator, server, database)
            }
        } catch {
            engine.shutdown()
            await simulator.close()
            throw error
        }
        engine.shutdown()
        await simulator.close()
    }

    static func turn(_ memoryID: String, _ text: String, id: String = "", model: String = "chatbot") -> ModelInferRequest {
        var request = Tensors.chat(model, [
            Tensors.text("memory_id", [memoryID]), Tensors.text("role", ["user"]), Tensors.text("content", [text]), Tensors.text("type", ["text"]),
        ])
        request.id = id
        return request
    }

    static func history(_ client: InferWireClient, _ memoryID: String) async throws -> [String] {
        try Tensors.strings(try await client.infer(Tensors.chat("chat-memory", [Tensors.text("memory_id", [memoryID])])), "history")
    }

    @Test("the chatbot: each turn appends the question, answers from the whole window, appends the answer")
    func conversation() async throws {
        try await Self.withServer { client, simulator, _, _ in
            let memoryID = UUID().uuidString
            let first = try await client.infer(Self.turn(memoryID, "Hi! How are you doing today?"))
            #expect(first.modelName == "chatbot")
            #expect(try Tensors.strings(first, "role") == ["assistant"])
            #expect(try Tensors.strings(first, "content") == ["received 1 part(s): text(28)"])
            #expect(first.parameters["finish_reason"] == .string("STOP"))
            let second = try await client.infer(Self.turn(memoryID, "What is the capital of France?"))
            #expect(try Tensors.strings(second, "content") == ["received 1 part(s): text(30)"])
            // The LLM saw the window: question, answer, question.
            #expect(simulator.log.requests.last?.messageCount == 3)
            #expect(try await Self.history(client, memoryID) == [
                #"{"role": "user", "content": [{"type": "text", "value": "Hi! How are you doing today?"}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "received 1 part(s): text(28)"}]}"#,
                #"{"role": "user", "content": [{"type": "text", "value": "What is the capital of France?"}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "received 1 part(s): text(30)"}]}"#,
            ])
            let metadata = try await client.modelMetadata("chatbot")
            #expect(metadata.platform == "seldon-pipeline" && metadata.inputs.map(\.name) == ["memory_id"])
        }
    }

    @Test("a client retrying with the same request id appends nothing twice; without an id every call appends")
    func retries() async throws {
        try await Self.withServer { client, _, _, _ in
            let memoryID = UUID().uuidString
            for _ in 0..<3 { _ = try await client.infer(Self.turn(memoryID, "once", id: "request-1")) }
            #expect(try await Self.history(client, memoryID).count == 2)
            _ = try await client.infer(Self.turn(memoryID, "again", id: "request-2"))
            _ = try await client.infer(Self.turn(memoryID, "no id"))
            _ = try await client.infer(Self.turn(memoryID, "no id"))
            #expect(try await Self.history(client, memoryID).count == 8)
        }
    }

    @Test("a failed step fails the request with its status and names the step; a retry after the fault completes the turn once")
    func stepFailure() async throws {
        let broken = #"{"name": "chat-llm", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "missing", "model_type": "chat.completions"}}}}"#
        try await Self.withServer(extra: ["chat-llm": ["model-settings.json": broken]]) { client, _, _, _ in
            let memoryID = UUID().uuidString
            await #expect { try await client.infer(Self.turn(memoryID, "hello", id: "r1")) } throws: { error in
                let error = error as? InferenceError
                return error?.code == .notFound && error?.message.hasPrefix("pipeline chatbot, step chat-llm: ") == true
            }
            // The question was kept (the memory step ran); the same id retried does not add it again.
            let kept = try await Self.history(client, memoryID)
            #expect(kept.count == 1)
            await #expect(throws: InferenceError.self) { try await client.infer(Self.turn(memoryID, "hello", id: "r1")) }
            let after = try await Self.history(client, memoryID)
            #expect(after.count == 1)
            // A missing input names the step and the tensor.
            await #expect { try await client.infer(Tensors.chat("chatbot", [Tensors.text("memory_id", [memoryID])])) } throws: { error in
                "\(error)".contains("step chat-llm") || "\(error)".contains("step chat-memory")
            }
        }
    }

    @Test("streaming: the LLM's deltas come through as the pipeline's, then the final message; the answer step runs after it")
    func streaming() async throws {
        try await Self.withServer(chunkDelay: 5) { client, _, _, _ in
            let memoryID = UUID().uuidString
            var pieces: [String] = []
            var final: ModelInferResponse?
            for try await message in client.streamInfer(Self.turn(memoryID, "Tell me something", id: "s1")) {
                let response = try #require(message.inferResponse, "\(message.errorMessage)")
                #expect(response.modelName == "chatbot")
                if response.parameters["final"] == .bool(true) { final = response } else { pieces += try Tensors.strings(response, "content") }
            }
            #expect(pieces.joined() == "received 1 part(s): text(17)")
            #expect(pieces.count > 1)
            #expect(try Tensors.strings(try #require(final), "content") == ["received 1 part(s): text(17)"])
            #expect(try await Self.history(client, memoryID).count == 2)
        }
    }

    @Test("tensorMap renames a step's inputs and the pipeline's outputs; a step without inputs takes the request's")
    func tensorMaps() async throws {
        let renamed = """
            apiVersion: mlops.seldon.io/v1alpha1
            kind: Pipeline
            metadata: {name: renamed}
            spec:
              steps:
                - name: chat-memory
                  inputs: [renamed.inputs.conversation, renamed.inputs.role, renamed.inputs.content, renamed.inputs.type]
                  tensorMap: {renamed.inputs.conversation: memory_id}
                - name: chat-llm
                  inputs: [chat-memory]
              output:
                steps: [chat-llm.outputs]
                tensorMap: {chat-llm.outputs.content: answer}
            """
        try await Self.withServer(extra: ["renamed": ["pipeline.yaml": renamed]]) { client, simulator, _, _ in
            let memoryID = UUID().uuidString
            let request = Tensors.chat("renamed", [
                Tensors.text("conversation", [memoryID]), Tensors.text("role", ["user"]), Tensors.text("content", ["hello there"]), Tensors.text("type", ["text"]),
            ])
            let response = try await client.infer(request)
            #expect(try Tensors.strings(response, "answer") == ["received 1 part(s): text(11)"])
            #expect(response.outputs.map(\.name).contains("content") == false)
            #expect(try await Self.history(client, memoryID).count == 1)
            // chat-memory's outputs (memory_id and history) both reached the LLM, which read history.
            #expect(simulator.log.requests.last?.messageCount == 1)
        }
    }

    @Test("pipelines that cannot run are UNAVAILABLE with the reason, and the other models serve", arguments: [
        ("kind: Model\nmetadata: {name: bad}\nspec: {}", "kind must be Pipeline"),
        ("kind: Pipeline\nmetadata: {name: other}\nspec: {steps: [{name: chat-llm}]}", "metadata.name is other but the folder is bad"),
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: a, inputs: [b]}, {name: b, inputs: [a]}]}", "wait on each other (a cycle)"),
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: a, inputs: [nowhere.outputs.x]}]}", "names nowhere, which is not a step"),
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: a, triggers: [x]}]}", "triggers is not supported"),
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: a, modle: x}]}", "modle is not a step field"),
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: a}], output: {steps: [z]}}", "output.steps names z"),
        ("kind: Pipeline\nmetadata: {name: bad\nspec: [", "not valid YAML"),
        // A key that is a list: Yams.load crashed the process on it (found by FuzzSettings).
        ("kind: Pipeline\nmetadata: {name: bad}\n[spec]: {steps: [{name: a}]}", "a mapping key must be a plain value, not a list or a mapping (line 3)"),
        // A base-60 number past Int: Yams' integer construction crashed on it (found by
        // FuzzSettings); read as YAML 1.2 does, it is the step's name, a string.
        ("kind: Pipeline\nmetadata: {name: bad}\nspec: {steps: [{name: -333333333333333333:2, inputs: [nowhere.outputs.x]}]}",
         "step -333333333333333333:2: input nowhere.outputs.x names nowhere, which is not a step"),
        // Anchors nested ten deep, each used ten times: 10^10 values if expanded.
        ("kind: Pipeline\nmetadata: {name: bad}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + (1...9).map { "a\($0): &a\($0) [" + Array(repeating: "*a\($0 - 1)", count: 10).joined(separator: ", ") + "]" }.joined(separator: "\n")
            + "\nspec: {steps: [{name: a}]}", "more than 100000 values"),
    ])
    func invalid(_ yaml: String, _ reason: String) async throws {
        try await Self.withServer(extra: ["bad": ["pipeline.yaml": yaml]]) { client, _, _, _ in
            let index = try await client.repositoryIndex()
            let bad = try #require(index.first { $0.name == "bad" })
            #expect(bad.state == "UNAVAILABLE")
            #expect(bad.reason.contains(reason), "\(bad.reason)")
            #expect(index.first { $0.name == "chatbot" }?.state == "READY")
        }
    }

    @Test("a step naming a model that is not served fails at the call with NOT_FOUND naming the step")
    func unknownModel() async throws {
        let yaml = "kind: Pipeline\nmetadata: {name: ghost}\nspec: {steps: [{name: nobody}]}"
        try await Self.withServer(extra: ["ghost": ["pipeline.yaml": yaml]]) { client, _, _, _ in
            await #expect { try await client.infer(Tensors.chat("ghost", [Tensors.text("x", ["y"])])) } throws: { error in
                (error as? InferenceError)?.code == .notFound && "\(error)".contains("pipeline ghost, step nobody: model 'nobody' not found")
            }
        }
    }
}
