import InferWireCore
import Providers

/// `llm_parameters` in the provider's own vocabulary (its catalog entry's
/// `ParameterVocabulary`), from the model's settings and from each request (deep-merged, the
/// request winning). Checked when read, so a misspelt key fails the model's load or the
/// request, never silently.
public struct LLMParameters: Sendable {
    public private(set) var json: JSONValue
    private let vocabulary: ParameterVocabulary

    public init(_ json: JSONValue, provider: ProviderDescriptor, place: String) throws(InferenceError) {
        guard let object = json.object else { throw SettingsCheck.invalid("\(place) must be an object") }
        do {
            self.json = .object(try provider.parameters.normalize(object, place))
        } catch {
            throw SettingsCheck.invalid(error.message)
        }
        vocabulary = provider.parameters
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
        do {
            try vocabulary.apply(json.object ?? [:], &request)
        } catch {
            throw SettingsCheck.invalid(error.message)
        }
    }
}
