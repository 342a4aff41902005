import Foundation
import InferWireCore
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
/// typo never silently changes what a model does. The provider is looked up in the
/// `ProviderCatalog`: its entry says which extra settings and `llm_parameters` it reads.
public struct LLMSettings: Sendable {
    public var provider: ProviderDescriptor
    public var modelID: String
    public var modelType: String
    /// The model's `llm_parameters`, checked against the provider's vocabulary.
    public var llmParameters: LLMParameters
    /// Settings only this provider reads (`ProviderDescriptor.configKeys`), e.g. Azure's.
    public var providerConfig: [String: JSONValue]
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
    /// `output_all` as Seldon's runtime prints it (`seldon`, the default: Gemini's answer in
    /// snake_case with enum numbers) or the provider's JSON as it arrived (`provider`).
    public var outputAllFormat: OutputAllFormat = .seldon

    public enum OutputAllFormat: String, Sendable, CaseIterable {
        case seldon, provider
    }

    static let extraKeys: Set<String> = ["provider_id", "config", "prompt_utils"]
    static let configKeys: Set<String> = [
        "model_id", "model_type", "llm_parameters", "base_url", "api_key_env", "timeout_seconds", "max_media_bytes", "output_all_format",
    ]
    static let promptUtilsKeys: Set<String> = ["prompt_options", "tensor_name_outputs", "model_type"]
    static let promptOptionsKeys: Set<String> = ["uri", "tokens", "type"]

    public static func parse(_ extra: [String: JSONValue], catalog: ProviderCatalog = .standard) throws(InferenceError) -> LLMSettings {
        try SettingsCheck.keys(extra, known: extraKeys, in: "parameters.extra")
        let known = catalog.ids.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let providerName = extra["provider_id"]?.string else {
            throw SettingsCheck.invalid("parameters.extra.provider_id is missing (\(known))")
        }
        guard let provider = catalog[providerName] else {
            throw SettingsCheck.invalid("parameters.extra.provider_id \"\(providerName)\" is not supported (\(known))")
        }
        guard let config = extra["config"]?.object else { throw SettingsCheck.invalid("parameters.extra.config is missing or not an object") }
        try SettingsCheck.keys(config, known: configKeys.union(provider.configKeys), in: "parameters.extra.config")
        guard let modelID = config["model_id"]?.string, !modelID.isEmpty else {
            throw SettingsCheck.invalid("parameters.extra.config.model_id is missing")
        }
        let modelType = config["model_type"]?.string ?? "chat.completions"
        guard modelType == "chat.completions" else {
            throw SettingsCheck.invalid("parameters.extra.config.model_type \"\(modelType)\" is not supported yet (only \"chat.completions\")")
        }
        let providerConfig = config.filter { provider.configKeys.contains($0.key) }
        do {
            try provider.checkConfig(providerConfig)
        } catch {
            throw SettingsCheck.invalid(error.message)
        }
        let timeout = try SettingsCheck.positive(config["timeout_seconds"], default: 600, max: 86_400, "parameters.extra.config.timeout_seconds")
        let maxMedia = try SettingsCheck.positive(config["max_media_bytes"], default: Double(20 << 20), max: Double(1 << 32), "parameters.extra.config.max_media_bytes")
        var settings = LLMSettings(
            provider: provider, modelID: modelID, modelType: modelType,
            llmParameters: try LLMParameters(config["llm_parameters"] ?? .object([:]), provider: provider, place: "parameters.extra.config.llm_parameters"),
            providerConfig: providerConfig, baseURL: config["base_url"]?.string, apiKeyEnv: config["api_key_env"]?.string,
            timeout: .milliseconds(Int64(timeout * 1000)), maxMediaBytes: Int(maxMedia),
            promptURI: nil, promptTokens: [:])
        if let format = config["output_all_format"] {
            guard let name = format.string, let value = OutputAllFormat(rawValue: name) else {
                throw SettingsCheck.invalid("parameters.extra.config.output_all_format must be \"seldon\" or \"provider\"")
            }
            settings.outputAllFormat = value
        }
        if let promptUtils = extra["prompt_utils"] {
            guard let object = promptUtils.object else { throw SettingsCheck.invalid("parameters.extra.prompt_utils must be an object") }
            try SettingsCheck.keys(object, known: promptUtilsKeys, in: "parameters.extra.prompt_utils")
            if let options = object["prompt_options"] {
                guard let options = options.object else { throw SettingsCheck.invalid("prompt_utils.prompt_options must be an object") }
                try SettingsCheck.keys(options, known: promptOptionsKeys, in: "parameters.extra.prompt_utils.prompt_options")
                guard let uri = options["uri"]?.string, !uri.isEmpty else { throw SettingsCheck.invalid("prompt_utils.prompt_options.uri is missing") }
                if let type = options["type"]?.string, type != "jinja" {
                    throw SettingsCheck.invalid("prompt_utils.prompt_options.type \"\(type)\" is not supported (\"jinja\")")
                }
                settings.promptURI = uri
                for (key, value) in options["tokens"]?.object ?? [:] {
                    settings.promptTokens[key] = value.string ?? value.jsonText
                }
            }
        }
        return settings
    }
}
