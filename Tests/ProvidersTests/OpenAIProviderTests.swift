import Providers
import Testing

/// The OpenAI provider over real loopback HTTP against a minimal OpenAI-shaped server (the
/// full provider simulator comes with issue 5's simulator work).
@Suite("OpenAI provider over HTTP", .timeLimit(.minutes(1)))
struct OpenAIProviderTests {
    @Test("complete and stream, OpenAI and Azure endpoints; a wrong key is UNAUTHENTICATED without the key in the error")
    func calls() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let base = "http://127.0.0.1:\(server.port)"
        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("test-key"), engine: engine)
        let request = ChatRequest(model: "gpt-4o", messages: [.text(.user, "hello")])

        let answer = try await openAI.complete(request)
        #expect(answer.text == "echo: hello")
        #expect(answer.finishReason?.kind == .stop)
        #expect(answer.usage?.totalTokens == 5)

        var text = ""
        var usage: TokenUsage?
        for try await event in openAI.stream(request) {
            switch event {
            case .text(let piece): text += piece
            case .usage(let value): usage = value
            default: break
            }
        }
        #expect(text == "echo: hello")
        #expect(usage?.totalTokens == 5)

        let azure = OpenAIProvider(endpoint: .azure(endpoint: base, deployment: "dep", apiVersion: "2024-10-21"), apiKey: Secret("test-key"), engine: engine)
        #expect(try await azure.complete(request).text == "echo: hello")

        let wrong = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("sk-wrong-secret"), engine: engine)
        do {
            _ = try await wrong.complete(request)
            Issue.record("a wrong key succeeded")
        } catch let error as ProviderError {
            #expect(error.code == .unauthenticated)
            #expect(!error.message.contains("sk-wrong-secret"))
        }
        engine.shutdown()
        await server.close()
    }

    @Test("a stream that ends without [DONE] is an error, after the events that did arrive")
    func truncatedStream() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let provider = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(server.port)/v1"), apiKey: Secret("test-key"), engine: engine)
        var received: [ChatStreamEvent] = []
        do {
            for try await event in provider.stream(ChatRequest(model: "truncated", messages: [.text(.user, "x")])) {
                received.append(event)
            }
            Issue.record("a truncated stream ended normally")
        } catch let error as ProviderError {
            #expect(error.code == .unavailable)
        }
        #expect(received.filter { if case .raw = $0 { false } else { true } } == [.text("echo: ")])
        #expect(received.filter { if case .raw = $0 { true } else { false } }.count == 2, "each event's own JSON is passed on")
        engine.shutdown()
        await server.close()
    }
}
