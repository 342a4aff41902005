import ExtrasBase64
import Foundation

/// Gemini's `generateContent` wire format: the neutral request to JSON (raw bytes become
/// `inlineData` base64 here and only here), answers and stream events back. Responses are read
/// in camelCase, as Google sends them; block reasons and finish reasons are surfaced.
public enum GeminiFormat {
    public static func body(for request: ChatRequest) throws(ProviderError) -> [UInt8] {
        var contents: [[String: Any]] = []
        for message in request.messages {
            let role: String
            switch message.role {
            case .user, .tool: role = "user"
            case .assistant: role = "model"
            case .system:
                throw ProviderError(.invalidArgument, "Gemini takes the system prompt as systemInstruction, not as a message")
            }
            var parts = try message.parts.map(encode)
            if let metadata = request.videoMetadata {
                let raw = try parseJSONText(metadata, "video_metadata")
                for index in parts.indices where isVideo(parts[index]) { parts[index]["videoMetadata"] = raw }
            }
            contents.append(["role": role, "parts": parts])
        }
        var body: [String: Any] = ["contents": contents]
        if let system = request.systemInstruction, !system.isEmpty {
            body["systemInstruction"] = ["parts": [["text": system]]]
        }
        var config: [String: Any] = [:]
        let parameters = request.parameters
        if let value = parameters.temperature { config["temperature"] = value }
        if let value = parameters.topP { config["topP"] = value }
        if let value = parameters.topK { config["topK"] = value }
        if let value = parameters.maxOutputTokens { config["maxOutputTokens"] = value }
        if let value = parameters.stopSequences { config["stopSequences"] = value }
        if let value = parameters.candidateCount { config["candidateCount"] = value }
        if let value = parameters.presencePenalty { config["presencePenalty"] = value }
        if let value = parameters.frequencyPenalty { config["frequencyPenalty"] = value }
        if let value = parameters.seed { config["seed"] = value }
        if let value = parameters.responseMimeType { config["responseMimeType"] = value }
        if let schema = parameters.responseSchema { config["responseJsonSchema"] = try parseJSONText(schema, "response_schema") }
        for (name, json) in parameters.providerFields {
            config[camelCase(name)] = try parseJSONText(json, "generation_config.\(name)")
        }
        if !config.isEmpty { body["generationConfig"] = config }
        if !request.safetySettings.isEmpty {
            body["safetySettings"] = request.safetySettings.map { setting -> [String: Any] in
                var entry: [String: Any] = ["category": setting.category, "threshold": setting.threshold]
                if let method = setting.method { entry["method"] = method }
                return entry
            }
        }
        if !request.tools.isEmpty {
            body["tools"] = [["functionDeclarations": try request.tools.map { tool throws(ProviderError) -> [String: Any] in
                ["name": tool.name, "description": tool.description, "parametersJsonSchema": try parseJSONText(tool.parameters, "tool \(tool.name) parameters")]
            }]]
        }
        for (name, json) in request.requestFields {
            body[camelCase(name)] = try parseJSONText(json, name)
        }
        return try JSONWriter.write(body)
    }

    /// A video part, inline or by URI: where `videoMetadata` goes.
    private static func isVideo(_ part: [String: Any]) -> Bool {
        let data = (part["inlineData"] ?? part["fileData"]) as? [String: Any]
        return (data?["mimeType"] as? String)?.hasPrefix("video/") == true
    }

