import Foundation
import InferWireProtocol
import Providers

/// How LLM runtimes reach their providers: the one HTTP engine they share, the environment the
/// keys come from, and a provider simulator to fall back on when a provider has no key.
public struct LLMEnvironment: Sendable {
    /// A provider simulator's base URL and the keys it accepts (`inferwire simulate`, or the one
    /// `inferwire serve` starts when keys are missing).
    public struct Simulator: Sendable {
        public var baseURL: String
        public var openAIKey: String
        public var geminiKey: String
        /// The providers it stands in for (those without a key in their usual variables); a
        /// model naming its own key variable (`api_key_env`) never falls back to it.
        public var providers: Set<LLMSettings.Provider>

        public init(
            baseURL: String, openAIKey: String = "sim-openai-key", geminiKey: String = "sim-gemini-key",
            providers: Set<LLMSettings.Provider> = Set(LLMSettings.Provider.allCases)
        ) {
            self.baseURL = baseURL
            self.openAIKey = openAIKey
            self.geminiKey = geminiKey
            self.providers = providers
        }
    }

    public var engine: CurlEngine
    public var environment: [String: String]
    public var simulator: Simulator?
    public var retry: RetryPolicy

    public init(engine: CurlEngine, environment: [String: String] = ProcessInfo.processInfo.environment, simulator: Simulator? = nil, retry: RetryPolicy = RetryPolicy()) {
        self.engine = engine
        self.environment = environment
        self.simulator = simulator
        self.retry = retry
    }

    /// Whether a model of this provider finds a key (else it needs the simulator).
    public func hasKey(for provider: LLMSettings.Provider, azure: Bool = false, keyVariable: String? = nil) -> Bool {
        (try? key(for: provider, azure: azure, keyVariable: keyVariable)) != nil
    }

    func key(for provider: LLMSettings.Provider, azure: Bool, keyVariable: String?) throws(ProviderError) -> Secret? {
        if let keyVariable {
            let value = environment[keyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return value.isEmpty ? nil : Secret(value)
        }
        let name = provider == .gemini ? "gemini" : (azure ? "azure" : "openai")
        if let found = try APIKeys.resolve(provider: name, environment: environment) { return found }
        return azure ? try APIKeys.resolve(provider: "openai", environment: environment) : nil
    }

    /// The provider client for a model, and whether it is the simulator standing in.
    func provider(for settings: LLMSettings) throws(InferenceError) -> (any LLMProvider, simulated: Bool) {
        let azure = settings.apiType == "azure"
        let key: Secret?
        do {
            key = try self.key(for: settings.provider, azure: azure, keyVariable: settings.apiKeyEnv)
        } catch {
            throw InferenceError(.unauthenticated, error.message)
        }
        // No key: an OpenAI-compatible server named by base_url may need none; otherwise the
        // simulator stands in (its address and its keys), or the model cannot load.
        var standIn: Simulator?
        if key == nil, settings.baseURL == nil || azure {
            guard let simulator, simulator.providers.contains(settings.provider), settings.apiKeyEnv == nil else {
                let names = settings.apiKeyEnv.map { [$0] } ?? APIKeys.environmentNames[settings.provider == .gemini ? "gemini" : (azure ? "azure" : "openai")] ?? []
                throw InferenceError(.unavailable, "no API key for \(settings.provider.rawValue): set \(names.joined(separator: " or "))")
            }
            standIn = simulator
        }
        switch settings.provider {
        case .gemini:
            let baseURL = standIn.map { $0.baseURL + "/v1beta" } ?? settings.baseURL ?? "https://generativelanguage.googleapis.com/v1beta"
            return (GeminiProvider(baseURL: baseURL, apiKey: standIn.map { Secret($0.geminiKey) } ?? key, engine: engine, retry: retry), standIn != nil)
        case .openai:
            // Azure settings always carry azure_endpoint and api_version (LLMSettings.parse).
            let endpoint: OpenAIProvider.Endpoint = azure
                ? .azure(endpoint: standIn?.baseURL ?? settings.azureEndpoint ?? "", deployment: settings.azureDeployment ?? settings.modelID,
                         apiVersion: settings.apiVersion ?? "2024-10-21")
                : .openAI(baseURL: standIn.map { $0.baseURL + "/v1" } ?? settings.baseURL ?? "https://api.openai.com/v1")
            return (OpenAIProvider(endpoint: endpoint, apiKey: standIn.map { Secret($0.openAIKey) } ?? key, engine: engine, retry: retry), standIn != nil)
        }
    }
}
