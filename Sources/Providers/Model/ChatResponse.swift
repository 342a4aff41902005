/// Token counts, as the providers report them.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }
}

/// Why generation stopped, normalised across providers; `raw` keeps the provider's own word.
public struct FinishReason: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case stop, length, toolCalls = "tool_calls", contentFilter = "content_filter", other
    }

    public var kind: Kind
    public var raw: String

    public init(kind: Kind, raw: String) {
        self.kind = kind
        self.raw = raw
    }
}

/// One of the answers when several were asked for (OpenAI `n`, Gemini `candidateCount`).
public struct ChatCandidate: Sendable, Equatable {
    public var parts: [ChatPart]
    public var finishReason: FinishReason?

    public init(parts: [ChatPart], finishReason: FinishReason? = nil) {
        self.parts = parts
        self.finishReason = finishReason
    }

    /// The text parts, joined.
    public var text: String {
        parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }
}

public struct ChatResponse: Sendable, Equatable {
    /// The first answer's parts (text, tool calls).
    public var parts: [ChatPart]
    public var finishReason: FinishReason?
    /// Every answer, the first included; empty when the provider sent none (a blocked prompt).
    public var candidates: [ChatCandidate] = []
    public var usage: TokenUsage?
    /// Set when the provider refused the prompt (Gemini `promptFeedback.blockReason`).
    public var blockReason: String?
    /// The provider's whole JSON answer, for `output_all`.
    public var raw: String

    public init(parts: [ChatPart], finishReason: FinishReason? = nil, usage: TokenUsage? = nil, blockReason: String? = nil, raw: String = "") {
        self.parts = parts
        self.finishReason = finishReason
        self.usage = usage
        self.blockReason = blockReason
        self.raw = raw
    }

    /// The text parts, joined.
    public var text: String {
        parts.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }
}

/// One event of a streamed answer.
public enum ChatStreamEvent: Sendable, Equatable {
    case text(String)
    /// A piece of a tool call; pieces with the same index belong to one call (OpenAI streams
    /// the arguments in fragments).
    case toolCallDelta(index: Int, id: String?, name: String?, arguments: String)
    case finished(FinishReason)
    case usage(TokenUsage)
    /// The provider's own JSON of one stream event, as received (for `output_all`).
    case raw(String)
}

/// A provider: OpenAI (and Azure, and OpenAI-compatible servers) or Gemini. One file each.
public protocol LLMProvider: Sendable {
    func complete(_ request: ChatRequest, deadline: ContinuousClock.Instant?) async throws -> ChatResponse
    func stream(_ request: ChatRequest, deadline: ContinuousClock.Instant?) -> AsyncThrowingStream<ChatStreamEvent, Error>
}