    private static func encode(_ part: ChatPart) throws(ProviderError) -> [String: Any] {
        switch part {
        case .text(let text):
            return ["text": text]
        case .inlineData(let mimeType, let data):
            guard inlineMIMETypes.contains(mimeType) else {
                throw ProviderError(.invalidArgument, "Gemini does not take \(mimeType) inline data (images, audio, video, PDF and text types only)")
            }
            return ["inlineData": ["mimeType": mimeType, "data": Base64.encodeToString(bytes: data.readableBytesView)]]
        case .fileURI(let uri, let mimeType):
            var file: [String: Any] = ["fileUri": uri]
            if let mimeType { file["mimeType"] = mimeType }
            return ["fileData": file]
        case .toolCall(_, let name, let arguments):
            return ["functionCall": ["name": name, "args": try parseJSONText(arguments, "arguments of \(name)")]]
        case .toolResult(_, let name, let content):
            // Gemini wants an object; a plain result is wrapped as {"result": ...}.
            let isObject = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) is [String: Any]
            return ["functionResponse": ["name": name, "response": isObject ? RawJSON(text: content) as Any : ["result": content]]]
        }
    }

    /// The MIME types Gemini takes as inline data (its vision, audio, video and document docs).
    public static let inlineMIMETypes: Set<String> = [
        "image/png", "image/jpeg", "image/webp", "image/heic", "image/heif",
        "audio/wav", "audio/mp3", "audio/mpeg", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac",
        "video/mp4", "video/mpeg", "video/mov", "video/avi", "video/x-flv", "video/mpg", "video/webm", "video/wmv", "video/3gpp",
        "application/pdf", "text/plain", "text/html", "text/css", "text/csv", "text/xml", "text/rtf", "text/javascript",
        "application/x-javascript", "text/x-python", "application/x-python", "text/md",
    ]

    /// `max_output_tokens` → `maxOutputTokens` (the JSON names Google's SDKs send).
    static func camelCase(_ name: String) -> String {
        guard name.contains("_") else { return name }
        var result = ""
        var upper = false
        for character in name {
            if character == "_" {
                upper = !result.isEmpty
            } else {
                result.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return result
    }

    /// Gemini's finish reasons, normalised (SAFETY and its relatives are content filters).
    public static func finishReason(_ raw: String) -> FinishReason {
        let kind: FinishReason.Kind = switch raw {
        case "STOP": .stop
        case "MAX_TOKENS": .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": .contentFilter
        default: .other
        }
        return FinishReason(kind: kind, raw: raw)
    }

    /// One GenerateContentResponse: the whole answer, or one stream event (same shape).
    public static func response(from body: [UInt8]) throws(ProviderError) -> ChatResponse {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ProviderError(.internal, "Gemini answered with invalid JSON")
        }
        if let error = object["error"] as? [String: Any] {
            throw ProviderError(.unavailable, "Gemini failed: \(ProviderError.quoted(error["message"] as? String ?? "unknown error"))")
        }
        var response = ChatResponse(parts: [], raw: String(decoding: body, as: UTF8.self))
        if let feedback = object["promptFeedback"] as? [String: Any], let reason = feedback["blockReason"] as? String {
            response.blockReason = reason
        }
        let candidates = (object["candidates"] as? [[String: Any]] ?? []).sorted { ($0["index"] as? Int ?? 0) < ($1["index"] as? Int ?? 0) }
        response.candidates = candidates.map { candidate in
            var parts: [ChatPart] = []
            for (index, part) in ((candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []).enumerated() {
                if part["thought"] as? Bool == true { continue }
                if let text = part["text"] as? String {
                    parts.append(.text(text))
                } else if let call = part["functionCall"] as? [String: Any] {
                    let arguments = (try? JSONSerialization.data(withJSONObject: call["args"] ?? [:], options: [.sortedKeys]))
                        .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    parts.append(.toolCall(id: call["id"] as? String ?? "call_\(index)", name: call["name"] as? String ?? "", arguments: arguments))
                }
            }
            return ChatCandidate(parts: parts, finishReason: (candidate["finishReason"] as? String).map(finishReason))
        }
        if let first = response.candidates.first {
            response.parts = first.parts
            response.finishReason = first.finishReason
        }
        if let usage = object["usageMetadata"] as? [String: Any] {
            response.usage = TokenUsage(
                promptTokens: usage["promptTokenCount"] as? Int ?? 0, completionTokens: usage["candidatesTokenCount"] as? Int ?? 0,
                totalTokens: usage["totalTokenCount"] as? Int ?? 0)
        }
        return response
    }

    /// Google's error body (`{"error": {"code", "message", "status"}}`) as a ProviderError. An
    /// invalid key comes back as 400 INVALID_ARGUMENT with reason API_KEY_INVALID: reported as
    /// UNAUTHENTICATED.
    public static func error(status: Int, body: [UInt8]) -> ProviderError {
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let message = error?["message"] as? String ?? String(decoding: body.prefix(512), as: UTF8.self)
        let details = error?["details"] as? [[String: Any]] ?? []
        if details.contains(where: { $0["reason"] as? String == "API_KEY_INVALID" }) {
            return ProviderError(.unauthenticated, "Gemini \(status): \(ProviderError.quoted(message))")
        }
        return ProviderError(ProviderError.code(forHTTPStatus: status), "Gemini \(status): \(ProviderError.quoted(message))")
    }
}
