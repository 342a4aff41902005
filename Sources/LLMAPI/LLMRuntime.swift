import Foundation
import InferWireCore
import ProtoWire
import Providers

/// Seldon's `mlserver_llm_api.LLMRuntime` (also `inferwire.LLMRuntime`): chat requests in the V2
/// role/content/type convention answered by OpenAI (and Azure, and compatible servers) or Gemini.
///
/// Request parameters: `llm_parameters` (JSON text; over REST an object, passed on as its text) deep-merged
/// over the model's; `content_type` (a provider id such as `gemini`, or `str`) must match the model's provider.
/// Streaming (ModelStreamInfer): one message per text delta (role, content, type), then a last
/// one with parameter `final: true` carrying the whole answer, `output_all` (the provider's
/// stream events as a JSON list), tool calls, finish reason and token counts.
public struct LLMRuntime: InferenceRuntime {
    public let name: String
    public let version: String
    public let settings: LLMSettings
    /// True when the bundled provider simulator stands in for a provider without a key.
    public let simulated: Bool
    private let provider: any LLMProvider
    private let prompt: PromptTemplate?

    public init(settings modelSettings: ModelSettings, environment: LLMEnvironment) throws(InferenceError) {
        name = modelSettings.name
        version = modelSettings.version
        let parsed = try LLMSettings.parse(modelSettings.extra, catalog: environment.catalog)
        settings = parsed
        (provider, simulated) = try environment.provider(for: parsed)
        if let uri = parsed.promptURI {
            prompt = try PromptTemplate.load(uri: uri, folder: modelSettings.folder, tokens: parsed.promptTokens)
        } else {
            prompt = nil
        }
    }

    /// Registers Seldon's `mlserver_llm_api.LLMRuntime` (and `inferwire.LLMRuntime`), reaching
    /// providers through `environment`.
    public static func register(in factory: inout RuntimeFactory, environment: LLMEnvironment) {
        let make: RuntimeFactory.Make = { settings in try LLMRuntime(settings: settings, environment: environment) }
        factory.register("mlserver_llm_api.LLMRuntime", make)
        factory.register("inferwire.LLMRuntime", make)
    }

