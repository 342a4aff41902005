import Providers

// libFuzzer entry point over what providers answer: OpenAI's and Gemini's response bodies,
// OpenAI's stream chunks, their error bodies, and the streamed tool-call fragments merged.
//
// Byte 0 picks the parser (low 3 bits) and, for error bodies, the HTTP status (the rest); the
// remaining bytes are the body. Every parser may throw a typed `ProviderError`; what must never
// happen is a crash, a hang or a sanitizer report. Also checked: an error's message stays within
// `ProviderError.maxQuotedMessage` characters and a short prefix (no unbounded copy of a
// provider's text into logs and answers), and the Seldon
// reshaping of a Gemini answer (`output_all`) accepts whatever parsed.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzProviderAnswers invariant violated: \(what); input: \(String(decoding: input.prefix(512), as: UTF8.self).debugDescription)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProviderAnswers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let text = String(decoding: body, as: UTF8.self)
    switch selector & 7 {
    case 0:
        if let answer = try? OpenAIChatFormat.response(from: body) { _ = answer.parts.count }
    case 1:
        if let answer = try? GeminiFormat.response(from: body) {
            _ = answer.parts.count
            _ = GeminiSeldonShape.outputAll(answer.raw)
        }
    case 2:
        if let events = try? OpenAIChatFormat.events(fromChunk: text) {
            var calls = ToolCallAccumulator()
            for case .toolCallDelta(let index, let id, let name, let arguments) in events {
                calls.add(index: index, id: id, name: name, arguments: arguments)
            }
            _ = calls.toolCalls
        }
    case 3, 4:
        let status = 400 + Int(selector >> 3)
        let error = selector & 7 == 3 ? OpenAIChatFormat.error(status: status, body: body) : GeminiFormat.error(status: status, body: body)
        // The provider's message is quoted, cut at ProviderError.maxQuotedMessage characters
        // (a body that is not JSON: its first 512 bytes, each invalid byte 3 bytes as U+FFFD).
        guard error.message.count <= ProviderError.maxQuotedMessage + 64 else {
            violation("an error message of \(error.message.count) characters from a \(body.count)-byte body", input)
        }
    case 5:
        _ = GeminiSeldonShape.outputAll(text)
    default:
        _ = try? TuningDataset.parse(body, csv: selector & 8 != 0, file: "fuzz")
    }
    return 0
}
