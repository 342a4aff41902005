/// The providers a server can reach, by `provider_id`. The LLM runtime looks everything up
/// here; a new provider is its files and one line in `standard` (or a `register` call).
public struct ProviderCatalog: Sendable {
    private var descriptors: [String: ProviderDescriptor] = [:]

    public init() {}

    public static let standard: ProviderCatalog = {
        var catalog = ProviderCatalog()
        catalog.register(OpenAIProvider.descriptor)
        catalog.register(GeminiProvider.descriptor)
        return catalog
    }()

    public mutating func register(_ descriptor: ProviderDescriptor) {
        descriptors[descriptor.id] = descriptor
    }

    public subscript(id: String) -> ProviderDescriptor? { descriptors[id] }

    /// Every provider, by id.
    public var all: [ProviderDescriptor] { descriptors.keys.sorted().map { descriptors[$0]! } }

    public var ids: [String] { descriptors.keys.sorted() }
}
