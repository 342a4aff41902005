import InferWireCore

extension GeminiProvider {
    /// Gemini's Developer API.
    public static let descriptor = ProviderDescriptor(
        id: "gemini",
        keyVariables: { _ in APIKeys.environmentNames["gemini"] ?? [] },
        defaultBaseURL: "https://generativelanguage.googleapis.com/v1beta",
        simulatorKey: "sim-gemini-key",
        media: MediaSupport(accepts: { GeminiFormat.inlineMIMETypes.contains($0) }, summary: "images, audio, video, PDF and text types"),
        parameters: ParameterVocabulary(normalize: normalize, apply: apply),
        systemMessages: .instruction,
        make: { connection throws(ProviderError) in
            GeminiProvider(
                baseURL: connection.simulatorURL.map { $0 + "/v1beta" } ?? connection.baseURL ?? "https://generativelanguage.googleapis.com/v1beta",
                apiKey: connection.apiKey, engine: connection.engine, retry: connection.retry)
        })

    static let parameterKeys: Set<String> = ["generation_config", "safety_settings", "system_instruction", "tools", "tool_config"]
    static let generationConfigFields: Set<String> = [
        "temperature", "top_p", "top_k", "candidate_count", "max_output_tokens", "stop_sequences", "presence_penalty",
        "frequency_penalty", "seed", "response_mime_type", "response_schema", "response_json_schema", "response_logprobs",
        "logprobs", "response_modalities", "thinking_config", "speech_config", "image_config", "media_resolution", "logit_bias",
        "echo", "enable_enhanced_civic_answers",
    ]

    /// `generation_config` (every GenerationConfig field, snake_case or camelCase),
    /// `safety_settings` (Seldon's short names or the full `HARM_CATEGORY_*`, as a map or
    /// Google's list), `system_instruction`, `tools`, `tool_config`. One spelling per field and
    /// per category, so that a request's `maxOutputTokens` replaces a model's
    /// `max_output_tokens` and `HARASSMENT` replaces `HARM_CATEGORY_HARASSMENT`.
    @Sendable static func normalize(_ object: [String: JSONValue], _ place: String) throws(ProviderError) -> [String: JSONValue] {
        try ParameterVocabulary.checkKeys(object, known: parameterKeys, in: place)
        var normalized = object
        if let config = object["generation_config"] {
            guard let fields = config.object else { throw ProviderError(.invalidArgument, "\(place).generation_config must be an object") }
            var renamed: [String: JSONValue] = [:]
            for key in fields.keys.sorted() {
                guard generationConfigFields.contains(snakeCase(key)) else {
                    throw ProviderError(.invalidArgument, "\(place).generation_config.\(key) is not a Gemini GenerationConfig field (known: \(generationConfigFields.sorted().joined(separator: ", ")))")
                }
                renamed[snakeCase(key)] = fields[key]
            }
            normalized["generation_config"] = .object(renamed)
        }
        if object["safety_settings"] != nil {
            let settings = try safetySettings(object["safety_settings"], place: "\(place).safety_settings")
            normalized["safety_settings"] = .object(Dictionary(settings.map { ($0.category, JSONValue.string($0.threshold)) }, uniquingKeysWith: { $1 }))
        }
        return normalized
    }

    @Sendable static func apply(_ object: [String: JSONValue], _ request: inout ChatRequest) throws(ProviderError) {
        for (key, value) in object["generation_config"]?.object ?? [:] {
            request.parameters.providerFields[key] = value.jsonText
        }
        request.safetySettings = try safetySettings(object["safety_settings"], place: "llm_parameters.safety_settings")
        if let system = object["system_instruction"] { request.systemInstruction = ParameterVocabulary.text(of: system) }
        if let tools = object["tools"] { request.requestFields["tools"] = tools.jsonText }
        if let config = object["tool_config"] { request.requestFields["toolConfig"] = config.jsonText }
    }

    static func safetySettings(_ value: JSONValue?, place: String) throws(ProviderError) -> [SafetySetting] {
        var pairs: [(String, String)] = []
        switch value {
        case nil, .null?: return []
        case .object(let map)?:
            for key in map.keys.sorted() {
                guard let threshold = map[key]?.string else { throw ProviderError(.invalidArgument, "\(place).\(key) must be a threshold name such as BLOCK_NONE") }
                pairs.append((key, threshold))
            }
        case .array(let list)?:
            for (index, item) in list.enumerated() {
                guard let category = item["category"]?.string, let threshold = item["threshold"]?.string else {
                    throw ProviderError(.invalidArgument, "\(place)[\(index)] needs \"category\" and \"threshold\"")
                }
                pairs.append((category, threshold))
            }
        default:
            throw ProviderError(.invalidArgument, "\(place) must be an object of category: threshold, or a list of {category, threshold}")
        }
        do {
            return try pairs.map { pair throws(ProviderError) in try SafetySetting(category: pair.0, threshold: pair.1) }
        } catch {
            throw ProviderError(.invalidArgument, "\(place): \(error.message)")
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
