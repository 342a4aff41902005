import Foundation
import InferWireCore
import ProtoWire
import V2JSON

/// The LLM runtime's V2 answer in OpenAI's chat completion shapes: one choice per candidate row
/// (`content`, `tool_calls`), `finish_reason` in OpenAI's words, `usage` from the token counts.
enum OpenAIChatResponse {
    static func completion(_ response: ModelInferResponse, model: String, id: String, created: Int64) -> JSONDocument {
        let contents = strings(response, "content")
        let toolCalls = strings(response, "tool_calls")
        let finish = finishReason(response)
        let choices: [JSONDocument] = contents.indices.map { index in
            var message: [(String, JSONDocument)] = [("role", .string("assistant")), ("content", .string(contents[index]))]
            if index < toolCalls.count, let calls = try? JSONDocument.parse(Data(toolCalls[index].utf8)), case .array(let list) = calls, !list.isEmpty {
                message.append(("tool_calls", calls))
                if contents[index].isEmpty { message[1] = ("content", .null) }
            }
            return .object([("index", .int(Int64(index))), ("message", .object(message)), ("finish_reason", finish.map { .string($0) } ?? .null)])
        }
        var members: [(String, JSONDocument)] = [
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(created)), ("model", .string(model)),
            ("choices", .array(choices)),
        ]
        if let usage = usage(response) { members.append(("usage", usage)) }
        return .object(members)
    }

    /// One streamed chunk; `delta` holds the role on the first, text on the others.
    static func chunk(id: String, model: String, created: Int64, delta: [(String, JSONDocument)], finish: String?) -> JSONDocument {
        .object([
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)), ("model", .string(model)),
            ("choices", .array([.object([("index", .int(0)), ("delta", .object(delta)), ("finish_reason", finish.map { .string($0) } ?? .null)])])),
        ])
    }

    static func usageChunk(id: String, model: String, created: Int64, usage: JSONDocument) -> JSONDocument {
        .object([
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)), ("model", .string(model)),
            ("choices", .array([])), ("usage", usage),
        ])
    }

    static func strings(_ response: ModelInferResponse, _ name: String) -> [String] {
        guard let index = response.outputIndex(named: name), let elements = try? response.bytesElements(ofOutput: index) else { return [] }
        return elements.map { String(decoding: $0.readableBytesView, as: UTF8.self) }
    }

    /// Gemini's STOP / MAX_TOKENS / SAFETY as OpenAI's stop / length / content_filter.
    static func finishReason(_ response: ModelInferResponse) -> String? {
        guard case .string(let raw)? = response.parameters["finish_reason"]?.value else { return nil }
        switch raw.uppercased() {
        case "STOP": return "stop"
        case "MAX_TOKENS", "LENGTH": return "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "CONTENT_FILTER": return "content_filter"
        case "TOOL_CALLS": return "tool_calls"
        default: return raw.lowercased()
        }
    }

    static func usage(_ response: ModelInferResponse) -> JSONDocument? {
        func count(_ key: String) -> Int64? {
            if case .int64(let value)? = response.parameters[key]?.value { return value }
            return nil
        }
        guard let prompt = count("prompt_tokens"), let completion = count("completion_tokens") else { return nil }
        return .object([("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)), ("total_tokens", .int(count("total_tokens") ?? prompt + completion))])
    }
}
