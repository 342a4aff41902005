import Foundation
import InferWireProtocol
import Providers

/// `parameters.extra` of an `mlserver_llm_api.LLMRuntime` model, as Seldon writes it:
///
/// ```json
/// {"provider_id": "gemini",
///  "config": {"model_id": "gemini-1.5-flash", "model_type": "chat.completions",
///             "llm_parameters": {"generation_config": {"temperature": 0.7},
///                                "safety_settings": {"HARASSMENT": "BLOCK_LOW_AND_ABOVE"},
///                                "system_instruction": "You are a cat"}},
///  "prompt_utils": {"prompt_options": {"uri": "code.jinja"}}}
/// ```
///
/// Every key is checked at load: an unknown one is an error naming it and the known ones, so a
/// typo never silently changes what a model does.
public struct LLMSettings: Sendable, Equatable {
    public enum Provider: String, Sendable, CaseIterable {
        case openai, gemini
    }

    public var provider: Provider
    public var modelID: String
    public var modelType: String
    /// The model's `llm_parameters`, checked against the provider's vocabulary.
    public var llmParameters: LLMParameters
    /// OpenAI: `open_ai` (default) or `azure`.
    public var apiType: String
    public var azureEndpoint: String?
    public var azureDeployment: String?
    public var apiVersion: String?
    /// Any OpenAI-compatible server (vLLM, llama.cpp, Ollama) or another Gemini endpoint.
    public var baseURL: String?
    /// The environment variable holding the key, when not the provider's usual ones.
    public var apiKeyEnv: String?
    /// Upper bound for one call, retries included.
    public var timeout: Duration
    /// Largest media element accepted in a request.
    public var maxMediaBytes: Int
    /// `prompt_utils.prompt_options`: a template file relative to the model folder.
    public var promptURI: String?
    public var promptTokens: [String: String]

    static let extraKeys: Set<String> = ["provider_id", "config", "prompt_utils"]
    static let configKeys: Set<String> = [
        "model_id", "model_type", "llm_parameters", "api_type", "azure_endpoint", "azure_deployment", "api_version",
        "base_url", "api_key_env", "timeout_seconds", "max_media_bytes",
    ]
    static let promptUtilsKeys: Set<String> = ["prompt_options", "tensor_name_outputs", "model_type"]
    static let promptOptionsKeys: Set<String> = ["uri", "tokens", "type"]

    public static func parse(_ extra: [String: JSONValue]) throws(InferenceError) -> LLMSettings {
        try checkKeys(extra, known: extraKeys, in: "parameters.extra")
        guard let providerName = extra["provider_id"]?.string else {
            throw invalid("parameters.extra.provider_id is missing (\"openai\" or \"gemini\")")
        }
        guard let provider = Provider(rawValue: providerName) else {
            throw invalid("parameters.extra.provider_id \"\(providerName)\" is not supported (\"openai\" or \"gemini\")")
        }
        guard let config = extra["config"]?.object else { throw invalid("parameters.extra.config is missing or not an object") }
        try checkKeys(config, known: configKeys, in: "parameters.extra.config")
        guard let modelID = config["model_id"]?.string, !modelID.isEmpty else {
            throw invalid("parameters.extra.config.model_id is missing")
        }
        let modelType = config["model_type"]?.string ?? "chat.completions"
        guard modelType == "chat.completions" else {
            throw invalid("parameters.extra.config.model_type \"\(modelType)\" is not supported yet (only \"chat.completions\")")
        }
        let apiType = config["api_type"]?.string ?? "open_ai"
        guard ["open_ai", "azure"].contains(apiType) else {
            throw invalid("parameters.extra.config.api_type \"\(apiType)\" is not supported (\"open_ai\" or \"azure\"; azure_ad tokens are not)")
        }
        if apiType == "azure" || config["azure_endpoint"] != nil {
            guard provider == .openai else { throw invalid("azure settings apply to provider_id \"openai\" only") }
            guard config["azure_endpoint"]?.string != nil, config["api_version"]?.string != nil else {
                throw invalid("Azure OpenAI needs config.azure_endpoint and config.api_version (and azure_deployment, else model_id is the deployment)")
            }
        }
        let timeout = try positive(config["timeout_seconds"], default: 600, max: 86_400, "parameters.extra.config.timeout_seconds")
        let maxMedia = try positive(config["max_media_bytes"], default: Double(20 << 20), max: Double(1 << 32), "parameters.extra.config.max_media_bytes")
        var settings = LLMSettings(
            provider: provider, modelID: modelID, modelType: modelType,
            llmParameters: try LLMParameters(config["llm_parameters"] ?? .object([:]), provider: provider, place: "parameters.extra.config.llm_parameters"),
            apiType: config["azure_endpoint"] != nil ? "azure" : apiType, azureEndpoint: config["azure_endpoint"]?.string,
            azureDeployment: config["azure_deployment"]?.string, apiVersion: config["api_version"]?.string,
            baseURL: config["base_url"]?.string, apiKeyEnv: config["api_key_env"]?.string,
            timeout: .milliseconds(Int64(timeout * 1000)), maxMediaBytes: Int(maxMedia),
            promptURI: nil, promptTokens: [:])
        if let promptUtils = extra["prompt_utils"] {
            guard let object = promptUtils.object else { throw invalid("parameters.extra.prompt_utils must be an object") }
            try checkKeys(object, known: promptUtilsKeys, in: "parameters.extra.prompt_utils")
            if let options = object["prompt_options"] {
                guard let options = options.object else { throw invalid("prompt_utils.prompt_options must be an object") }
                try checkKeys(options, known: promptOptionsKeys, in: "parameters.extra.prompt_utils.prompt_options")
                guard let uri = options["uri"]?.string, !uri.isEmpty else { throw invalid("prompt_utils.prompt_options.uri is missing") }
                if let type = options["type"]?.string, type != "jinja" {
                    throw invalid("prompt_utils.prompt_options.type \"\(type)\" is not supported (\"jinja\")")
                }
                settings.promptURI = uri
                for (key, value) in options["tokens"]?.object ?? [:] {
                    settings.promptTokens[key] = value.string ?? value.jsonText
                }
            }
        }
        return settings
    }

    /// A positive finite number up to `max`, or the default when absent.
    static func positive(_ value: JSONValue?, default fallback: Double, max: Double, _ place: String) throws(InferenceError) -> Double {
        guard let value else { return fallback }
        guard let number = value.number, number.isFinite, number > 0, number <= max else {
            throw invalid("\(place) must be a positive number up to \(Int(max))")
        }
        return number
    }

    static func checkKeys(_ object: [String: JSONValue], known: Set<String>, in place: String) throws(InferenceError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("\(place).\(unknown) is not a known setting (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidArgument, message)
    }
}
