import Foundation

/// A secret such as an API key: its text is reachable only through `reveal()`, and printing it
/// (logs, errors, test output, `String(describing:)`) shows `<redacted>`.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The key itself, for the one header that needs it.
    public func reveal() -> String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Where provider API keys come from: the environment (the names Seldon's runtime reads, then
/// the providers' own), or a file.
public enum APIKeys {
    /// Environment variables per provider, first match wins.
    public static let environmentNames: [String: [String]] = [
        "openai": ["MLSERVER_MODEL_OPENAI_API_KEY", "OPENAI_API_KEY"],
        "azure": ["MLSERVER_MODEL_AZURE_API_KEY", "AZURE_OPENAI_API_KEY"],
        "gemini": ["MLSERVER_MODEL_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"],
    ]

    /// The key for `provider`: from `file` when given, else the environment; nil when none is
    /// set (the runtime then uses the bundled simulator).
    public static func resolve(
        provider: String, environment: [String: String] = ProcessInfo.processInfo.environment, file: String? = nil
    ) throws(ProviderError) -> Secret? {
        if let file {
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else {
                throw ProviderError(.unauthenticated, "the API key file '\(file)' cannot be read or is empty")
            }
            return Secret(text)
        }
        for name in environmentNames[provider.lowercased()] ?? [] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return Secret(value)
            }
        }
        return nil
    }
}
