import Foundation
import InferWireCore
import Providers

/// How LLM runtimes reach their providers: the provider catalog, the one HTTP engine they share,
/// the environment the keys come from, and a provider simulator to fall back on when a provider
/// has no key.
public struct LLMEnvironment: Sendable {
    /// A provider simulator's base URL (`inferwire simulate`, or the one `inferwire serve`
    /// starts when keys are missing) and the providers it stands in for.
    public struct Simulator: Sendable {
        public var baseURL: String
        /// Provider ids without a key in their usual variables; a model naming its own key
        /// variable (`api_key_env`) never falls back to the simulator.
        public var providers: Set<String>

        public init(baseURL: String, providers: Set<String> = Set(ProviderCatalog.standard.ids)) {
            self.baseURL = baseURL
            self.providers = providers
        }
    }

    public var catalog: ProviderCatalog
    public var engine: CurlEngine
    public var environment: [String: String]
    public var simulator: Simulator?
    public var retry: RetryPolicy

    public init(
        catalog: ProviderCatalog = .standard, engine: CurlEngine, environment: [String: String] = ProcessInfo.processInfo.environment,
        simulator: Simulator? = nil, retry: RetryPolicy = RetryPolicy()
    ) {
        self.catalog = catalog
        self.engine = engine
        self.environment = environment
        self.simulator = simulator
        self.retry = retry
    }

    /// Whether a model of this provider finds a key (else it needs the simulator).
    public func hasKey(for provider: ProviderDescriptor, config: [String: JSONValue] = [:]) -> Bool {
        key(for: provider, config: config, keyVariable: nil) != nil
    }

    /// The key from the model's own variable, else the provider's variables, first match wins.
    func key(for provider: ProviderDescriptor, config: [String: JSONValue], keyVariable: String?) -> Secret? {
        for name in keyVariable.map({ [$0] }) ?? provider.keyVariables(config) {
            if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return Secret(value)
            }
        }
        return nil
    }

    /// The provider client for a model, and whether it is the simulator standing in.
    func provider(for settings: LLMSettings) throws(InferenceError) -> (any LLMProvider, simulated: Bool) {
        let descriptor = settings.provider
        let key = self.key(for: descriptor, config: settings.providerConfig, keyVariable: settings.apiKeyEnv)
        // No key: a server named by base_url (an OpenAI-compatible one) may need none; otherwise
        // the simulator stands in (its address and its key), or the model cannot load.
        var standIn: Simulator?
        if key == nil, settings.baseURL == nil, !descriptor.hasCredentials(settings.providerConfig, environment) {
            guard let simulator, simulator.providers.contains(descriptor.id), settings.apiKeyEnv == nil else {
                let names = settings.apiKeyEnv.map { [$0] } ?? descriptor.keyVariables(settings.providerConfig)
                throw InferenceError(.unavailable, "no API key for \(descriptor.id): set \(names.joined(separator: " or "))")
            }
            standIn = simulator
        }
        let connection = ProviderConnection(
            modelID: settings.modelID, baseURL: settings.baseURL, simulatorURL: standIn?.baseURL,
            apiKey: standIn.map { _ in Secret(descriptor.simulatorKey) } ?? key, config: settings.providerConfig,
            engine: engine, retry: retry, environment: environment)
        do {
            return (try descriptor.make(connection), standIn != nil)
        } catch {
            throw InferenceError(.invalidArgument, error.message)
        }
    }
}
