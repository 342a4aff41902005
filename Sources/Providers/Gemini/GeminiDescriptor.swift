import InferWireCore

extension GeminiProvider {
    /// Gemini's Developer API.
    public static let descriptor = ProviderDescriptor(
        id: "gemini",
        keyVariables: { _ in APIKeys.environmentNames["gemini"] ?? [] },
        defaultBaseURL: "https://generativelanguage.googleapis.com/v1beta",
        simulatorKey: "sim-gemini-key",
        configKeys: ["vertex_project", "vertex_location", "credentials_file", "access_token_file", "user_project"],
        checkConfig: { config throws(ProviderError) in
            for key in ["vertex_project", "vertex_location", "credentials_file", "access_token_file", "user_project"] {
                if let value = config[key], value.string?.isEmpty != false {
                    throw ProviderError(.invalidArgument, "parameters.extra.config.\(key) must be a non-empty string")
                }
            }
            if config["vertex_location"] != nil, config["vertex_project"] == nil {
                throw ProviderError(.invalidArgument, "parameters.extra.config.vertex_location needs vertex_project (Vertex AI is selected by its project)")
            }
        },
        hasCredentials: { config, environment in
            config["credentials_file"] != nil || config["access_token_file"] != nil
                || !(environment[GoogleAuthorization.credentialsVariable] ?? "").isEmpty
                || !(environment[GoogleAuthorization.accessTokenVariable] ?? "").isEmpty
        },
        media: MediaSupport(accepts: { GeminiFormat.inlineMIMETypes.contains($0) }, summary: "images, audio, video, PDF and text types"),
        parameters: ParameterVocabulary(normalize: normalize, apply: apply),
        systemMessages: .instruction,
        make: make,
        seldonOutputAll: GeminiSeldonShape.outputAll)

    /// The simulator's stand-in OAuth token (it accepts this one without an exchange).
    static let simulatorAccessToken = Secret("sim-access-token")

    /// Vertex AI when `vertex_project` is set (OAuth only), else the Developer API: OAuth when the
    /// settings name a credentials or token file, or when no API key is set and the environment
    /// has `GOOGLE_APPLICATION_CREDENTIALS` / `GOOGLE_OAUTH_ACCESS_TOKEN`; else the API key.
    @Sendable static func make(_ connection: ProviderConnection) throws(ProviderError) -> any LLMProvider {
        let config = connection.config
        if let project = config["vertex_project"]?.string {
            let location = config["vertex_location"]?.string ?? "us-central1"
            if let simulator = connection.simulatorURL {
                return GeminiProvider(endpoint: .vertex(root: simulator, project: project, location: location),
                                      authorization: GoogleAuthorization(.accessToken(simulatorAccessToken)), engine: connection.engine, retry: connection.retry)
            }
            guard let oauth = try GoogleAuthorization.oauth(config: config, environment: connection.environment,
                                                            scopes: GoogleTokenSource.cloudPlatformScopes, engine: connection.engine) else {
                throw ProviderError(.unauthenticated, "Vertex AI takes OAuth only: set config.credentials_file or config.access_token_file, or \(GoogleAuthorization.credentialsVariable)")
            }
            let root = connection.baseURL ?? Endpoint.vertexRoot(location: location)
            return GeminiProvider(endpoint: .vertex(root: root, project: project, location: location), authorization: oauth, engine: connection.engine, retry: connection.retry)
        }
        let baseURL = connection.simulatorURL.map { $0 + "/v1beta" } ?? connection.baseURL ?? "https://generativelanguage.googleapis.com/v1beta"
        let explicit = config["credentials_file"] != nil || config["access_token_file"] != nil
        if connection.simulatorURL == nil, explicit || connection.apiKey == nil,
            let oauth = try GoogleAuthorization.oauth(config: config, environment: connection.environment,
                                                      scopes: GoogleTokenSource.tuningScopes, engine: connection.engine) {
            return GeminiProvider(endpoint: .developer(baseURL: baseURL), authorization: oauth, engine: connection.engine, retry: connection.retry)
        }
        return GeminiProvider(baseURL: baseURL, apiKey: connection.apiKey, engine: connection.engine, retry: connection.retry)
    }

    static let parameterKeys: Set<String> = ["generation_config", "safety_settings", "system_instruction", "tools", "tool_config", "video_metadata"]
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
            normalized["safety_settings"] = .object(Dictionary(settings.map { setting in
                (setting.category, setting.method.map { JSONValue.object(["threshold": .string(setting.threshold), "method": .string($0)]) } ?? .string(setting.threshold))
            }, uniquingKeysWith: { $1 }))
        }
        if let metadata = object["video_metadata"] {
            guard let fields = metadata.object else { throw ProviderError(.invalidArgument, "\(place).video_metadata must be an object (start_offset, end_offset, fps)") }
            var renamed: [String: JSONValue] = [:]
            for key in fields.keys.sorted() {
                let name = snakeCase(key)
                guard ["start_offset", "end_offset", "fps"].contains(name) else {
                    throw ProviderError(.invalidArgument, "\(place).video_metadata.\(key) is not a VideoMetadata field (start_offset, end_offset, fps)")
                }
                renamed[GeminiFormat.camelCase(name)] = fields[key]
            }
            normalized["video_metadata"] = .object(renamed)
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
        if let metadata = object["video_metadata"] { request.videoMetadata = metadata.jsonText }
    }

    static func safetySettings(_ value: JSONValue?, place: String) throws(ProviderError) -> [SafetySetting] {
        var pairs: [(String, String, String?)] = []
        switch value {
        case nil, .null?: return []
        case .object(let map)?:
            for key in map.keys.sorted() {
                // "THRESHOLD", or {"threshold": …, "method": …} (Vertex AI's method).
                guard let threshold = map[key]?.string ?? map[key]?["threshold"]?.string else {
                    throw ProviderError(.invalidArgument, "\(place).\(key) must be a threshold name such as BLOCK_NONE, or {threshold, method}")
                }
                pairs.append((key, threshold, map[key]?["method"]?.string))
            }
        case .array(let list)?:
            for (index, item) in list.enumerated() {
                guard let category = item["category"]?.string, let threshold = item["threshold"]?.string else {
                    throw ProviderError(.invalidArgument, "\(place)[\(index)] needs \"category\" and \"threshold\"")
                }
                pairs.append((category, threshold, item["method"]?.string))
            }
        default:
            throw ProviderError(.invalidArgument, "\(place) must be an object of category: threshold, or a list of {category, threshold}")
        }
        do {
            return try pairs.map { pair throws(ProviderError) in try SafetySetting(category: pair.0, threshold: pair.1, method: pair.2) }
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
