import InferWireCore

extension OpenAIProvider {
    /// OpenAI, Azure OpenAI (`api_type: azure`) and any OpenAI-compatible server (`base_url`).
    public static let descriptor = ProviderDescriptor(
        id: "openai",
        keyVariables: { config in
            let openAI = APIKeys.environmentNames["openai"] ?? []
            return isAzure(config) ? (APIKeys.environmentNames["azure"] ?? []) + openAI : openAI
        },
        defaultBaseURL: "https://api.openai.com/v1",
        simulatorKey: "sim-openai-key",
        configKeys: ["api_type", "azure_endpoint", "azure_deployment", "api_version"],
        checkConfig: { config throws(ProviderError) in
            let apiType = config["api_type"]?.string ?? "open_ai"
            guard ["open_ai", "azure"].contains(apiType) else {
                throw ProviderError(.invalidArgument, "parameters.extra.config.api_type \"\(apiType)\" is not supported (\"open_ai\" or \"azure\"; azure_ad tokens are not)")
            }
            if isAzure(config), config["azure_endpoint"]?.string == nil || config["api_version"]?.string == nil {
                throw ProviderError(.invalidArgument, "Azure OpenAI needs config.azure_endpoint and config.api_version (and azure_deployment, else model_id is the deployment)")
            }
        },
        media: MediaSupport(accepts: OpenAIChatFormat.supports(mimeType:), summary: "png/jpeg/gif/webp images, wav/mp3 audio and PDF"),
        parameters: ParameterVocabulary(
            normalize: { object, place throws(ProviderError) in
                try ParameterVocabulary.checkKeys(object, known: parameterKeys, in: place)
                return object
            },
            apply: { object, request throws(ProviderError) in
                for (key, value) in object where key != "system" {
                    request.requestFields[key] = value.jsonText
                }
                if let system = object["system"] { request.systemInstruction = ParameterVocabulary.text(of: system) }
            }),
        systemMessages: .inMessages,
        make: { connection throws(ProviderError) in
            let config = connection.config
            let endpoint: Endpoint
            if isAzure(config) {
                endpoint = .azure(
                    endpoint: connection.simulatorURL ?? config["azure_endpoint"]?.string ?? "",
                    deployment: config["azure_deployment"]?.string ?? connection.modelID,
                    apiVersion: config["api_version"]?.string ?? "2024-10-21")
            } else {
                endpoint = .openAI(baseURL: connection.simulatorURL.map { $0 + "/v1" } ?? connection.baseURL ?? "https://api.openai.com/v1")
            }
            return OpenAIProvider(endpoint: endpoint, apiKey: connection.apiKey, engine: connection.engine, retry: connection.retry)
        })

    static func isAzure(_ config: [String: JSONValue]) -> Bool {
        config["api_type"]?.string == "azure" || config["azure_endpoint"] != nil
    }

    /// The chat completion fields, and `system` (the system prompt).
    static let parameterKeys: Set<String> = [
        "system", "temperature", "top_p", "n", "max_tokens", "max_completion_tokens", "stop", "presence_penalty",
        "frequency_penalty", "seed", "logprobs", "top_logprobs", "logit_bias", "response_format", "tools", "tool_choice",
        "parallel_tool_calls", "reasoning_effort", "service_tier", "store", "metadata", "modalities", "audio", "prediction",
        "verbosity", "web_search_options", "user", "safety_identifier", "prompt_cache_key",
    ]
}
