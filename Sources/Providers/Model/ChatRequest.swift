import NIOCore

/// The provider-neutral request the LLM runtime builds and every provider translates to its own
/// wire format (OpenAI chat completions, Gemini generateContent).

public enum ChatRole: String, Sendable, Equatable, CaseIterable {
    case system
    case user
    case assistant
    case tool
}

/// One part of a message. Inline data stays raw bytes until a provider's JSON forces base64: a
/// ByteBuffer, so the bytes that arrived in the client's frame are the bytes base64 reads,
/// never copied on the way (docs/CONVENTIONS.md §4).
public enum ChatPart: Sendable, Equatable {
    case text(String)
    case inlineData(mimeType: String, data: ByteBuffer)
    case fileURI(String, mimeType: String?)
    /// A call the model asked for; `arguments` is JSON text.
    case toolCall(id: String, name: String, arguments: String)
    /// The result of a tool call, sent back to the model; `content` is the tool's output.
    case toolResult(id: String, name: String, content: String)
}

extension ChatPart {
    /// Inline data from an array (tests, files read whole).
    public static func inlineData(mimeType: String, bytes: [UInt8]) -> ChatPart {
        .inlineData(mimeType: mimeType, data: ByteBuffer(bytes: bytes))
    }
}

public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var parts: [ChatPart]

    public init(role: ChatRole, parts: [ChatPart]) {
        self.role = role
        self.parts = parts
    }

    public static func text(_ role: ChatRole, _ text: String) -> ChatMessage {
        ChatMessage(role: role, parts: [.text(text)])
    }
}

/// Generation parameters common to the providers; each maps the ones its API has (Gemini's
/// `generationConfig`, OpenAI's top-level fields). nil = the provider's default.
public struct GenerationParameters: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var maxOutputTokens: Int?
    public var stopSequences: [String]?
    public var candidateCount: Int?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var seed: Int?
    /// e.g. "application/json" (Gemini `responseMimeType`, OpenAI `response_format`).
    public var responseMimeType: String?
    /// JSON Schema text for structured output.
    public var responseSchema: String?
    /// Generation fields in the provider's own vocabulary, each value JSON text, sent as given
    /// after the typed ones (Gemini: inside `generationConfig`, snake_case names turned to
    /// camelCase; OpenAI: top-level fields). Settings such as Seldon's `llm_parameters` travel
    /// this way, so every field the provider has works without a typed twin here.
    public var providerFields: [String: String] = [:]

    public init() {}
}

/// A tool the model may call; `parameters` is a JSON Schema as JSON text.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: String

    public init(name: String, description: String, parameters: String) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

public struct ChatRequest: Sendable, Equatable {
    /// The provider's model id (e.g. "gpt-4o", "gemini-2.0-flash").
    public var model: String
    public var messages: [ChatMessage]
    public var systemInstruction: String?
    public var parameters: GenerationParameters
    public var safetySettings: [SafetySetting]
    public var tools: [ToolDefinition]
    /// Top-level fields of the provider's request body in its own vocabulary (JSON text per
    /// field), written after everything else: OpenAI's sampling fields and `tools`, Gemini's
    /// `tools` and `toolConfig`.
    public var requestFields: [String: String] = [:]
    /// Gemini's `videoMetadata` (JSON object text: `startOffset`, `endOffset`, `fps`), put on every
    /// video part of the request (`llm_parameters.video_metadata`).
    public var videoMetadata: String?

    public init(
        model: String, messages: [ChatMessage], systemInstruction: String? = nil,
        parameters: GenerationParameters = GenerationParameters(), safetySettings: [SafetySetting] = [],
        tools: [ToolDefinition] = []
    ) {
        self.model = model
        self.messages = messages
        self.systemInstruction = systemInstruction
        self.parameters = parameters
        self.safetySettings = safetySettings
        self.tools = tools
    }
}
