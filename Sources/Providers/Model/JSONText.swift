import Foundation

/// JSON text from the neutral model (schemas, tool arguments) checked once and carried into a
/// provider's body as is; `what` names it in the error.
func parseJSONText(_ text: String, _ what: String) throws(ProviderError) -> RawJSON {
    guard (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil else {
        throw ProviderError(.invalidArgument, "\(what) is not valid JSON")
    }
    return RawJSON(text: text)
}
