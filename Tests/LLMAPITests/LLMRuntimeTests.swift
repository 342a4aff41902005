import Crypto
import Foundation
import InferWireCore
import InferenceService
import LLMAPI
import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire
import Providers
import ProviderSimulator
import TestSupport
import Testing

/// Seldon's LLM API runtime end to end: binary client → InferWire → provider simulator, over
/// loopback sockets, with the seeds' model settings and requests. Every test asserts what the
/// simulator received upstream.
@Suite("LLM API runtime", .timeLimit(.minutes(2)))
struct LLMRuntimeTests {
    static let geminiSeed = #"{"name": "gemini-chat-completions", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash", "model_type": "chat.completions", "llm_parameters": {"generation_config": {"temperature": 0.7}, "safety_settings": {"HARASSMENT": "BLOCK_LOW_AND_ABOVE"}, "system_instruction": "You are a cat, your name is Neko"}}}}}"#
    static let openAISeed = #"{"name": "openai-chat-completions", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "gpt-3.5-turbo", "model_type": "chat.completions", "llm_parameters": {"system": "Be brief.", "temperature": 0.2}}}}}"#
    static let promptSeed = #"{"name": "gemini-prompt-chat-completions", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash", "model_type": "chat.completions"}, "prompt_utils": {"prompt_options": {"uri": "code.jinja"}}}}}"#

    /// A server over a repository of `models` (folder → files) with the simulator standing in
    /// for both providers; the body runs with a connected client.
    static func withServer(
        _ models: [String: [String: String]], chunkDelay: Int64 = 0,
        _ body: (InferWireClient, ProviderSimulator, InferWireServer) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        for (model, files) in models {
            for (name, text) in files { try folder.write("\(model)/\(name)", text) }
        }
        let simulator = try await ProviderSimulator.start(configuration: .init(chunkDelayMilliseconds: chunkDelay))
        let engine = CurlEngine()
        let llm = LLMEnvironment(engine: engine, environment: [:], simulator: .init(baseURL: "http://127.0.0.1:\(simulator.port)"),
                                 retry: RetryPolicy(maxAttempts: 1))
        var runtimes = RuntimeFactory.builtIn
        LLMRuntime.register(in: &runtimes, environment: llm)
        do {
            try await LoopbackServer.with(repository: folder.path, runtimes: runtimes) { client, server in
                try await body(client, simulator, server)
            }
        } catch {
            engine.shutdown()
            await simulator.close()
            throw error
        }
        engine.shutdown()
        await simulator.close()
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("Vertex AI (seed 001): project/location path with OAuth, a gs:// video as file_data with video_metadata, safety with a method")
    func vertexFileData() async throws {
        let settings = #"{"name": "vertex", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-pro", "vertex_project": "my-proj", "vertex_location": "us-central1", "llm_parameters": {"video_metadata": {"start_offset": "1s", "endOffset": "5s"}, "safety_settings": [{"category": "HARASSMENT", "threshold": "BLOCK_ONLY_HIGH", "method": "SEVERITY"}]}}}}}"#
        try await Self.withServer(["vertex": ["model-settings.json": settings]]) { client, simulator, _ in
            let response = try await client.infer(Tensors.chat("vertex", [
                Tensors.text("role", ["user"]),
                Tensors.text("content", ["gs://cloud-samples-data/video/animals.mp4", "What is in the video?"], shape: [1, 2]),
                Tensors.text("type", ["video/mp4", "text"], shape: [1, 2]),
            ]))
            #expect(try Tensors.strings(response, "content") == ["received 2 part(s): file, text(21)"])
            let upstream = try #require(simulator.log.requests.last)
            #expect(upstream.path == "/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-1.5-pro:generateContent")
            #expect(upstream.parts[0].kind == "file" && upstream.parts[0].mimeType == "video/mp4")
            #expect(upstream.parts[0].text == "gs://cloud-samples-data/video/animals.mp4")
            #expect(upstream.parts[0].videoMetadata == #"{"endOffset":"5s","startOffset":"1s"}"#)
            #expect(upstream.safetySettings == ["HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"])
            #expect(upstream.safetyMethods == ["HARM_CATEGORY_HARASSMENT": "SEVERITY"])
        }
        // The Developer API has no safety method: Google's own refusal, as the simulator gives it.
        let developer = #"{"name": "dev", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-pro", "llm_parameters": {"safety_settings": {"HARASSMENT": {"threshold": "BLOCK_ONLY_HIGH", "method": "SEVERITY"}}}}}}}"#
        try await Self.withServer(["dev": ["model-settings.json": developer]]) { client, _, _ in
            await #expect { try await client.infer(Tensors.chat("dev", [Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"])])) } throws: { error in
                "\(error)".contains("Unknown name \"method\"")
            }
        }
    }

