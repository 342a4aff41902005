import Foundation
import Providers
import ProviderSimulator
import Testing

/// The provider layer under load and interruption, against the simulator over loopback.
@Suite("Providers against the simulator: load, cancellation, deadlines", .timeLimit(.minutes(2)))
struct SimulatorLoadTests {
    @Test("1,000 concurrent streams with 500 ms simulated latency complete on a bounded number of threads")
    func thousandStreams() async throws {
        let simulator = try await ProviderSimulator.start(configuration: .init(latencyMilliseconds: 500))
        let engine = CurlEngine()
        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"),
                                    engine: engine, retry: RetryPolicy(maxAttempts: 1))
        let threadsBefore = CurlEngineTests.threadCount()
        var peakThreads = threadsBefore
        let start = ContinuousClock.now
        let texts = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    var text = ""
                    for try await event in openAI.stream(ChatRequest(model: "m", messages: [.text(.user, String(repeating: "x", count: index % 7 + 1))])) {
                        if case .text(let piece) = event { text += piece }
                    }
                    return text
                }
            }
            var texts: [String] = []
            for try await text in group {
                texts.append(text)
                peakThreads = max(peakThreads, CurlEngineTests.threadCount())
            }
            return texts
        }
        #expect(texts.count == 1000)
        #expect(texts.allSatisfy { $0.hasPrefix("received 1 part(s): text(") })
        #expect(ContinuousClock.now - start < .seconds(60))
        // Not a thread per request: parallel tests add a few threads of their own, never hundreds.
        #expect(peakThreads - threadsBefore < 100, "threads grew from \(threadsBefore) to \(peakThreads)")
        #expect(simulator.log.requests.count == 1000)
        engine.shutdown()
        await simulator.close()
    }

    @Test("cancelling a stream closes the upstream connection: the simulator sees its answer abandoned")
    func cancellationReachesSimulator() async throws {
        // Long gaps between events: even on a loaded machine the stream is still running when cancelled.
        let simulator = try await ProviderSimulator.start(configuration: .init(chunkDelayMilliseconds: 1000))
        let engine = CurlEngine()
        let openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine)
        let gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine)
        for (number, provider) in [openAI as any LLMProvider, gemini as any LLMProvider].enumerated() {
            let firstEvent = AsyncStream<Void>.makeStream()
            let task = Task {
                var iterator = provider.stream(ChatRequest(model: "m", messages: [.text(.user, "a long answer please")]), deadline: nil).makeAsyncIterator()
                _ = try await iterator.next()
                firstEvent.continuation.yield()
                while try await iterator.next() != nil {}
            }
            for await _ in firstEvent.stream { break }
            task.cancel()
            _ = await task.result
            let deadline = ContinuousClock.now + .seconds(10)
            while simulator.log.abandonedResponses < number + 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(simulator.log.abandonedResponses == number + 1, "\(type(of: provider)): the simulator did not see the stream abandoned")
        }
        engine.shutdown()
        await simulator.close()
    }

    @Test("retries stop at the deadline: a 429 with Retry-After: 30 is not retried when the deadline is sooner")
    func retriesRespectDeadline() async throws {
        let simulator = try await ProviderSimulator.start(configuration: .init(fault: .rateLimited))
        let engine = CurlEngine()
        let retry = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(1))
        var openAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(simulator.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: retry)
        var gemini = GeminiProvider(baseURL: "http://127.0.0.1:\(simulator.port)/v1beta", apiKey: Secret("sim-gemini-key"), engine: engine, retry: retry)
        openAI.extraHeaders = [("x-simulator-retry-after", "30")]
        gemini.extraHeaders = [("x-simulator-retry-after", "30")]
        for (number, provider) in [openAI as any LLMProvider, gemini as any LLMProvider].enumerated() {
            let start = ContinuousClock.now
            await #expect { try await provider.complete(ChatRequest(model: "m", messages: [.text(.user, "x")]), deadline: start + .seconds(10)) } throws: {
                ($0 as? ProviderError)?.code == .resourceExhausted
            }
            #expect(ContinuousClock.now - start < .seconds(10), "\(type(of: provider)) waited for the retry")
            // One attempt only: the retry after 30 s would have ended past the deadline.
            #expect(simulator.log.requestCount == number + 1, "\(type(of: provider)) retried past its deadline")
        }
        // A slow upstream under a deadline: the transfer is cut at the deadline.
        let slow = try await ProviderSimulator.start(configuration: .init(latencyMilliseconds: 3000))
        let slowOpenAI = OpenAIProvider(endpoint: .openAI(baseURL: "http://127.0.0.1:\(slow.port)/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: retry)
        let start = ContinuousClock.now
        await #expect { try await slowOpenAI.complete(ChatRequest(model: "m", messages: [.text(.user, "x")]), deadline: start + .milliseconds(300)) } throws: {
            ($0 as? ProviderError)?.code == .deadlineExceeded
        }
        #expect(ContinuousClock.now - start < .milliseconds(2500), "the transfer was not cut at the deadline")
        engine.shutdown()
        await simulator.close()
        await slow.close()
    }
}
