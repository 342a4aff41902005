/// Gemini's REST surface is the proto3 JSON mapping: parsers accept the lowerCamelCase name and
/// the original snake_case name of every message field, and the official SDKs send both
/// (`inlineData` holding `mime_type`, `thinking_budget`). Values that are user data (function
/// arguments and responses, JSON schemas) keep their keys as written.
enum GeminiFieldNames {
    /// Fields whose values are free-form JSON, never renamed.
    static let opaque: Set<String> = [
        "args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema",
        "_responseJsonSchema", "example", "default", "labels",
    ]

    static let requestFields: Set<String> = [
        "contents", "systemInstruction", "tools", "toolConfig", "safetySettings", "generationConfig", "cachedContent", "model", "labels",
    ]

    /// Every GenerationConfig field of v1beta, plus the Vertex ones the seeds list (logitBias, echo).
    static let generationConfigFields: Set<String> = [
        "candidateCount", "maxOutputTokens", "topK", "seed", "temperature", "topP", "presencePenalty", "frequencyPenalty",
        "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "_responseJsonSchema", "responseLogprobs",
        "logprobs", "responseModalities", "thinkingConfig", "speechConfig", "imageConfig", "mediaResolution",
        "enableEnhancedCivicAnswers", "logitBias", "echo", "routingConfig", "audioTimestamp",
    ]

    static let categories: Set<String> = [
        "HARM_CATEGORY_UNSPECIFIED", "HARM_CATEGORY_DEROGATORY", "HARM_CATEGORY_TOXICITY", "HARM_CATEGORY_VIOLENCE",
        "HARM_CATEGORY_SEXUAL", "HARM_CATEGORY_MEDICAL", "HARM_CATEGORY_DANGEROUS", "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY",
    ]

    static let thresholds: Set<String> = [
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF",
    ]

    /// The MIME types Gemini takes as inline data; anything else is refused.
    static let inlineMIMETypes: Set<String> = [
        "image/png", "image/jpeg", "image/webp", "image/heic", "image/heif",
        "audio/wav", "audio/mp3", "audio/mpeg", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac",
        "video/mp4", "video/mpeg", "video/mov", "video/avi", "video/x-flv", "video/mpg", "video/webm", "video/wmv", "video/3gpp",
        "application/pdf", "text/plain", "text/html", "text/css", "text/csv", "text/xml", "text/rtf", "text/javascript",
        "application/x-javascript", "text/x-python", "application/x-python", "text/md",
    ]

    /// `mime_type` → `mimeType`; camelCase names pass unchanged.
    static func camelCase(_ name: String) -> String {
        guard name.contains("_"), !name.hasPrefix("_") else { return name }
        var result = ""
        var upper = false
        for character in name {
            if character == "_" {
                upper = true
            } else {
                result.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return result
    }

    /// The request with every message field named in camelCase, free-form values untouched.
    static func normalized(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var result: [String: Any] = [:]
            for (key, child) in object {
                let name = camelCase(key)
                result[name] = opaque.contains(name) ? child : normalized(child)
            }
            return result
        }
        if let list = value as? [Any] { return list.map(normalized) }
        return value
    }
}
