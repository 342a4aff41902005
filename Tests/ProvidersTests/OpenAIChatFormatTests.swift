import ExtrasBase64
import Foundation
import Providers
import Testing

@Suite("OpenAI chat format")
struct OpenAIChatFormatTests {
    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("request: system, text, image as data URI, wav audio, PDF file, parameters, tools, stream options")
    func request() throws {
        let image: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00]
        let audio: [UInt8] = Array("RIFF....WAVE".utf8)
        let pdf: [UInt8] = Array("%PDF-1.7".utf8)
        var parameters = GenerationParameters()
        parameters.temperature = 0.2
        parameters.maxOutputTokens = 64
        parameters.stopSequences = ["END"]
        let request = ChatRequest(
            model: "gpt-4o",
            messages: [
                ChatMessage(role: .user, parts: [
                    .text("Describe these."), .inlineData(mimeType: "image/jpeg", bytes: image),
                    .inlineData(mimeType: "audio/wav", bytes: audio), .inlineData(mimeType: "application/pdf", bytes: pdf),
                ]),
                ChatMessage(role: .assistant, parts: [.toolCall(id: "call_1", name: "lookup", arguments: #"{"q":"x"}"#)]),
                ChatMessage(role: .tool, parts: [.toolResult(id: "call_1", name: "lookup", content: "42")]),
            ],
            systemInstruction: "Be brief.", parameters: parameters,
            tools: [ToolDefinition(name: "lookup", description: "Looks up", parameters: #"{"type":"object"}"#)])
        let body = try object(OpenAIChatFormat.body(for: request, stream: true))
        #expect(body["model"] as? String == "gpt-4o")
        #expect(body["temperature"] as? Double == 0.2)
        #expect(body["max_completion_tokens"] as? Int == 64)
        #expect(body["stop"] as? [String] == ["END"])
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 4)
        #expect(messages[0]["role"] as? String == "system" && messages[0]["content"] as? String == "Be brief.")
        let content = try #require(messages[1]["content"] as? [[String: Any]])
        #expect(content[0]["type"] as? String == "text")
        #expect((content[1]["image_url"] as? [String: Any])?["url"] as? String == "data:image/jpeg;base64,\(Base64.encodeToString(bytes: image))")
        #expect((content[2]["input_audio"] as? [String: Any])?["format"] as? String == "wav")
        #expect(try ((content[2]["input_audio"] as? [String: Any])?["data"] as? String)?.base64decoded() == audio)
        #expect((content[3]["file"] as? [String: Any])?["file_data"] as? String == "data:application/pdf;base64,\(Base64.encodeToString(bytes: pdf))")
        #expect(messages[2]["content"] is NSNull)
        #expect(((messages[2]["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["arguments"] as? String == #"{"q":"x"}"#)
        #expect(messages[3]["tool_call_id"] as? String == "call_1" && messages[3]["content"] as? String == "42")
        #expect(((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["name"] as? String == "lookup")
    }

    @Test("request: a single text part is a plain string; unsupported inline MIME types are refused")
    func requestEdges() throws {
        let plain = try object(OpenAIChatFormat.body(for: ChatRequest(model: "m", messages: [.text(.user, "hi")]), stream: false))
        #expect((plain["messages"] as? [[String: Any]])?.first?["content"] as? String == "hi")
        #expect(plain["stream"] == nil)
        let video = ChatRequest(model: "m", messages: [ChatMessage(role: .user, parts: [.inlineData(mimeType: "video/mp4", bytes: [1])])])
        #expect(throws: ProviderError.self) { try OpenAIChatFormat.body(for: video, stream: false) }
    }

    @Test("response: text, tool calls, finish reason, usage, raw JSON kept")
    func response() throws {
        let json = #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}}"#
        let response = try OpenAIChatFormat.response(from: Array(json.utf8))
        #expect(response.parts == [.toolCall(id: "call_9", name: "f", arguments: #"{"a":1}"#)])
        #expect(response.finishReason == FinishReason(kind: .toolCalls, raw: "tool_calls"))
        #expect(response.usage == TokenUsage(promptTokens: 19, completionTokens: 10, totalTokens: 29))
        #expect(response.raw == json)
        #expect(throws: ProviderError.self) { try OpenAIChatFormat.response(from: Array("{".utf8)) }
    }

    @Test("stream: text deltas, interleaved tool-call fragments merged by index, usage chunk, mid-stream error")
    func stream() throws {
        let chunks = [
            #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"alpha","arguments":""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"beta","arguments":"{\"y\":"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
        ]
        var accumulator = ToolCallAccumulator()
        var finish: FinishReason?
        var usage: TokenUsage?
        for chunk in chunks {
            for event in try OpenAIChatFormat.events(fromChunk: chunk) {
                switch event {
                case .toolCallDelta(let index, let id, let name, let arguments):
                    accumulator.add(index: index, id: id, name: name, arguments: arguments)
                case .finished(let reason): finish = reason
                case .usage(let value): usage = value
                case .text(let text): Issue.record("unexpected text \(text)")
                case .raw: Issue.record("events(fromChunk:) does not repeat the raw chunk")
                }
            }
        }
        #expect(accumulator.toolCalls == [
            .toolCall(id: "call_a", name: "alpha", arguments: #"{"x":1}"#),
            .toolCall(id: "call_b", name: "beta", arguments: #"{"y":2}"#),
        ])
        #expect(finish?.kind == .toolCalls)
        #expect(usage == TokenUsage(promptTokens: 5, completionTokens: 7, totalTokens: 12))
        #expect(try OpenAIChatFormat.events(fromChunk: #"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#) == [.text("Hel")])
        #expect(throws: ProviderError.self) { try OpenAIChatFormat.events(fromChunk: #"{"error":{"message":"overloaded"}}"#) }
    }

    @Test("error bodies: the provider's message with the mapped code")
    func errors() {
        let error = OpenAIChatFormat.error(status: 404, body: Array(#"{"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#.utf8))
        #expect(error.code == .notFound)
        #expect(error.message.contains("gpt-9"))
        #expect(OpenAIChatFormat.error(status: 429, body: []).code == .resourceExhausted)
    }

    @Test("a refused key quoted in OpenAI's error (masked, first 8 and last 4 characters) is redacted; other messages are untouched")
    func refusedKeyRedacted() {
        let body = Array(#"{"error":{"message":"Incorrect API key provided: sk-proj-****************************8Mw1. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}"#.utf8)
        let error = OpenAIChatFormat.error(status: 401, body: body)
        #expect(error.code == .unauthenticated)
        #expect(error.message == "OpenAI 401: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.")
        let plain = OpenAIChatFormat.error(status: 400, body: Array(#"{"error":{"message":"Invalid 'messages': empty array."}}"#.utf8))
        #expect(plain.message == "OpenAI 400: Invalid 'messages': empty array.")
    }
}

