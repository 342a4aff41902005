import InferWireCore

/// Everything the LLM runtime needs to know about one provider, in one value: adding a provider
/// is its files plus one `ProviderCatalog` line, and nothing outside switches on its name.
public struct ProviderDescriptor: Sendable {
    /// `provider_id` in model-settings.json (`openai`, `gemini`).
    public var id: String
    /// Environment variables that may hold the key, first match wins; `config` is the model's
    /// provider-specific settings (Azure reads its own variables first).
    public var keyVariables: @Sendable (_ config: [String: JSONValue]) -> [String]
    /// The provider's own endpoint, used when the model names no `base_url`.
    public var defaultBaseURL: String
    /// The key the bundled provider simulator accepts for this provider.
    public var simulatorKey: String
    /// Settings in `parameters.extra.config` only this provider reads (e.g. Azure's), checked
    /// at load by `checkConfig`.
    public var configKeys: Set<String>
    public var checkConfig: @Sendable (_ config: [String: JSONValue]) throws(ProviderError) -> Void
    /// Whether the model has credentials other than an API key variable (Google's OAuth files
    /// and tokens): then the simulator does not stand in for it.
    public var hasCredentials: @Sendable (_ config: [String: JSONValue], _ environment: [String: String]) -> Bool
    /// Media types a message may carry inline, and how to say so in an error.
    public var media: MediaSupport
    /// The `llm_parameters` this provider understands and how they fill a request.
    public var parameters: ParameterVocabulary
    /// Where system messages go.
    public var systemMessages: SystemMessagePlacement
    /// Builds the client for one model.
    public var make: @Sendable (ProviderConnection) throws(ProviderError) -> any LLMProvider
    /// The provider's answer (its JSON text) as Seldon's runtime prints it in `output_all`.
    public var seldonOutputAll: @Sendable (String) -> String

    public init(
        id: String, keyVariables: @escaping @Sendable ([String: JSONValue]) -> [String], defaultBaseURL: String,
        simulatorKey: String, configKeys: Set<String> = [],
        checkConfig: @escaping @Sendable ([String: JSONValue]) throws(ProviderError) -> Void = { _ in },
        hasCredentials: @escaping @Sendable ([String: JSONValue], [String: String]) -> Bool = { _, _ in false },
        media: MediaSupport, parameters: ParameterVocabulary, systemMessages: SystemMessagePlacement,
        make: @escaping @Sendable (ProviderConnection) throws(ProviderError) -> any LLMProvider,
        seldonOutputAll: @escaping @Sendable (String) -> String = { $0 }
    ) {
        self.seldonOutputAll = seldonOutputAll
        self.id = id
        self.keyVariables = keyVariables
        self.defaultBaseURL = defaultBaseURL
        self.simulatorKey = simulatorKey
        self.configKeys = configKeys
        self.checkConfig = checkConfig
        self.hasCredentials = hasCredentials
        self.media = media
        self.parameters = parameters
        self.systemMessages = systemMessages
        self.make = make
    }
}

/// What a descriptor's `make` gets: the model, where to send, the key, the shared engine.
public struct ProviderConnection: Sendable {
    public var modelID: String
    /// The model's `base_url`, when it names one.
    public var baseURL: String?
    /// The bundled simulator's root URL when it stands in for this provider (no key).
    public var simulatorURL: String?
    public var apiKey: Secret?
    /// The provider-specific settings (`ProviderDescriptor.configKeys`).
    public var config: [String: JSONValue]
    public var engine: CurlEngine
    public var retry: RetryPolicy
    /// Where credentials variables are read (the process environment, or a test's).
    public var environment: [String: String]

    public init(
        modelID: String, baseURL: String?, simulatorURL: String?, apiKey: Secret?, config: [String: JSONValue],
        engine: CurlEngine, retry: RetryPolicy, environment: [String: String] = [:]
    ) {
        self.environment = environment
        self.modelID = modelID
        self.baseURL = baseURL
        self.simulatorURL = simulatorURL
        self.apiKey = apiKey
        self.config = config
        self.engine = engine
        self.retry = retry
    }
}

public struct MediaSupport: Sendable {
    public var accepts: @Sendable (_ mimeType: String) -> Bool
    /// e.g. "png/jpeg/gif/webp images, wav/mp3 audio and PDF".
    public var summary: String

    public init(accepts: @escaping @Sendable (String) -> Bool, summary: String) {
        self.accepts = accepts
        self.summary = summary
    }
}

public struct ParameterVocabulary: Sendable {
    /// Checks an `llm_parameters` object (`place` names it in errors) and returns it with one
    /// spelling per field, so that merging a request's parameters over a model's replaces
    /// fields instead of sending both spellings.
    public var normalize: @Sendable (_ object: [String: JSONValue], _ place: String) throws(ProviderError) -> [String: JSONValue]
    /// Fills a chat request from normalized parameters.
    public var apply: @Sendable (_ object: [String: JSONValue], _ request: inout ChatRequest) throws(ProviderError) -> Void

    public init(
        normalize: @escaping @Sendable ([String: JSONValue], String) throws(ProviderError) -> [String: JSONValue],
        apply: @escaping @Sendable ([String: JSONValue], inout ChatRequest) throws(ProviderError) -> Void
    ) {
        self.normalize = normalize
        self.apply = apply
    }

    /// An unknown key is an error naming it and the known ones.
    public static func checkKeys(_ object: [String: JSONValue], known: Set<String>, in place: String) throws(ProviderError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ProviderError(.invalidArgument, "\(place).\(unknown) is not a known setting (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// A system instruction given as a string, a list of strings, or Google's `{parts: [{text}]}`.
    public static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .array(let items): return items.map(text(of:)).joined(separator: "\n")
        case .object(let object):
            if case .array(let parts)? = object["parts"] { return parts.compactMap { $0["text"]?.string }.joined(separator: "\n") }
            return value.jsonText
        default: return value.jsonText
        }
    }
}

public enum SystemMessagePlacement: Sendable {
    /// Kept in the conversation as messages (OpenAI).
    case inMessages
    /// Taken out of the conversation into the request's system instruction (Gemini).
    case instruction
}
