import Providers
import Testing

@Suite("Server-sent events")
struct ServerSentEventTests {
    let openAI = "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n"
    let gemini = "data: {\"candidates\": []}\r\n\r\ndata: {\"candidates\": [1]}\r\n\r\n"

    func parse(_ text: String, splitEvery size: Int) -> ([ServerSentEvent], Bool) {
        var parser = ServerSentEventParser()
        let bytes = Array(text.utf8)
        var events: [ServerSentEvent] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + size, bytes.count)
            events += parser.feed(bytes[index..<end])
            index = end
        }
        return (events, parser.finish())
    }

    @Test("OpenAI and Gemini framing, split at every possible byte boundary")
    func framing() {
        for size in 1...12 {
            let (openAIEvents, openAITruncated) = parse(openAI, splitEvery: size)
            #expect(openAIEvents.map(\.data) == ["{\"a\":1}", "{\"a\":2}", "[DONE]"])
            #expect(!openAITruncated)
            let (geminiEvents, geminiTruncated) = parse(gemini, splitEvery: size)
            #expect(geminiEvents.map(\.data) == ["{\"candidates\": []}", "{\"candidates\": [1]}"])
            #expect(!geminiTruncated)
        }
    }

    @Test("multi-line data, comments, event names, fields without a space")
    func fields() {
        let (events, _) = parse(": keep-alive\nevent: message\ndata: first\ndata:second\nid: 7\n\n", splitEvery: 100)
        #expect(events == [ServerSentEvent(event: "message", data: "first\nsecond")])
    }

    @Test("a stream cut in the middle of an event is reported as truncated and the event dropped")
    func truncated() {
        let (events, truncated) = parse("data: {\"a\":1}\n\ndata: {\"a\":", splitEvery: 4)
        #expect(events.map(\.data) == ["{\"a\":1}"])
        #expect(truncated)
    }
}
