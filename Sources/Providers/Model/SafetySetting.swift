/// One Gemini safety setting. Seldon's settings use short category names (`HARASSMENT`, `HATE`,
/// `SEXUAL`, `DANGEROUS`, `CIVIC_INTEGRITY`); the API wants `HARM_CATEGORY_*`. Both are accepted,
/// and anything else is refused with the list of valid names.
public struct SafetySetting: Sendable, Equatable {
    public var category: String
    public var threshold: String
    /// Vertex AI's HarmBlockMethod (`SEVERITY`, `PROBABILITY`); the Developer API has no such field.
    public var method: String?

    public static let methods: Set<String> = ["HARM_BLOCK_METHOD_UNSPECIFIED", "SEVERITY", "PROBABILITY"]

    public static let categories: [String: String] = [
        "HARASSMENT": "HARM_CATEGORY_HARASSMENT",
        "HATE": "HARM_CATEGORY_HATE_SPEECH",
        "HATE_SPEECH": "HARM_CATEGORY_HATE_SPEECH",
        "SEXUAL": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "SEXUALLY_EXPLICIT": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "DANGEROUS": "HARM_CATEGORY_DANGEROUS_CONTENT",
        "DANGEROUS_CONTENT": "HARM_CATEGORY_DANGEROUS_CONTENT",
        "CIVIC_INTEGRITY": "HARM_CATEGORY_CIVIC_INTEGRITY",
    ]

    public static let thresholds: Set<String> = [
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF",
    ]

    /// Normalises a (category, threshold) pair from settings; short or full names, any case.
    public init(category: String, threshold: String, method: String? = nil) throws(ProviderError) {
        if let method, !Self.methods.contains(method.uppercased()) {
            throw ProviderError(.invalidArgument, "unknown safety method '\(method)' (valid: \(Self.methods.sorted().joined(separator: ", ")); Vertex AI only)")
        }
        self.method = method?.uppercased()
        let upper = category.uppercased()
        let full = Self.categories[upper] ?? (Self.categories.values.contains(upper) ? upper : nil)
        guard let full else {
            let valid = Set(Self.categories.keys).union(Self.categories.values).sorted().joined(separator: ", ")
            throw ProviderError(.invalidArgument, "unknown safety category '\(category)' (valid: \(valid))")
        }
        let level = threshold.uppercased()
        guard Self.thresholds.contains(level) else {
            throw ProviderError(.invalidArgument, "unknown safety threshold '\(threshold)' (valid: \(Self.thresholds.sorted().joined(separator: ", ")))")
        }
        self.category = full
        self.threshold = level
    }
}
