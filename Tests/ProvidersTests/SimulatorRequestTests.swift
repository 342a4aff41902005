import Crypto
import Foundation
import Providers
import ProviderSimulator
import Testing

/// The simulator's own fidelity: what it records of each request, the request shapes it accepts
/// (the SDKs' mixed casing), what it rejects as the real APIs do, tools, candidates and limits.
@Suite("Provider simulator: requests", .timeLimit(.minutes(1)))
struct SimulatorRequestTests {
    static let once = RetryPolicy(maxAttempts: 1)

    /// A raw POST to the simulator; returns status and parsed JSON body.
    func post(_ simulator: ProviderSimulator, _ engine: CurlEngine, _ path: String, headers: [(name: String, value: String)], _ body: String) async throws -> (Int, [String: Any]) {
        let response = try await engine.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(simulator.port)\(path)",
                                                            headers: headers + [("content-type", "application/json")], body: Array(body.utf8)))
        let bytes = try await response.collect()
        return (response.head.status, (try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) as? [String: Any] ?? [:])
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("the log records parts with byte counts and SHA-256, system instruction, generation config and safety settings")
    func recordsWhatArrived() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let image = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var parameters = GenerationParameters()
        parameters.temperature = 0.25
        parameters.topK = 40
        parameters.maxOutputTokens = 64
        parameters.stopSequences = ["END"]
        let request = ChatRequest(
            model: "gemini-2.0-flash", messages: [ChatMessage(role: .user, parts: [.text("What is this?"), .inlineData(mimeType: "image/png", bytes: image)])],
            systemInstruction: "Be brief.", parameters: parameters,
            safetySettings: [try SafetySetting(category: "HARASSMENT", threshold: "BLOCK_ONLY_HIGH"), try SafetySetting(category: "dangerous", threshold: "block_none")])
        let gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: Self.once)
        #expect(try await gemini.complete(request).text == "received 2 part(s): text(13), image/png(5000)")

        let received = try #require(simulator.log.requests.last)
        #expect(received.api == .gemini && received.model == "gemini-2.0-flash" && !received.stream)
        #expect(received.parts.map(\.kind) == ["text", "inline"])
        #expect(received.parts[1].mimeType == "image/png" && received.parts[1].byteCount == 5000)
        #expect(received.parts[1].sha256 == Self.sha256(image))
        #expect(received.parts[0].sha256 == Self.sha256(Array("What is this?".utf8)))
        #expect(received.systemInstruction == "Be brief.")
        #expect(received.safetySettings == ["HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH", "HARM_CATEGORY_DANGEROUS_CONTENT": "BLOCK_NONE"])
        let config = try #require(try JSONSerialization.jsonObject(with: Data(received.parameters.utf8)) as? [String: Any])
        #expect(config["temperature"] as? Double == 0.25 && config["topK"] as? Int == 40 && config["maxOutputTokens"] as? Int == 64)
        #expect(config["stopSequences"] as? [String] == ["END"])

        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)
        let openAIRequest = ChatRequest(model: "gpt-4o", messages: [ChatMessage(role: .user, parts: [.inlineData(mimeType: "audio/wav", bytes: image)])],
                                        systemInstruction: "Be brief.", parameters: parameters)
        _ = try await openAI.complete(openAIRequest)
        let openAIReceived = try #require(simulator.log.requests.last)
        #expect(openAIReceived.api == .openAI && openAIReceived.parts.first?.mimeType == "audio/wav")
        #expect(openAIReceived.parts.first?.sha256 == Self.sha256(image))
        #expect(openAIReceived.systemInstruction == "Be brief.")
        let openAIParameters = try #require(try JSONSerialization.jsonObject(with: Data(openAIReceived.parameters.utf8)) as? [String: Any])
        #expect(openAIParameters["temperature"] as? Double == 0.25 && openAIParameters["max_completion_tokens"] as? Int == 64)

        // The same log over HTTP, for tools outside the process.
        let listing = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(simulator.port)/_simulator/requests"))
        let decoded = try JSONDecoder().decode([ReceivedRequest].self, from: Data(try await listing.collect()))
        #expect(decoded == simulator.log.requests)
        engine.shutdown()
        await simulator.close()
    }

    @Test("Gemini requests in the SDKs' mixed casing are accepted; unknown fields are refused as Google refuses them")
    func geminiCasing() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let key = [(name: "x-goog-api-key", value: "sim-gemini-key")]
        // As google-genai 3.x sends it: snake_case inside inlineData and thinkingConfig, topK as a float, under /v1.
        let body = #"{"contents": [{"parts": [{"text": "hi"}, {"inlineData": {"data": "iVBORw0KGgpmYWtl", "mime_type": "image/png"}}], "role": "user"}], "system_instruction": {"parts": [{"text": "be brief"}], "role": "user"}, "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}], "generation_config": {"temperature": 0.2, "topK": 40.0, "candidate_count": 1, "thinkingConfig": {"thinking_budget": 0}}}"#
        let (status, answer) = try await post(simulator, engine, "/v1/models/gemini-2.0-flash:generateContent", headers: key, body)
        #expect(status == 200)
        let candidate = try #require((answer["candidates"] as? [[String: Any]])?.first)
        #expect(candidate["finishReason"] as? String == "STOP")
        #expect(answer["usageMetadata"] != nil && answer["usage_metadata"] == nil)
        let received = try #require(simulator.log.requests.last)
        #expect(received.parts.last?.mimeType == "image/png" && received.parts.last?.byteCount == 12)
        #expect(received.systemInstruction == "be brief")
        #expect(received.parameters.contains(#""thinkingBudget":0"#) && received.parameters.contains(#""candidateCount":1"#))

        let (unknownStatus, unknown) = try await post(simulator, engine, "/v1beta/models/m:generateContent", headers: key,
                                                      #"{"contents": [{"parts": [{"text": "hi"}]}], "stream": true}"#)
        #expect(unknownStatus == 400)
        #expect(((unknown["error"] as? [String: Any])?["message"] as? String)?.contains(#"Unknown name "stream""#) == true)
        let (configStatus, _) = try await post(simulator, engine, "/v1beta/models/m:generateContent", headers: key,
                                               #"{"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"max_tokens": 5}}"#)
        #expect(configStatus == 400)
        // Function arguments are data: their keys are not renamed.
        let (argsStatus, _) = try await post(simulator, engine, "/v1beta/models/m:generateContent", headers: key,
                                             #"{"contents": [{"role": "model", "parts": [{"function_call": {"name": "f", "args": {"snake_key": 1}}}]}, {"role": "user", "parts": [{"function_response": {"name": "f", "response": {"the_result": 2}}}]}]}"#)
        #expect(argsStatus == 200)
        #expect(simulator.log.requests.last?.parts.first?.text == #"{"the_result":2}"#)
        engine.shutdown()
        await simulator.close()
    }

    @Test("what the real APIs reject is rejected with their error shapes", arguments: [
        // Gemini
        ("gemini", #"{"contents": [{"parts": [{"inlineData": {"mimeType": "application/zip", "data": "AAAA"}}]}]}"#, 400, "Unsupported MIME type: application/zip"),
        ("gemini", #"{"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "not base64!"}}]}]}"#, 400, "Base64 decoding failed"),
        ("gemini", #"{"contents": [{"parts": [{"text": "x"}]}], "safetySettings": [{"category": "HARASSMENT", "threshold": "BLOCK_NONE"}]}"#, 400, "safety_settings[0].category"),
        ("gemini", #"{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"temperature": 3}}"#, 400, "temperature value of 3"),
        ("gemini", #"{"contents": []}"#, 400, "contents is not specified"),
        ("gemini", #"{"contents": "#, 400, "Invalid JSON payload"),
        // OpenAI
        ("openai", #"{"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AAAA"}}]}]}"#, 400, "unsupported image"),
        ("openai", #"{"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"format": "ogg", "data": "AAAA"}}]}]}"#, 400, "Supported values are: 'wav' and 'mp3'"),
        ("openai", #"{"model": "m", "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": "data:application/zip;base64,AAAA"}}]}]}"#, 400, "application/pdf"),
        ("openai", #"{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}"#, 400, "Invalid value: 'wizard'"),
        ("openai", #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 2.5}"#, 400, "Invalid 'temperature'"),
        ("openai", #"{"model": "m"}"#, 400, "Missing required parameter: 'messages'"),
    ])
    func rejections(_ api: String, _ body: String, _ status: Int, _ message: String) async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let (path, headers) = api == "gemini"
            ? ("/v1beta/models/gemini-2.0-flash:generateContent", [(name: "x-goog-api-key", value: "sim-gemini-key")])
            : ("/v1/chat/completions", [(name: "authorization", value: "Bearer sim-openai-key")])
        let (answerStatus, answer) = try await post(simulator, engine, path, headers: headers, body)
        #expect(answerStatus == status)
        let error = try #require(answer["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains(message) == true, "\(error)")
        if api == "gemini" {
            #expect(error["status"] as? String == "INVALID_ARGUMENT" && error["code"] as? Int == 400)
        } else {
            #expect(error["type"] as? String == "invalid_request_error")
        }
        #expect(simulator.log.requests.isEmpty, "a rejected request is not logged as answered")
        engine.shutdown()
        await simulator.close()
    }

    @Test("tools: OpenAI streams the call in fragments merged by index; Gemini answers a functionCall; a tool result is quoted back")
    func tools() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let tool = ToolDefinition(name: "get_weather", description: "Weather of a city",
                                  parameters: #"{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city", "days"]}"#)
        let request = ChatRequest(model: "gpt-4o", messages: [.text(.user, "Weather in Paris?")], tools: [tool])
        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)

        let complete = try await openAI.complete(request)
        #expect(complete.parts == [.toolCall(id: "call_sim_0", name: "get_weather", arguments: #"{"city":"sim","days":1}"#)])
        #expect(complete.finishReason?.kind == .toolCalls)
        var accumulator = ToolCallAccumulator()
        var fragments = 0
        for try await event in openAI.stream(request) {
            if case .toolCallDelta(let index, let id, let name, let arguments) = event {
                accumulator.add(index: index, id: id, name: name, arguments: arguments)
                fragments += 1
            }
        }
        #expect(fragments >= 3, "arguments arrive in several fragments")
        #expect(accumulator.toolCalls == complete.parts)

        let followUp = ChatRequest(model: "gpt-4o", messages: [
            .text(.user, "Weather in Paris?"), ChatMessage(role: .assistant, parts: complete.parts),
            ChatMessage(role: .tool, parts: [.toolResult(id: "call_sim_0", name: "get_weather", content: "sunny, 21 C")]),
        ], tools: [tool])
        #expect(try await openAI.complete(followUp).text == "received tool result: sunny, 21 C")

        let gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: Self.once)
        let geminiCall = try await gemini.complete(request)
        guard case .toolCall(_, let name, let arguments) = try #require(geminiCall.parts.first) else {
            Issue.record("Gemini answered \(geminiCall.parts) instead of a function call")
            return
        }
        #expect(name == "get_weather" && arguments == #"{"city":"sim","days":1}"#)
        #expect(simulator.log.requests.last?.toolNames == ["get_weather"])
        engine.shutdown()
        await simulator.close()
    }

    @Test("candidates, token limits, Azure deployments and the non-SSE Gemini stream")
    func shapes() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let openAIKey = [(name: "authorization", value: "Bearer sim-openai-key")]
        let (_, two) = try await post(simulator, engine, "/v1/chat/completions", headers: openAIKey,
                                      #"{"model": "m", "n": 2, "messages": [{"role": "user", "content": "hi"}]}"#)
        let choices = try #require(two["choices"] as? [[String: Any]])
        #expect(choices.count == 2)
        #expect((choices[1]["message"] as? [String: Any])?["content"] as? String == "(candidate 2) received 1 part(s): text(2)")

        var parameters = GenerationParameters()
        parameters.maxOutputTokens = 2
        let limited = ChatRequest(model: "m", messages: [.text(.user, "hi")], parameters: parameters)
        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)
        let cut = try await openAI.complete(limited)
        #expect(cut.text == "received 1" && cut.finishReason?.kind == .length)
        let gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: Self.once)
        let geminiCut = try await gemini.complete(limited)
        #expect(geminiCut.text == "received 1" && geminiCut.finishReason?.raw == "MAX_TOKENS")

        let azure = OpenAIProvider(endpoint: .azure(endpoint: "http://127.0.0.1:\(simulator.port)", deployment: "my-gpt", apiVersion: "2024-10-21"),
                                   apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)
        #expect(try await azure.complete(ChatRequest(model: "gpt-4o", messages: [.text(.user, "hi")])).text == "received 1 part(s): text(2)")
        #expect(simulator.log.requests.last?.api == .azure)
        let missing = OpenAIProvider(endpoint: .azure(endpoint: "http://127.0.0.1:\(simulator.port)", deployment: "missing", apiVersion: "2024-10-21"),
                                     apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)
        await #expect { try await missing.complete(ChatRequest(model: "gpt-4o", messages: [.text(.user, "hi")])) } throws: {
            ($0 as? ProviderError)?.code == .notFound
        }
        let wrongKey = OpenAIProvider(endpoint: .azure(endpoint: "http://127.0.0.1:\(simulator.port)", deployment: "d", apiVersion: "2024-10-21"),
                                      apiKey: Secret("nope"), engine: engine, retry: Self.once)
        await #expect { try await wrongKey.complete(ChatRequest(model: "gpt-4o", messages: [.text(.user, "hi")])) } throws: {
            ($0 as? ProviderError)?.code == .unauthenticated
        }

        // Without alt=sse Gemini streams one JSON array, written piece by piece.
        let response = try await engine.execute(HTTPRequest(
            method: "POST", url: "http://127.0.0.1:\(simulator.port)/v1beta/models/m:streamGenerateContent",
            headers: [("x-goog-api-key", "sim-gemini-key")], body: Array(#"{"contents": [{"parts": [{"text": "hi"}]}]}"#.utf8)))
        let array = try #require(try JSONSerialization.jsonObject(with: Data(try await response.collect())) as? [[String: Any]])
        let text = array.compactMap { (($0["candidates"] as? [[String: Any]])?.first?["content"] as? [String: Any])?["parts"] as? [[String: Any]] }
            .compactMap { $0.first?["text"] as? String }.joined()
        #expect(text == "received 1 part(s): text(2)")
        engine.shutdown()
        await simulator.close()
    }
}
