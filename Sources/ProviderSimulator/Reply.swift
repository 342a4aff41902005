import Foundation

/// The simulator's deterministic answer, before either provider's JSON shape is put on it.
///
/// - After a tool result: `received tool result: <text>`.
/// - With tools offered (and not switched off): a call of the first tool, its required
///   arguments filled from the schema (`"sim"`, `1`, `true`, `[]`, `{}` by type).
/// - Otherwise: `received <n> part(s): <summary>` describing the last user turn.
/// A token limit below the answer's word count cuts it there with a length finish reason.
struct Reply {
    enum Finish {
        case stop, length, contentFilter, toolCalls

        var openAI: String {
            switch self {
            case .stop: "stop"
            case .length: "length"
            case .contentFilter: "content_filter"
            case .toolCalls: "tool_calls"
            }
        }

        var gemini: String {
            switch self {
            case .stop, .toolCalls: "STOP"
            case .length: "MAX_TOKENS"
            case .contentFilter: "SAFETY"
            }
        }
    }

    var text: String
    var toolCall: (name: String, arguments: [String: Any])?
    var finish: Finish
    var completionTokens: Int

    static func compose(parts: [ReceivedPart], lastRole: String, tool: [String: Any]?, maxTokens: Int?) -> Reply {
        if let result = parts.first(where: { $0.kind == "tool_result" }) {
            return limited("received tool result: \(result.text ?? "")", maxTokens)
        }
        if let tool, let name = tool["name"] as? String {
            let schema = (tool["parameters"] ?? tool["parametersJsonSchema"]) as? [String: Any] ?? [:]
            return Reply(text: "", toolCall: (name, arguments(for: schema)), finish: .toolCalls, completionTokens: 1)
        }
        return limited("received \(parts.count) part(s): \(parts.map(\.summary).joined(separator: ", "))", maxTokens)
    }

    private static func limited(_ text: String, _ maxTokens: Int?) -> Reply {
        let words = text.split(separator: " ")
        if let maxTokens, maxTokens >= 0, maxTokens < words.count {
            return Reply(text: words.prefix(maxTokens).joined(separator: " "), toolCall: nil, finish: .length, completionTokens: maxTokens)
        }
        return Reply(text: text, toolCall: nil, finish: .stop, completionTokens: words.count)
    }

    private static func arguments(for schema: [String: Any]) -> [String: Any] {
        let properties = schema["properties"] as? [String: Any] ?? [:]
        let names = schema["required"] as? [String] ?? properties.keys.sorted()
        var arguments: [String: Any] = [:]
        for name in names {
            let type = ((properties[name] as? [String: Any])?["type"] as? String ?? "string").lowercased()
            arguments[name] = switch type {
            case "integer", "number": 1
            case "boolean": true
            case "array": [Any]()
            case "object": [String: Any]()
            default: "sim"
            }
        }
        return arguments
    }

    /// The answer of candidate `index`; candidates after the first are marked so tests can tell them apart.
    func text(candidate index: Int) -> String {
        index == 0 || text.isEmpty ? text : "(candidate \(index + 1)) \(text)"
    }

    var argumentsJSON: String { JSONText.encode(toolCall?.arguments ?? [:]) }

    // MARK: OpenAI

    func openAIMessage(candidate index: Int) -> [String: Any] {
        var message: [String: Any] = ["role": "assistant", "refusal": NSNull(), "annotations": [Any]()]
        if let call = toolCall {
            message["content"] = NSNull()
            message["tool_calls"] = [["id": "call_sim_\(index)", "type": "function", "function": ["name": call.name, "arguments": argumentsJSON]]]
        } else {
            message["content"] = text(candidate: index)
        }
        return message
    }

    /// Content deltas word by word; a tool call as a head delta then its arguments in three
    /// fragments that carry only the index, as OpenAI streams them.
    func openAIDeltas(candidate index: Int) -> [[String: Any]] {
        if let call = toolCall {
            let arguments = Array(argumentsJSON)
            let third = max(1, (arguments.count + 2) / 3)
            var deltas: [[String: Any]] = [["tool_calls": [["index": 0, "id": "call_sim_\(index)", "type": "function", "function": ["name": call.name, "arguments": ""]]]]]
            for start in stride(from: 0, to: arguments.count, by: third) {
                let fragment = String(arguments[start..<min(start + third, arguments.count)])
                deltas.append(["tool_calls": [["index": 0, "function": ["arguments": fragment]]]])
            }
            return deltas
        }
        return Self.words(text(candidate: index)).map { ["content": $0] }
    }

    /// The text split into words, each after the first keeping its leading space.
    static func words(_ text: String) -> [String] {
        text.split(separator: " ").enumerated().map { $0.offset == 0 ? String($0.element) : " " + $0.element }
    }
}
