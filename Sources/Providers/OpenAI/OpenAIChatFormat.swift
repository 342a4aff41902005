import ExtrasBase64
import Foundation

/// OpenAI's `/v1/chat/completions` wire format (also Azure OpenAI and OpenAI-compatible servers):
/// the neutral request to JSON, and JSON answers and stream chunks back. Raw bytes become base64
/// here and only here: images as `data:` URIs, audio as `input_audio`, PDFs as `file` parts.
public enum OpenAIChatFormat {
    /// The request body. `stream` adds `stream_options.include_usage`, so the last chunk
    /// carries the token counts.
    public static func body(for request: ChatRequest, stream: Bool) throws(ProviderError) -> [UInt8] {
        var messages: [[String: Any]] = []
        if let system = request.systemInstruction, !system.isEmpty {
            messages.append(["role": "system", "content": system])
        }
        for message in request.messages {
            messages += try encode(message)
        }
        var body: [String: Any] = ["model": request.model, "messages": messages]
        let parameters = request.parameters
        if let value = parameters.temperature { body["temperature"] = value }
        if let value = parameters.topP { body["top_p"] = value }
        if let value = parameters.maxOutputTokens { body["max_completion_tokens"] = value }
        if let value = parameters.stopSequences { body["stop"] = value }
        if let value = parameters.candidateCount { body["n"] = value }
        if let value = parameters.presencePenalty { body["presence_penalty"] = value }
        if let value = parameters.frequencyPenalty { body["frequency_penalty"] = value }
        if let value = parameters.seed { body["seed"] = value }
        if let schema = parameters.responseSchema {
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "response", "schema": try parseJSONText(schema, "response_schema")]]
        } else if parameters.responseMimeType == "application/json" {
            body["response_format"] = ["type": "json_object"]
        }
        if !request.tools.isEmpty {
            body["tools"] = try request.tools.map { tool throws(ProviderError) -> [String: Any] in
                ["type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": try parseJSONText(tool.parameters, "tool \(tool.name) parameters")]]
            }
        }
        for (name, json) in parameters.providerFields.merging(request.requestFields, uniquingKeysWith: { $1 }) {
            body[name] = try parseJSONText(json, "llm parameter \(name)")
        }
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return try JSONWriter.write(body)
    }

    private static func encode(_ message: ChatMessage) throws(ProviderError) -> [[String: Any]] {
        switch message.role {
        case .tool:
            return message.parts.compactMap { part -> [String: Any]? in
                guard case .toolResult(let id, _, let content) = part else { return nil }
                return ["role": "tool", "tool_call_id": id, "content": content]
            }
        case .assistant:
            var encoded: [String: Any] = ["role": "assistant"]
            let text = message.parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
            encoded["content"] = text.isEmpty ? JSONNull() : text
            let calls = message.parts.compactMap { part -> [String: Any]? in
                guard case .toolCall(let id, let name, let arguments) = part else { return nil }
                return ["id": id, "type": "function", "function": ["name": name, "arguments": arguments]]
            }
            if !calls.isEmpty { encoded["tool_calls"] = calls }
            return [encoded]
        case .system, .user:
            var content: [[String: Any]] = []
            for part in message.parts {
                content.append(try encode(part))
            }
            // A single text part travels as a plain string, as the API's own examples do.
            if content.count == 1, case .text(let text) = message.parts[0] {
                return [["role": message.role.rawValue, "content": text]]
            }
            return [["role": message.role.rawValue, "content": content]]
        }
    }

    private static func encode(_ part: ChatPart) throws(ProviderError) -> [String: Any] {
        switch part {
        case .text(let text):
            return ["type": "text", "text": text]
        case .inlineData(let mimeType, let data):
            let base64 = Base64.encodeToString(bytes: data.readableBytesView)
            if mimeType.hasPrefix("image/") {
                return ["type": "image_url", "image_url": ["url": "data:\(mimeType);base64,\(base64)"]]
            }
            if let format = audioFormats[mimeType] {
                return ["type": "input_audio", "input_audio": ["data": base64, "format": format]]
            }
            if mimeType == "application/pdf" {
                return ["type": "file", "file": ["filename": "document.pdf", "file_data": "data:application/pdf;base64,\(base64)"]]
            }
            throw ProviderError(.invalidArgument, "OpenAI chat does not take \(mimeType) inline data (images, wav/mp3 audio and PDF only)")
        case .fileURI(let uri, let mimeType):
            guard mimeType == nil || mimeType!.hasPrefix("image/") else {
                throw ProviderError(.invalidArgument, "OpenAI chat takes file URIs for images only, not \(mimeType!)")
            }
            return ["type": "image_url", "image_url": ["url": uri]]
        case .toolCall, .toolResult:
            throw ProviderError(.invalidArgument, "tool calls and results belong to assistant and tool messages")
        }
    }

    /// Whether OpenAI chat takes this MIME type as inline data.
    public static func supports(mimeType: String) -> Bool {
        ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"].contains(mimeType) || audioFormats[mimeType] != nil
    }

    static let audioFormats = ["audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"]

    static func finishReason(_ raw: String) -> FinishReason {
        FinishReason(kind: FinishReason.Kind(rawValue: raw) ?? .other, raw: raw)
    }

    static func usage(_ object: Any?) -> TokenUsage? {
        guard let usage = object as? [String: Any] else { return nil }
        return TokenUsage(
            promptTokens: usage["prompt_tokens"] as? Int ?? 0, completionTokens: usage["completion_tokens"] as? Int ?? 0,
            totalTokens: usage["total_tokens"] as? Int ?? 0)
    }

    /// A non-streamed answer.
    public static func response(from body: [UInt8]) throws(ProviderError) -> ChatResponse {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ProviderError(.internal, "OpenAI answered with invalid JSON")
        }
        guard let choices = object["choices"] as? [[String: Any]], !choices.isEmpty else {
            throw ProviderError(.internal, "OpenAI answer has no choices")
        }
        let candidates = choices.sorted { ($0["index"] as? Int ?? 0) < ($1["index"] as? Int ?? 0) }.map { choice in
            let message = choice["message"] as? [String: Any] ?? [:]
            var parts: [ChatPart] = []
            if let text = message["content"] as? String, !text.isEmpty { parts.append(.text(text)) }
            for call in message["tool_calls"] as? [[String: Any]] ?? [] {
                let function = call["function"] as? [String: Any] ?? [:]
                parts.append(.toolCall(id: call["id"] as? String ?? "", name: function["name"] as? String ?? "", arguments: function["arguments"] as? String ?? ""))
            }
            return ChatCandidate(parts: parts, finishReason: (choice["finish_reason"] as? String).map(finishReason))
        }
        var response = ChatResponse(
            parts: candidates[0].parts, finishReason: candidates[0].finishReason, usage: usage(object["usage"]),
            raw: String(decoding: body, as: UTF8.self))
        response.candidates = candidates
        return response
    }

    /// The events of one stream chunk (`data:` payload other than `[DONE]`).
    public static func events(fromChunk data: String) throws(ProviderError) -> [ChatStreamEvent] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
            throw ProviderError(.internal, "OpenAI stream chunk is not valid JSON")
        }
        if let error = object["error"] as? [String: Any] {
            throw ProviderError(.unavailable, "OpenAI stream failed: \(ProviderError.quoted(error["message"] as? String ?? "unknown error"))")
        }
        var events: [ChatStreamEvent] = []
        for choice in object["choices"] as? [[String: Any]] ?? [] {
            let delta = choice["delta"] as? [String: Any] ?? [:]
            if let text = delta["content"] as? String, !text.isEmpty { events.append(.text(text)) }
            for call in delta["tool_calls"] as? [[String: Any]] ?? [] {
                let function = call["function"] as? [String: Any] ?? [:]
                events.append(.toolCallDelta(
                    index: call["index"] as? Int ?? 0, id: call["id"] as? String, name: function["name"] as? String,
                    arguments: function["arguments"] as? String ?? ""))
            }
            if let reason = choice["finish_reason"] as? String { events.append(.finished(finishReason(reason))) }
        }
        if let usage = usage(object["usage"]) { events.append(.usage(usage)) }
        return events
    }

    /// OpenAI quotes a rejected key, masked but for its first 8 and last 4 characters ("Incorrect
    /// API key provided: sk-proj-****abcd."): the operator's key, even partly, is not for the
    /// server's callers or logs.
    static func redactingKeys(_ message: String) -> String {
        guard let range = message.range(of: "API key provided: ") else { return message }
        let rest = message[range.upperBound...]
        let end = rest.firstIndex { $0 == " " || $0 == "\n" } ?? rest.endIndex
        return message[..<range.upperBound] + "[redacted]" + (rest[..<end].hasSuffix(".") ? "." : "") + rest[end...]
    }

    /// The provider's error body (`{"error": {"message", "type", "code"}}`) as a ProviderError.
    public static func error(status: Int, body: [UInt8]) -> ProviderError {
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let message = error?["message"] as? String ?? String(decoding: body.prefix(512), as: UTF8.self)
        return ProviderError(ProviderError.code(forHTTPStatus: status), "OpenAI \(status): \(ProviderError.quoted(redactingKeys(message)))")
    }
}

/// Streamed tool calls arrive in fragments keyed by index (id and name first, then pieces of
/// the arguments); this merges them into whole calls.
public struct ToolCallAccumulator: Sendable {
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    public init() {}

    public mutating func add(index: Int, id: String?, name: String?, arguments: String) {
        var call = calls[index] ?? ("", "", "")
        if let id, !id.isEmpty { call.id = id }
        if let name, !name.isEmpty { call.name = name }
        call.arguments += arguments
        calls[index] = call
    }

    /// The merged calls, in index order.
    public var toolCalls: [ChatPart] {
        calls.keys.sorted().map { index in
            let call = calls[index]!
            return .toolCall(id: call.id, name: call.name, arguments: call.arguments)
        }
    }
}
