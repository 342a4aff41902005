import ExtrasBase64
import InferWireCore
import NIOCore
import ProtoWire
import V2JSON

/// An OpenAI chat completion request (`POST /v1/chat/completions`) as the V2 chat convention of
/// the LLM runtime: `role`, `content`, `type` tensors and `llm_parameters`.
///
/// One message travels in the single-message form, media as raw bytes (`data:` URIs and
/// `input_audio` decoded here, once); several travel in the multi-turn form, one JSON list per
/// message, where media stay base64 (JSON cannot hold bytes; the runtime decodes them once).
/// Sampling fields and tools become `llm_parameters` in the model's provider's vocabulary.
struct OpenAIChatRequest {
    var model: String
    var stream: Bool
    var includeUsage: Bool
    var message: ModelInferRequest

    private struct Part {
        var type: String
        var bytes: [UInt8]
        var base64: String?
    }

    init(_ json: JSONDocument, provider: String?) throws(InferenceError) {
        guard case .object(let members) = json else { throw Self.invalid("the request must be a JSON object") }
        guard case .string(let model)? = json["model"], !model.isEmpty else { throw Self.invalid("\"model\" is required") }
        self.model = model
        stream = json["stream"] == .bool(true)
        includeUsage = json["stream_options"]?["include_usage"] == .bool(true)
        guard case .array(let messages)? = json["messages"], !messages.isEmpty else {
            throw Self.invalid("\"messages\" must be a non-empty array")
        }
        var roles: [String] = []
        var turns: [[Part]] = []
        for (index, message) in messages.enumerated() {
            guard case .string(var role)? = message["role"] else { throw Self.invalid("messages[\(index)].role is required") }
            if role == "developer" { role = "system" }
            guard ["system", "user", "assistant"].contains(role) else {
                throw Self.invalid("messages[\(index)]: role \"\(role)\" is not supported (system, developer, user, assistant)")
            }
            if message["tool_calls"] != nil { throw Self.invalid("messages[\(index)]: assistant tool_calls turns are not supported yet") }
            roles.append(role)
            turns.append(try Self.parts(message["content"], place: "messages[\(index)].content"))
        }
        var request = ModelInferRequest()
        request.modelName = model
        if turns.count == 1 {
            let parts = turns[0]
            request.inputs = [
                .init(name: "role", datatype: "BYTES", shape: [1]), .init(name: "content", datatype: "BYTES", shape: [1, Int64(parts.count)]),
                .init(name: "type", datatype: "BYTES", shape: [1, Int64(parts.count)]),
            ]
            request.rawInputContents = [
                BytesElements.encode(strings: roles), BytesElements.encode(parts.map(\.bytes)), BytesElements.encode(strings: parts.map(\.type)),
            ]
        } else {
            let contents = turns.map { parts in JSONDocument.array(parts.map { .string($0.base64 ?? String(decoding: $0.bytes, as: UTF8.self)) }).serialized() }
            let types = turns.map { parts in JSONDocument.array(parts.map { .string($0.type) }).serialized() }
            let count = Int64(turns.count)
            request.inputs = ["role", "content", "type"].map { .init(name: $0, datatype: "BYTES", shape: [count]) }
            request.rawInputContents = [BytesElements.encode(strings: roles), BytesElements.encode(strings: contents), BytesElements.encode(strings: types)]
        }
        let parameters = try Self.llmParameters(members, provider: provider)
        if !parameters.isEmpty { request.parameters["llm_parameters"] = .string(JSONDocument.object(parameters).serialized()) }
        message = request
    }

    private static func parts(_ content: JSONDocument?, place: String) throws(InferenceError) -> [Part] {
        switch content {
        case .string(let text)?: return [Part(type: "text", bytes: Array(text.utf8))]
        case .array(let items)?:
            var parts: [Part] = []
            for (index, item) in items.enumerated() {
                let at = "\(place)[\(index)]"
                switch item["type"] {
                case .string("text")?:
                    guard case .string(let text)? = item["text"] else { throw invalid("\(at).text is required") }
                    parts.append(Part(type: "text", bytes: Array(text.utf8)))
                case .string("image_url")?:
                    guard case .string(let url)? = item["image_url"]?["url"] else { throw invalid("\(at).image_url.url is required") }
                    parts.append(try dataURI(url, place: at))
                case .string("input_audio")?:
                    guard case .string(let data)? = item["input_audio"]?["data"], case .string(let format)? = item["input_audio"]?["format"] else {
                        throw invalid("\(at).input_audio needs data and format")
                    }
                    guard let type = ["wav": "audio/wav", "mp3": "audio/mpeg"][format] else { throw invalid("\(at): audio format \"\(format)\" (wav or mp3)") }
                    parts.append(try decoded(data, type: type, place: at))
                default:
                    throw invalid("\(at): part type \(item["type"]?.serialized() ?? "missing") is not supported (text, image_url, input_audio)")
                }
            }
            guard !parts.isEmpty else { throw invalid("\(place) is empty") }
            return parts
        default:
            throw invalid("\(place) must be a string or an array of parts")
        }
    }

    /// `data:image/png;base64,…` (no downloads: a server without the internet cannot fetch URLs).
    private static func dataURI(_ url: String, place: String) throws(InferenceError) -> Part {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw invalid("\(place): only data: URIs with base64 are accepted (data:image/png;base64,…)")
        }
        let type = String(url[url.index(url.startIndex, offsetBy: 5)..<url[..<comma].index(url[..<comma].endIndex, offsetBy: -7)])
        return try decoded(String(url[url.index(after: comma)...]), type: type, place: place)
    }

    private static func decoded(_ base64: String, type: String, place: String) throws(InferenceError) -> Part {
        guard let bytes = try? Base64.decode(string: base64) else { throw invalid("\(place): the \(type) data is not valid base64") }
        return Part(type: type, bytes: bytes, base64: base64)
    }

    /// Every field but the request's own as `llm_parameters` in the provider's vocabulary:
    /// OpenAI's names as they are; for Gemini the sampling fields inside `generation_config` and
    /// tools as function declarations.
    private static func llmParameters(_ members: [(String, JSONDocument)], provider: String?) throws(InferenceError) -> [(String, JSONDocument)] {
        let fields = members.filter { !["model", "messages", "stream", "stream_options"].contains($0.0) && $0.1 != .null }
        guard provider == "gemini" else { return fields }
        let generation: [String: String] = [
            "temperature": "temperature", "top_p": "top_p", "max_tokens": "max_output_tokens", "max_completion_tokens": "max_output_tokens",
            "n": "candidate_count", "stop": "stop_sequences", "seed": "seed", "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty",
        ]
        var config: [(String, JSONDocument)] = []
        var result: [(String, JSONDocument)] = []
        for (key, value) in fields {
            if let name = generation[key] {
                if case .string = value, name == "stop_sequences" { config.append((name, .array([value]))) } else { config.append((name, value)) }
            } else if key == "tools", case .array(let tools) = value {
                let declarations: [JSONDocument] = tools.compactMap { $0["function"] }
                result.append(("tools", .array([.object([("function_declarations", .array(declarations))])])))
            } else if key == "tool_choice" || key == "user" || key == "parallel_tool_calls" {
                continue  // no Gemini equivalent worth guessing
            } else {
                throw invalid("\(key) has no equivalent for this Gemini model")
            }
        }
        if !config.isEmpty { result.append(("generation_config", .object(config))) }
        return result
    }

    static func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidArgument, message)
    }
}
