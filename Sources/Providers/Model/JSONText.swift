import Foundation

/// JSON text from the neutral model (schemas, tool arguments) parsed for a provider's body;
/// `what` names it in the error.
func parseJSONText(_ text: String, _ what: String) throws(ProviderError) -> Any {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
        throw ProviderError(.invalidArgument, "\(what) is not valid JSON")
    }
    return object
}
