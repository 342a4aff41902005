import Providers
import ProviderSimulator
import Testing

/// Both providers against the provider simulator over loopback HTTP: what arrived, streaming,
/// and each injected fault surfacing as the right error.
@Suite("Providers against the simulator", .timeLimit(.minutes(1)))
struct SimulatorTests {
    static let once = RetryPolicy(maxAttempts: 1)

    func providers(_ simulator: ProviderSimulator, _ engine: CurlEngine, headers: [(name: String, value: String)] = []) -> (OpenAIProvider, GeminiProvider) {
        var openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: Self.once)
        var gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: Self.once)
        openAI.extraHeaders = headers
        gemini.extraHeaders = headers
        return (openAI, gemini)
    }

    func collect(_ stream: AsyncThrowingStream<ChatStreamEvent, Error>) async throws -> (String, FinishReason?, TokenUsage?) {
        var text = ""
        var finish: FinishReason?
        var usage: TokenUsage?
        for try await event in stream {
            switch event {
            case .text(let piece): text += piece
            case .finished(let reason): finish = reason
            case .usage(let value): usage = value
            case .toolCallDelta, .raw: break
            }
        }
        return (text, finish, usage)
    }

    @Test("what arrived: text, image, audio and PDF parts with their byte counts; complete and stream agree")
    func multimodal() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let (openAI, gemini) = providers(simulator, engine)
        let parts: [ChatPart] = [
            .text("Describe these."), .inlineData(mimeType: "image/jpeg", bytes: [UInt8](repeating: 1, count: 1000)),
            .inlineData(mimeType: "audio/wav", bytes: [UInt8](repeating: 2, count: 12)),
            .inlineData(mimeType: "application/pdf", bytes: [UInt8](repeating: 3, count: 8)),
        ]
        let request = ChatRequest(model: "gpt-4o", messages: [ChatMessage(role: .user, parts: parts)])
        let expected = "received 4 part(s): text(15), image/jpeg(1000), audio/wav(12), application/pdf(8)"
        #expect(try await openAI.complete(request).text == expected)
        let (streamed, finish, usage) = try await collect(openAI.stream(request))
        #expect(streamed == expected)
        #expect(finish?.kind == .stop)
        #expect(usage != nil)

        let geminiRequest = ChatRequest(model: "gemini-2.0-flash", messages: [ChatMessage(role: .user, parts: Array(parts.prefix(2)))])
        let geminiExpected = "received 2 part(s): text(15), image/jpeg(1000)"
        #expect(try await gemini.complete(geminiRequest).text == geminiExpected)
        let (geminiStreamed, geminiFinish, geminiUsage) = try await collect(gemini.stream(geminiRequest))
        #expect(geminiStreamed == geminiExpected)
        #expect(geminiFinish?.kind == .stop)
        #expect(geminiUsage?.completionTokens == 5)  // one per word of the answer
        engine.shutdown()
        await simulator.close()
    }

    @Test("faults and refusals map to the right codes", arguments: [
        ("429", ProviderError.Code.resourceExhausted), ("500", .unavailable), ("503", .unavailable),
        ("invalid-json", .internal), ("truncate", .unavailable), ("reset", .unavailable),
    ])
    func faults(_ fault: String, _ code: ProviderError.Code) async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let (openAI, gemini) = providers(simulator, engine, headers: [("x-simulator-fault", fault)])
        let request = ChatRequest(model: "m", messages: [.text(.user, "hi")])
        for provider in [openAI as any LLMProvider, gemini as any LLMProvider] {
            do {
                if fault == "truncate" || fault == "reset" {
                    _ = try await collect(provider.stream(request, deadline: nil))
                } else {
                    _ = try await provider.complete(request, deadline: nil)
                }
                Issue.record("\(type(of: provider)) succeeded despite fault \(fault)")
            } catch let error as ProviderError {
                #expect(error.code == code, "\(type(of: provider)) \(fault): \(error)")
            } catch let error as HTTPClientError {
                #expect(code == .unavailable, "\(type(of: provider)) \(fault): \(error)")
            }
        }
        engine.shutdown()
        await simulator.close()
    }

    @Test("keys, unknown models, safety blocks, retries through a 429 until the budget of attempts is spent")
    func refusals() async throws {
        let simulator = try await ProviderSimulator.start()
        let engine = CurlEngine()
        let base = "http://127.0.0.1:\(simulator.port)"
        let request = ChatRequest(model: "missing", messages: [.text(.user, "hi")])
        let (openAI, gemini) = providers(simulator, engine)
        await #expect { try await openAI.complete(request) } throws: { ($0 as? ProviderError)?.code == .notFound }
        await #expect { try await gemini.complete(request) } throws: { ($0 as? ProviderError)?.code == .notFound }
        let noKey = GeminiProvider(baseURL: base + "/v1beta", apiKey: nil, engine: engine, retry: Self.once)
        await #expect { try await noKey.complete(request) } throws: { ($0 as? ProviderError)?.code == .permissionDenied }
        let badKey = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("nope"), engine: engine, retry: Self.once)
        await #expect { try await badKey.complete(request) } throws: { ($0 as? ProviderError)?.code == .unauthenticated }

        let (_, blockingGemini) = providers(simulator, engine, headers: [("x-simulator-fault", "block")])
        await #expect { try await blockingGemini.complete(ChatRequest(model: "m", messages: [.text(.user, "x")])) } throws: {
            ($0 as? ProviderError)?.message.contains("SAFETY") == true
        }
        let (blockingOpenAI, _) = providers(simulator, engine, headers: [("x-simulator-fault", "block")])
        #expect(try await blockingOpenAI.complete(ChatRequest(model: "m", messages: [.text(.user, "x")])).finishReason?.kind == .contentFilter)

        // Two attempts, Retry-After: 1 honoured in between.
        var retrying = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("sim-openai-key"), engine: engine,
                                      retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1)))
        retrying.extraHeaders = [("x-simulator-fault", "429")]
        let start = ContinuousClock.now
        await #expect { try await retrying.complete(ChatRequest(model: "m", messages: [.text(.user, "x")])) } throws: {
            ($0 as? ProviderError)?.code == .resourceExhausted
        }
        #expect(ContinuousClock.now - start >= .seconds(1))
        engine.shutdown()
        await simulator.close()
    }
}