    @Test("seed: one Gemini message; model llm_parameters reach Gemini with full safety names; outputs as Seldon's")
    func geminiSingleMessage() async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed]]) { client, simulator, _ in
            let response = try await client.infer(Tensors.chat("gemini-chat-completions", [
                Tensors.text("role", ["user"]), Tensors.text("content", ["Hello from MLServer!"]), Tensors.text("type", ["text"]),
            ]))
            #expect(response.modelName == "gemini-chat-completions" && !response.id.isEmpty)
            #expect(try Tensors.strings(response, "role") == ["assistant"])
            #expect(try Tensors.strings(response, "content") == ["received 1 part(s): text(20)"])
            #expect(try Tensors.strings(response, "type") == ["text"])
            for output in response.outputs {
                #expect(output.shape == [1, 1] && output.datatype == "BYTES" && output.parameters["content_type"] == .string("str"))
            }
            // output_all as seed 000 prints it: snake_case, enum numbers, Python's separators.
            let ratings = [8, 10, 7, 9].map { #"{"category": \#($0), "probability": 1, "blocked": false}"# }.joined(separator: ", ")
            #expect(try Tensors.strings(response, "output_all") == [
                #"{"candidates": [{"content": {"parts": [{"text": "received 1 part(s): text(20)"}], "role": "model"}, "finish_reason": 1, "safety_ratings": ["#
                    + ratings + #"], "token_count": 0, "grounding_attributions": []}], "usage_metadata": {"prompt_token_count": 8, "candidates_token_count": 4, "total_token_count": 12, "cached_content_token_count": 0}}"#,
            ])
            #expect(response.parameters["finish_reason"] == .string("STOP"))
            #expect(response.parameters["total_tokens"] == .int64(12))

            let upstream = try #require(simulator.log.requests.last)
            #expect(upstream.api == .gemini && upstream.model == "gemini-1.5-flash")
            #expect(upstream.systemInstruction == "You are a cat, your name is Neko")
            #expect(upstream.safetySettings == ["HARM_CATEGORY_HARASSMENT": "BLOCK_LOW_AND_ABOVE"])
            #expect(try Self.json(upstream.parameters)["temperature"] as? Double == 0.7)
            #expect(upstream.parts.map(\.text) == ["Hello from MLServer!"])
            // The provider's own JSON, when asked for.
            var raw = Tensors.chat("gemini-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("content", ["Hi"]), Tensors.text("type", ["text"])])
            raw.parameters["output_all_format"] = .string("provider")
            let provider = try Self.json(try Tensors.strings(try await client.infer(raw), "output_all")[0])
            #expect((provider["usageMetadata"] as? [String: Any])?["totalTokenCount"] as? Int == 12)
        }
    }

    @Test("seed: request llm_parameters deep-merge over the model's; short safety names become HARM_CATEGORY_*")
    func requestParameters() async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed], "openai": ["model-settings.json": Self.openAISeed]]) { client, simulator, _ in
            let parameters = #"{"generation_config": {"top_k": 40, "max_output_tokens": 50}, "safety_settings": {"HATE": "BLOCK_NONE", "HARASSMENT": "BLOCK_NONE", "SEXUAL": "BLOCK_NONE", "DANGEROUS": "BLOCK_NONE"}}"#
            _ = try await client.infer(Tensors.chat("gemini-chat-completions", [
                Tensors.text("role", ["user"]), Tensors.text("content", ["Where is the best place to nap?"]), Tensors.text("type", ["text"]),
            ], parameters: ["content_type": .string("gemini"), "llm_parameters": .string(parameters)]))
            let upstream = try #require(simulator.log.requests.last)
            let config = try Self.json(upstream.parameters)
            #expect(config["temperature"] as? Double == 0.7, "the model's value stays")
            #expect(config["topK"] as? Int == 40 && config["maxOutputTokens"] as? Int == 50, "the request's are added")
            #expect(upstream.safetySettings == [
                "HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE", "HARM_CATEGORY_HARASSMENT": "BLOCK_NONE",
                "HARM_CATEGORY_SEXUALLY_EXPLICIT": "BLOCK_NONE", "HARM_CATEGORY_DANGEROUS_CONTENT": "BLOCK_NONE",
            ])
            #expect(upstream.systemInstruction == "You are a cat, your name is Neko")

            // Other spellings of the same field or category replace the model's, never add to them.
            _ = try await client.infer(Tensors.chat("gemini-chat-completions", [
                Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"]),
            ], parameters: ["llm_parameters": .string(#"{"safety_settings": {"HARM_CATEGORY_HARASSMENT": "BLOCK_NONE"}}"#)]))
            let respelled = try #require(simulator.log.requests.last)
            #expect(respelled.safetySettings == ["HARM_CATEGORY_HARASSMENT": "BLOCK_NONE"])

            // OpenAI: the request's temperature wins, the model's system prompt leads the messages.
            _ = try await client.infer(Tensors.chat("openai-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"])],
                                                 parameters: ["llm_parameters": .string(#"{"temperature": 0.9, "max_tokens": 30}"#)]))
            let openAI = try #require(simulator.log.requests.last)
            #expect(openAI.api == .openAI && openAI.model == "gpt-3.5-turbo" && openAI.systemInstruction == "Be brief.")
            let fields = try Self.json(openAI.parameters)
            #expect(fields["temperature"] as? Double == 0.9 && fields["max_tokens"] as? Int == 30)
        }
    }

    @Test("seed: the prompt template renders the tensors (numbers accepted) into the user message, as Jinja2 renders it")
    func promptTemplate() async throws {
        let template = "Write a python code which returns the {{ A[0] }}-th number of the fibonacci sequence.\n"
        try await Self.withServer(["prompt": ["model-settings.json": Self.promptSeed, "code.jinja": template]]) { client, simulator, _ in
            var request = Tensors.chat("gemini-prompt-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("A", ["5"])])
            _ = try await client.infer(request)
            #expect(simulator.log.requests.last?.parts.first?.text == "Write a python code which returns the 5-th number of the fibonacci sequence.")
            // An INT64 tensor is a number for the template.
            var number = ModelInferRequest.InferInputTensor(name: "A", datatype: "INT64", shape: [1])
            number.contents = InferTensorContents()
            number.contents?.int64Contents = [7]
            request.inputs[1] = number
            _ = try await client.infer(request)
            #expect(simulator.log.requests.last?.parts.first?.text == "Write a python code which returns the 7-th number of the fibonacci sequence.")
        }
    }

    @Test("seed: image and audio as raw bytes reach the provider byte for byte (SHA-256), both providers")
    func media() async throws {
        // Media carry their format's signature (the runtime checks it): JPEG's marker, an ID3 tag.
        let image = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let audio = Array("ID3".utf8) + (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed], "openai": ["model-settings.json": Self.openAISeed]]) { client, simulator, _ in
            for model in ["gemini-chat-completions", "openai-chat-completions"] {
                for (bytes, type) in [(image, "image/jpeg"), (audio, "audio/mp3")] {
                    let response = try await client.infer(Tensors.chat(model, [
                        Tensors.text("role", ["user"]),
                        Tensors.bytesInput("content", [Array("Describe what you see!".utf8), bytes], shape: [1, 2]),
                        Tensors.text("type", ["text", type], shape: [1, 2]),
                    ]))
                    #expect(try Tensors.strings(response, "content") == ["received 2 part(s): text(22), \(type)(\(bytes.count))"])
                    let part = try #require(simulator.log.requests.last?.parts.last)
                    #expect(part.mimeType == type && part.byteCount == bytes.count)
                    #expect(part.sha256 == ReceivedPartHash.sha256(bytes), "\(model) \(type)")
                }
            }
        }
    }

    @Test("seed: multi-turn with JSON-encoded elements keeps roles and order")
    func multiTurn() async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed], "openai": ["model-settings.json": Self.openAISeed]]) { client, simulator, _ in
            for model in ["gemini-chat-completions", "openai-chat-completions"] {
                let response = try await client.infer(Tensors.chat(model, [
                    Tensors.text("role", ["user", "assistant", "user"]),
                    Tensors.text("content", [#"["Hello from MLServer!"]"#, #"["Hello! How can I help you today? Meow!"]"#, #"["Can you tell me how the weather is like in London?"]"#]),
                    Tensors.text("type", [#"["text"]"#, #"["text"]"#, #"["text"]"#]),
                ]))
                #expect(try Tensors.strings(response, "content") == ["received 1 part(s): text(50)"])
                let upstream = try #require(simulator.log.requests.last)
                // OpenAI gets the model's system prompt as an extra first message.
                #expect(upstream.messageCount == (model.hasPrefix("openai") ? 4 : 3))
            }
        }
    }

    @Test("streaming: deltas as they arrive, then a final message with the whole answer, output_all and usage")
    func streaming() async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed], "openai": ["model-settings.json": Self.openAISeed]]) { client, _, _ in
            for model in ["gemini-chat-completions", "openai-chat-completions"] {
                var deltas: [String] = []
                var final: ModelInferResponse?
                for try await message in client.streamInfer(Tensors.chat(model, [Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"])])) {
                    let response = try #require(message.inferResponse, "\(message.errorMessage)")
                    if response.parameters["final"] == .bool(true) {
                        final = response
                    } else {
                        #expect(final == nil, "nothing after the final message")
                        deltas.append(contentsOf: try Tensors.strings(response, "content"))
                    }
                }
                #expect(deltas.count == 4 && deltas.joined() == "received 1 part(s): text(2)", "\(model): \(deltas)")
                let last = try #require(final)
                #expect(try Tensors.strings(last, "content") == ["received 1 part(s): text(2)"])
                #expect(last.parameters["completion_tokens"] == .int64(4))
                let events = try #require(try JSONSerialization.jsonObject(with: Data(try Tensors.strings(last, "output_all")[0].utf8)) as? [Any])
                #expect(events.count >= 4, "output_all lists the provider's stream events")
            }
        }
    }

    @Test("cancelling a stream cancels the upstream request: the simulator sees its answer abandoned")
    func cancellation() async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed]], chunkDelay: 1000) { client, simulator, _ in
            let task = Task {
                for try await _ in client.streamInfer(Tensors.chat("gemini-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"])])) {
                    break  // the first delta: walk away
                }
            }
            _ = await task.result
            let deadline = ContinuousClock.now + .seconds(10)
            while simulator.log.abandonedResponses == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(simulator.log.abandonedResponses == 1)
        }
    }

    @Test("tool calls come back as a tool_calls tensor in OpenAI's shape; n candidates give n rows")
    func toolsAndCandidates() async throws {
        try await Self.withServer(["openai": ["model-settings.json": Self.openAISeed]]) { client, simulator, _ in
            let tools = #"{"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]}"#
            let response = try await client.infer(Tensors.chat("openai-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("content", ["weather?"]), Tensors.text("type", ["text"])],
                                                            parameters: ["llm_parameters": .string(tools)]))
            let calls = try #require(try JSONSerialization.jsonObject(with: Data(try Tensors.strings(response, "tool_calls")[0].utf8)) as? [[String: Any]])
            #expect(calls.first?["type"] as? String == "function")
            #expect((calls.first?["function"] as? [String: Any])?["name"] as? String == "get_weather")
            #expect(response.parameters["finish_reason"] == .string("tool_calls"))
            #expect(simulator.log.requests.last?.toolNames == ["get_weather"])

            let two = try await client.infer(Tensors.chat("openai-chat-completions", [Tensors.text("role", ["user"]), Tensors.text("content", ["hi"]), Tensors.text("type", ["text"])],
                                                       parameters: ["llm_parameters": .string(#"{"n": 2}"#)]))
            #expect(try Tensors.strings(two, "content") == ["received 1 part(s): text(2)", "(candidate 2) received 1 part(s): text(2)"])
            #expect(two.outputs.first { $0.name == "content" }?.shape == [2, 1])
            #expect(try Tensors.strings(two, "role") == ["assistant", "assistant"])
        }
    }

    @Test("bad input: a clear INVALID_ARGUMENT naming tensor and element, and nothing sent upstream", arguments: [
        ("no content", [Tensors.text("role", ["user"])], [String: InferParameter](), "no \"content\" tensor"),
        ("counts", [Tensors.text("role", ["user"]), Tensors.text("content", ["a", "b"], shape: [1, 2]), Tensors.text("type", ["text"])], [:], "content has 2 element(s) but type has 1"),
        ("role", [Tensors.text("role", ["wizard"]), Tensors.text("content", ["a"]), Tensors.text("type", ["text"])], [:], "\"wizard\" is not a role"),
        ("turns", [Tensors.text("role", ["user", "assistant"]), Tensors.text("content", ["[\"a\"]"]), Tensors.text("type", ["[\"text\"]"])], [:], "role has 2 elements but content has 1"),
        ("json", [Tensors.text("role", ["user", "assistant"]), Tensors.text("content", ["[\"a\"]", "not json"]), Tensors.text("type", ["[\"text\"]", "[\"text\"]"])], [:], "content, element 1"),
        ("mime", [Tensors.text("role", ["user"]), Tensors.text("content", ["a", "b"], shape: [1, 2]), Tensors.text("type", ["text", "application/zip"], shape: [1, 2])], [:], "gemini does not accept application/zip"),
        ("utf8", [Tensors.text("role", ["user"]), Tensors.bytesInput("content", [[0xff, 0xfe]]), Tensors.text("type", ["text"])], [:], "tensor 'content': element 0 is not UTF-8"),
        ("params", [Tensors.text("role", ["user"]), Tensors.text("content", ["a"]), Tensors.text("type", ["text"])], ["llm_parameters": .string(#"{"generation_config": {"temprature": 1}}"#)], "temprature is not a Gemini GenerationConfig field"),
        ("safety", [Tensors.text("role", ["user"]), Tensors.text("content", ["a"]), Tensors.text("type", ["text"])], ["llm_parameters": .string(#"{"safety_settings": {"SPAM": "BLOCK_NONE"}}"#)], "unknown safety category 'SPAM'"),
        ("provider", [Tensors.text("role", ["user"]), Tensors.text("content", ["a"]), Tensors.text("type", ["text"])], ["content_type": .string("openai")], "does not match this model's provider"),
    ])
    func badInput(_ name: String, _ inputs: [ModelInferRequest.InferInputTensor], _ parameters: [String: InferParameter], _ message: String) async throws {
        try await Self.withServer(["gemini": ["model-settings.json": Self.geminiSeed]]) { client, simulator, _ in
            do {
                _ = try await client.infer(Tensors.chat("gemini-chat-completions", inputs, parameters: parameters))
                Issue.record("\(name): accepted")
            } catch let error as InferenceError {
                #expect(error.code == .invalidArgument, "\(name): \(error)")
                #expect(error.message.contains(message), "\(name): \(error.message)")
            }
            #expect(simulator.log.requestCount == 0, "\(name): a request went upstream")
        }
    }

    @Test("oversize media is refused before any upstream call; upstream errors map to statuses without the key")
    func limitsAndUpstreamErrors() async throws {
        let small = #"{"name": "small", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash", "max_media_bytes": 1000}}}}"#
        let missing = #"{"name": "missing", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "missing"}}}}"#
        try await Self.withServer(["small": ["model-settings.json": small], "missing": ["model-settings.json": missing]]) { client, simulator, _ in
            await #expect { _ = try await client.infer(Tensors.chat("small", [
                Tensors.text("role", ["user"]), Tensors.bytesInput("content", [Array("x".utf8), [UInt8](repeating: 1, count: 1001)], shape: [1, 2]),
                Tensors.text("type", ["text", "image/png"], shape: [1, 2]),
            ])) } throws: { ($0 as? InferenceError)?.message.contains("over this model's limit of 1000") == true }
            #expect(simulator.log.requestCount == 0)
            await #expect { _ = try await client.infer(Tensors.chat("missing", [Tensors.text("role", ["user"]), Tensors.text("content", ["x"]), Tensors.text("type", ["text"])])) } throws: {
                guard let error = $0 as? InferenceError else { return false }
                return error.code == .notFound && error.message.contains("model_not_found") == false && error.message.contains("does not exist") && !error.message.contains("sim-openai-key")
            }
        }
    }

    @Test("settings are checked at load: unknown keys, providers and model types make the model UNAVAILABLE with the reason")
    func settingsErrors() async throws {
        let cases = [
            "typo": #"{"name": "typo", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "g", "modle_type": "chat.completions"}}}}"#,
            "provider": #"{"name": "provider", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "anthropic", "config": {"model_id": "c"}}}}"#,
            "type": #"{"name": "type", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "c", "model_type": "embeddings"}}}}"#,
            "escape": #"{"name": "escape", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "c"}, "prompt_utils": {"prompt_options": {"uri": "../../etc/passwd"}}}}}"#,
            "syntax": #"{"name": "syntax", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "c"}, "prompt_utils": {"prompt_options": {"uri": "bad.jinja"}}}}}"#,
            "ownkey": #"{"name": "ownkey", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "openai", "config": {"model_id": "c", "api_key_env": "INFERWIRE_TEST_UNSET_KEY"}}}}"#,
            "huge": #"{"name": "huge", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "g", "max_media_bytes": 1e19}}}}"#,
        ]
        var models = cases.mapValues { ["model-settings.json": $0] }
        models["syntax"]?["bad.jinja"] = "Hello {{ name \n"
        try await Self.withServer(models) { client, _, _ in
            let index = Dictionary(uniqueKeysWithValues: try await client.repositoryIndex().map { ($0.name, $0) })
            #expect(index["typo"]?.state == "UNAVAILABLE" && index["typo"]?.reason.contains("config.modle_type is not a known setting") == true)
            #expect(index["provider"]?.reason.contains("\"anthropic\" is not supported") == true)
            #expect(index["type"]?.reason.contains("model_type \"embeddings\" is not supported yet") == true)
            #expect(index["escape"]?.reason.contains("must be a path inside the model folder") == true)
            #expect(index["syntax"]?.reason.contains("bad.jinja") == true, "\(index["syntax"]?.reason ?? "")")
            // A model naming its own key variable never falls back to the simulator.
            #expect(index["ownkey"]?.state == "UNAVAILABLE" && index["ownkey"]?.reason.contains("INFERWIRE_TEST_UNSET_KEY") == true)
            #expect(index["huge"]?.reason.contains("max_media_bytes must be a positive number") == true)
        }
    }
}

/// SHA-256 as the simulator reports it, computed here from the bytes the client sent.
enum ReceivedPartHash {
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