    public func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = name
        metadata.versions = version.isEmpty ? [] : [version]
        metadata.platform = "inferwire-llm-\(settings.provider.id)"
        metadata.inputs = ["role", "content", "type"].map { .init(name: $0, datatype: "BYTES", shape: [-1]) }
        metadata.outputs = ["role", "content", "type", "output_all", "tool_calls"].map { .init(name: $0, datatype: "BYTES", shape: [-1, 1]) }
        return metadata
    }

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        let chat = try chatRequest(from: request)
        let answer: ChatResponse
        do {
            answer = try await provider.complete(chat, deadline: ContinuousClock.now + settings.timeout)
        } catch {
            throw Self.upstream(error, provider: settings.provider)
        }
        return ChatTensorEncoder.response(
            candidates: answer.candidates, raw: try outputAll(answer.raw, request), usage: answer.usage, name: name, version: version,
            id: request.id.isEmpty ? context.requestID : request.id)
    }

    /// `output_all` in the model's format, or the request's (`output_all_format` parameter).
    func outputAll(_ raw: String, _ request: ModelInferRequest) throws(InferenceError) -> String {
        var format = settings.outputAllFormat
        if let parameter = request.parameters["output_all_format"] {
            guard case .string(let name)? = parameter.value, let requested = LLMSettings.OutputAllFormat(rawValue: name) else {
                throw InferenceError(.invalidArgument, "parameter output_all_format must be \"seldon\" or \"provider\"")
            }
            format = requested
        }
        return format == .provider ? raw : settings.provider.seldonOutputAll(raw)
    }

    public func inferStream(_ request: ModelInferRequest, context: RequestContext) -> AsyncThrowingStream<ModelInferResponse, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let chat = try chatRequest(from: request)
                    let id = request.id.isEmpty ? context.requestID : request.id
                    var text = ""
                    var raw: [String] = []
                    var calls = ToolCallAccumulator()
                    var finish: FinishReason?
                    var usage: TokenUsage?
                    do {
                        for try await event in provider.stream(chat, deadline: ContinuousClock.now + settings.timeout) {
                            switch event {
                            case .text(let piece):
                                text += piece
                                continuation.yield(ChatTensorEncoder.delta(piece, name: name, version: version, id: id))
                            case .toolCallDelta(let index, let callID, let callName, let arguments):
                                calls.add(index: index, id: callID, name: callName, arguments: arguments)
                            case .finished(let reason): finish = reason
                            case .usage(let value): usage = value
                            case .raw(let json): raw.append(json)
                            }
                        }
                    } catch {
                        throw Self.upstream(error, provider: settings.provider)
                    }
                    let parts: [ChatPart] = (text.isEmpty ? [] : [.text(text)]) + calls.toolCalls
                    var last = ChatTensorEncoder.response(
                        candidates: [ChatCandidate(parts: parts, finishReason: finish)], raw: try outputAll("[" + raw.joined(separator: ",") + "]", request),
                        usage: usage, name: name, version: version, id: id)
                    last.parameters["final"] = .bool(true)
                    continuation.yield(last)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The neutral chat request: messages from the tensors (or the rendered prompt template),
    /// the model's and the request's `llm_parameters`, the system instruction.
    func chatRequest(from request: ModelInferRequest) throws(InferenceError) -> ChatRequest {
        if case .string(let contentType)? = request.parameters["content_type"]?.value,
            !["str", settings.provider.id].contains(contentType) {
            throw InferenceError(.invalidArgument, "parameter content_type \"\(contentType)\" does not match this model's provider \"\(settings.provider.id)\"")
        }
        var parameters = settings.llmParameters
        if let requested = request.parameters["llm_parameters"]?.value {
            guard case .string(let text) = requested, let json = try? JSONValue(jsonText: text) else {
                throw InferenceError(.invalidArgument, "parameter llm_parameters must be a JSON object (sent as a string over the binary protocol)")
            }
            parameters = parameters.merged(with: try LLMParameters(json, provider: settings.provider, place: "parameter llm_parameters"))
        }
        var messages: [ChatMessage]
        if let prompt {
            let role = try request.inputIndex(named: "role").map { index throws(InferenceError) in try request.requireStrings(ofInput: index) }?.first ?? "user"
            messages = [ChatMessage(role: ChatTensorDecoder.roles[role] ?? .user, parts: [.text(try prompt.render(request))])]
        } else {
            messages = try ChatTensorDecoder.messages(from: request, provider: settings.provider, maxMediaBytes: settings.maxMediaBytes)
        }
        var chat = ChatRequest(model: settings.modelID, messages: [])
        try parameters.apply(to: &chat)
        // Some providers take system text as a separate instruction; others as messages, in place.
        if settings.provider.systemMessages == .instruction {
            let system = messages.filter { $0.role == .system }.flatMap(\.parts).compactMap { part -> String? in
                if case .text(let text) = part { text } else { nil }
            }
            if !system.isEmpty {
                chat.systemInstruction = ([chat.systemInstruction].compactMap { $0 } + system).joined(separator: "\n")
            }
            messages.removeAll { $0.role == .system }
            guard !messages.isEmpty else { throw InferenceError(.invalidArgument, "the request has system messages only") }
        }
        chat.messages = messages
        return chat
    }

    /// An upstream failure as the status our client sees, with the provider's message.
    static func upstream(_ error: Error, provider: ProviderDescriptor) -> Error {
        switch error {
        case let error as ProviderError:
            let code: StatusCode = switch error.code {
            case .invalidArgument: .invalidArgument
            case .unauthenticated: .unauthenticated
            case .permissionDenied: .permissionDenied
            case .notFound: .notFound
            case .resourceExhausted: .resourceExhausted
            case .unavailable: .unavailable
            case .deadlineExceeded: .deadlineExceeded
            case .internal: .internal
            }
            return InferenceError(code, "upstream \(provider.id): \(error.message)")
        case let error as HTTPClientError:
            if error.kind == .cancelled { return CancellationError() }
            return InferenceError(error.kind == .timeout ? .deadlineExceeded : .unavailable, "upstream \(provider.id): \(error.message)")
        default:
            return error
        }
    }
}
