/// Bounds on what a decoder accepts, so that a hostile peer cannot make the server allocate or
/// recurse without limit. Every bound is checked before the work it guards.
public struct DecodingLimits: Sendable, Equatable {
    /// Largest encoded message accepted, in bytes.
    public var maxMessageSize: Int
    /// Deepest nesting of embedded messages (and skipped groups); the top-level message is 0.
    public var maxDepth: Int
    /// Most elements in one repeated field or map (packed scalars included).
    public var maxRepeatedCount: Int
    /// Most tensors (inputs, requested outputs, outputs, raw contents) in one message.
    public var maxTensorCount: Int

    public init(
        maxMessageSize: Int = 256 << 20,
        maxDepth: Int = 32,
        maxRepeatedCount: Int = 64 << 20,
        maxTensorCount: Int = 4096
    ) {
        self.maxMessageSize = maxMessageSize
        self.maxDepth = maxDepth
        self.maxRepeatedCount = maxRepeatedCount
        self.maxTensorCount = maxTensorCount
    }

    public static let `default` = DecodingLimits()
}
