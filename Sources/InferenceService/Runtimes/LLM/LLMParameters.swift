import InferWireProtocol
import Providers

/// `llm_parameters` in the provider's own vocabulary, from the model's settings and from each
/// request (deep-merged, the request winning). Checked when read, so a misspelt key fails the
/// model's load or the request, never silently.
///
/// - Gemini: `generation_config` (every GenerationConfig field, snake_case or camelCase),
///   `safety_settings` (`{"HARASSMENT": "BLOCK_NONE"}` with Seldon's short names or the full
///   `HARM_CATEGORY_*`, or Google's list of `{category, threshold}`), `system_instruction`,
///   `tools`, `tool_config`.
/// - OpenAI: the chat completion fields (`temperature`, `max_tokens`, `n`, `tools`, …) and
///   `system`, the system prompt.
public struct LLMParameters: Sendable, Equatable {
    public private(set) var json: JSONValue
    public let provider: LLMSettings.Provider

    static let geminiKeys: Set<String> = ["generation_config", "safety_settings", "system_instruction", "tools", "tool_config"]
    static let geminiGenerationConfig: Set<String> = [
        "temperature", "top_p", "top_k", "candidate_count", "max_output_tokens", "stop_sequences", "presence_penalty",
        "frequency_penalty", "seed", "response_mime_type", "response_schema", "response_json_schema", "response_logprobs",
        "logprobs", "response_modalities", "thinking_config", "speech_config", "image_config", "media_resolution", "logit_bias",
        "echo", "enable_enhanced_civic_answers",
    ]
    static let openAIKeys: Set<String> = [
        "system", "temperature", "top_p", "n", "max_tokens", "max_completion_tokens", "stop", "presence_penalty",
        "frequency_penalty", "seed", "logprobs", "top_logprobs", "logit_bias", "response_format", "tools", "tool_choice",
        "parallel_tool_calls", "reasoning_effort", "service_tier", "store", "metadata", "modalities", "audio", "prediction",
        "verbosity", "web_search_options", "user", "safety_identifier", "prompt_cache_key",
    ]

    public init(_ json: JSONValue, provider: LLMSettings.Provider, place: String) throws(InferenceError) {
        guard let object = json.object else { throw LLMSettings.invalid("\(place) must be an object") }
        switch provider {
        case .gemini:
            try LLMSettings.checkKeys(object, known: Self.geminiKeys, in: place)
            if let config = object["generation_config"] {
                guard let fields = config.object else { throw LLMSettings.invalid("\(place).generation_config must be an object") }
                for key in fields.keys.sorted() where !Self.geminiGenerationConfig.contains(Self.snakeCase(key)) {
                    throw LLMSettings.invalid("\(place).generation_config.\(key) is not a Gemini GenerationConfig field (known: \(Self.geminiGenerationConfig.sorted().joined(separator: ", ")))")
                }
            }
            // One spelling per field and per category before any merge, so that a request's
            // `maxOutputTokens` replaces a model's `max_output_tokens` and `HARASSMENT` replaces
            // `HARM_CATEGORY_HARASSMENT`, instead of both being sent.
            var normalized = object
            if let config = object["generation_config"]?.object {
                var fields: [String: JSONValue] = [:]
                for (key, value) in config { fields[Self.snakeCase(key)] = value }
                normalized["generation_config"] = .object(fields)
            }
            if object["safety_settings"] != nil {
                let settings = try Self.safetySettings(object["safety_settings"], place: "\(place).safety_settings")
                normalized["safety_settings"] = .object(Dictionary(settings.map { ($0.category, JSONValue.string($0.threshold)) }, uniquingKeysWith: { $1 }))
            }
            self.json = .object(normalized)
        case .openai:
            try LLMSettings.checkKeys(object, known: Self.openAIKeys, in: place)
            self.json = json
        }
        self.provider = provider
    }

    /// The request's parameters laid over these.
    public func merged(with request: LLMParameters) -> LLMParameters {
        var result = self
        result.json = json.merged(with: request.json)
        return result
    }

    /// Fills the chat request: system prompt, safety settings, and every other field passed
    /// through in the provider's vocabulary.
    func apply(to request: inout ChatRequest) throws(InferenceError) {
        let object = json.object ?? [:]
        switch provider {
        case .gemini:
            for (key, value) in object["generation_config"]?.object ?? [:] {
                request.parameters.providerFields[key] = value.jsonText
            }
            request.safetySettings = try Self.safetySettings(object["safety_settings"], place: "llm_parameters.safety_settings")
            if let system = object["system_instruction"] { request.systemInstruction = Self.text(of: system) }
            if let tools = object["tools"] { request.requestFields["tools"] = tools.jsonText }
            if let config = object["tool_config"] { request.requestFields["toolConfig"] = config.jsonText }
        case .openai:
            for (key, value) in object where key != "system" {
                request.requestFields[key] = value.jsonText
            }
            if let system = object["system"] { request.systemInstruction = Self.text(of: system) }
        }
    }

    /// A system instruction given as a string, a list of strings, or Google's `{parts: [{text}]}`.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .array(let items): return items.map(text(of:)).joined(separator: "\n")
        case .object(let object):
            if case .array(let parts)? = object["parts"] { return parts.compactMap { $0["text"]?.string }.joined(separator: "\n") }
            return value.jsonText
        default: return value.jsonText
        }
    }

    static func safetySettings(_ value: JSONValue?, place: String) throws(InferenceError) -> [SafetySetting] {
        var pairs: [(String, String)] = []
        switch value {
        case nil, .null?: return []
        case .object(let map)?:
            for key in map.keys.sorted() {
                guard let threshold = map[key]?.string else { throw LLMSettings.invalid("\(place).\(key) must be a threshold name such as BLOCK_NONE") }
                pairs.append((key, threshold))
            }
        case .array(let list)?:
            for (index, item) in list.enumerated() {
                guard let category = item["category"]?.string, let threshold = item["threshold"]?.string else {
                    throw LLMSettings.invalid("\(place)[\(index)] needs \"category\" and \"threshold\"")
                }
                pairs.append((category, threshold))
            }
        default:
            throw LLMSettings.invalid("\(place) must be an object of category: threshold, or a list of {category, threshold}")
        }
        do {
            return try pairs.map { pair throws(ProviderError) in try SafetySetting(category: pair.0, threshold: pair.1) }
        } catch {
            throw LLMSettings.invalid("\(place): \(error.message)")
        }
    }

    /// `maxOutputTokens` → `max_output_tokens`, to check either spelling against one list.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
