import ExtrasBase64
import Foundation
import Providers
import Testing

@Suite("Gemini", .timeLimit(.minutes(1)))
struct GeminiTests {
    @Test("request: contents and roles, inlineData base64 of the raw bytes, systemInstruction, generationConfig, safety, tools")
    func request() throws {
        let image = [UInt8](repeating: 0xAB, count: 1000)
        var parameters = GenerationParameters()
        parameters.temperature = 0.5
        parameters.topK = 40
        parameters.topP = 0.9
        parameters.maxOutputTokens = 128
        parameters.candidateCount = 1
        parameters.stopSequences = ["STOP!"]
        parameters.responseMimeType = "application/json"
        let request = ChatRequest(
            model: "gemini-2.0-flash",
            messages: [
                ChatMessage(role: .user, parts: [.text("What is this?"), .inlineData(mimeType: "image/png", bytes: image)]),
                ChatMessage(role: .assistant, parts: [.text("A square.")]),
                ChatMessage(role: .user, parts: [.text("Sure?")]),
            ],
            systemInstruction: "You are terse.", parameters: parameters,
            safetySettings: [try SafetySetting(category: "HARASSMENT", threshold: "BLOCK_LOW_AND_ABOVE")],
            tools: [ToolDefinition(name: "f", description: "d", parameters: #"{"type":"object"}"#)])
        let body = try #require(try JSONSerialization.jsonObject(with: Data(GeminiFormat.body(for: request))) as? [String: Any])
        let contents = try #require(body["contents"] as? [[String: Any]])
        #expect(contents.map { $0["role"] as? String } == ["user", "model", "user"])
        let inline = try #require(((contents[0]["parts"] as? [[String: Any]])?[1]["inlineData"]) as? [String: Any])
        #expect(inline["mimeType"] as? String == "image/png")
        #expect(try (inline["data"] as? String)?.base64decoded() == image)
        #expect((((body["systemInstruction"] as? [String: Any])?["parts"] as? [[String: Any]])?.first?["text"]) as? String == "You are terse.")
        let config = try #require(body["generationConfig"] as? [String: Any])
        #expect(config["temperature"] as? Double == 0.5 && config["topK"] as? Int == 40 && config["maxOutputTokens"] as? Int == 128)
        #expect(config["responseMimeType"] as? String == "application/json")
        #expect((body["safetySettings"] as? [[String: String]]) == [["category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_LOW_AND_ABOVE"]])
        #expect(((body["tools"] as? [[String: Any]])?.first?["functionDeclarations"] as? [[String: Any]])?.first?["name"] as? String == "f")
        let system = ChatRequest(model: "m", messages: [.text(.system, "no")])
        #expect(throws: ProviderError.self) { try GeminiFormat.body(for: system) }
    }

    @Test("response: text, function calls, finish reasons, usage, block reason; errors mapped")
    func response() throws {
        let json = #"{"candidates": [{"content": {"parts": [{"text": "thinking", "thought": true}, {"text": "Paris"}, {"functionCall": {"name": "f", "args": {"a": 1}}}],"role": "model"},"finishReason": "MAX_TOKENS","index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 1,"totalTokenCount": 46}}"#
        let answer = try GeminiFormat.response(from: Array(json.utf8))
        #expect(answer.text == "Paris")
        #expect(answer.parts.contains(.toolCall(id: "call_2", name: "f", arguments: #"{"a":1}"#)))
        #expect(answer.finishReason == FinishReason(kind: .length, raw: "MAX_TOKENS"))
        #expect(answer.usage == TokenUsage(promptTokens: 11, completionTokens: 1, totalTokens: 46))
        let blocked = try GeminiFormat.response(from: Array(#"{"promptFeedback": {"blockReason": "SAFETY"}}"#.utf8))
        #expect(blocked.blockReason == "SAFETY" && blocked.parts.isEmpty)
        #expect(GeminiFormat.finishReason("SAFETY").kind == .contentFilter)
        let invalidKey = GeminiFormat.error(status: 400, body: Array(#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#.utf8))
        #expect(invalidKey.code == .unauthenticated)
        #expect(GeminiFormat.error(status: 404, body: Array(#"{"error":{"code":404,"message":"models/x is not found"}}"#.utf8)).code == .notFound)
    }

    @Test("over HTTP: complete, stream (CR LF framing, no [DONE]), inline image bytes arrive, block and bad key surface")
    func provider() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let base = "http://127.0.0.1:\(server.port)/v1beta"
        let gemini = GeminiProvider(baseURL: base, apiKey: Secret("test-key"), engine: engine)
        let image = [UInt8](repeating: 7, count: 2048)
        let request = ChatRequest(model: "gemini-test", messages: [ChatMessage(role: .user, parts: [.text("look"), .inlineData(mimeType: "image/jpeg", bytes: image)])])
        #expect(try await gemini.complete(request).text == "got look <image/jpeg 2048 bytes>")
        var text = ""
        var finish: FinishReason?
        var usage: TokenUsage?
        for try await event in gemini.stream(request) {
            switch event {
            case .text(let piece): text += piece
            case .finished(let reason): finish = reason
            case .usage(let value): usage = value
            default: break
            }
        }
        #expect(text == "got look <image/jpeg 2048 bytes>")
        #expect(finish?.kind == .stop)
        #expect(usage?.totalTokens == 6)
        await #expect(throws: ProviderError.self) {
            try await gemini.complete(ChatRequest(model: "blocked", messages: [.text(.user, "x")]))
        }
        let wrong = GeminiProvider(baseURL: base, apiKey: Secret("bad-key"), engine: engine)
        do {
            _ = try await wrong.complete(request)
            Issue.record("a bad key succeeded")
        } catch let error as ProviderError {
            #expect(error.code == .unauthenticated)
            #expect(!error.message.contains("bad-key"))
        }
        engine.shutdown()
        await server.close()
    }
}
