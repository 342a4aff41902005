import ExtrasBase64
import Foundation
import InferWireCore
import NIOCore
import ProtoWire
import Providers

/// Reads the V2 chat convention of Seldon's LLM runtimes into neutral chat messages:
///
/// - one message: `role` [1], `content` [1] or [1, N], `type` likewise (`text`, `image/jpeg`,
///   `audio/mp3`, …). Over the binary protocol a media element is the raw bytes.
/// - multi-turn: `role` [n], and each `content` / `type` element a JSON list for that message
///   (media inside such a list are base64, since JSON cannot hold bytes).
///
/// Every problem is an INVALID_ARGUMENT naming the tensor and element, raised before anything
/// is sent upstream.
enum ChatTensorDecoder {
    static let roles: [String: ChatRole] = ["user": .user, "assistant": .assistant, "model": .assistant, "system": .system]

    /// The conversation: a memory model's `history` (when given) followed by the request's own
    /// message(s) in `role` / `content` / `type` (when given).
    static func messages(from request: ModelInferRequest, provider: ProviderDescriptor, maxMediaBytes: Int) throws(InferenceError) -> [ChatMessage] {
        guard let historyIndex = request.inputIndex(named: "history") else {
            return try current(request, provider: provider, maxMediaBytes: maxMediaBytes)
        }
        let history = try self.history(request, index: historyIndex, provider: provider, maxMediaBytes: maxMediaBytes)
        guard request.inputIndex(named: "content") != nil else {
            guard !history.isEmpty else { throw invalid("tensor history is empty and there is no content tensor: nothing to answer") }
            return history
        }
        return history + (try current(request, provider: provider, maxMediaBytes: maxMediaBytes))
    }

    /// A memory model's `history` output, one JSON entry per element, as Seldon's memory
    /// runtime writes them: `{"role": "user", "content": [{"type": "text", "value": "Hi"}]}`
    /// (media values base64).
    private static func history(_ request: ModelInferRequest, index: Int, provider: ProviderDescriptor, maxMediaBytes: Int) throws(InferenceError) -> [ChatMessage] {
        let elements = try request.requireStrings(ofInput: index)
        var messages: [ChatMessage] = []
        for (position, element) in elements.enumerated() {
            guard let entry = (try? JSONSerialization.jsonObject(with: Data(element.utf8))) as? [String: Any],
                let role = entry["role"] as? String, let content = entry["content"] as? [[String: Any]]
            else {
                throw invalid("tensor history, element \(position): not a memory entry ({\"role\": …, \"content\": [{\"type\": …, \"value\": …}]})")
            }
            var values: [Element] = []
            var types: [String] = []
            for part in content {
                guard let type = part["type"] as? String, let value = part["value"] as? String else {
                    throw invalid("tensor history, element \(position): each content part needs a type and a string value")
                }
                types.append(type)
                values.append(.text(value))
            }
            messages.append(try message(role: role, index: position, contents: values, types: types, provider: provider, maxMediaBytes: maxMediaBytes))
        }
        return messages
    }

    private static func current(_ request: ModelInferRequest, provider: ProviderDescriptor, maxMediaBytes: Int) throws(InferenceError) -> [ChatMessage] {
        guard let contentIndex = request.inputIndex(named: "content") else {
            throw invalid("the request has no \"content\" tensor (the chat convention needs role, content and type; or a memory's history)")
        }
        let contents = try request.requireBytesElements(ofInput: contentIndex)
        let roleIndex = request.inputIndex(named: "role")
        let roles = try roleIndex.map { index throws(InferenceError) in try request.requireStrings(ofInput: index) } ?? ["user"]
        let typeIndex = request.inputIndex(named: "type")
        guard !roles.isEmpty else { throw invalid("tensor role has no elements") }

        if roles.count == 1 {
            let types = try typeIndex.map { index throws(InferenceError) in try request.requireStrings(ofInput: index) } ?? Array(repeating: "text", count: contents.count)
            guard types.count == contents.count else {
                throw invalid("tensor content has \(contents.count) element(s) but type has \(types.count): each content element needs its type")
            }
            // A single message may still come as JSON lists (what a memory model returns).
            if contents.count == 1, types.count == 1, let listTypes = jsonStrings(types[0]), let listContents = jsonStrings(String(buffer: contents[0])) {
                guard listTypes.count == listContents.count else {
                    throw invalid("message 0: content lists \(listContents.count) part(s) but type lists \(listTypes.count)")
                }
                return [try message(role: roles[0], index: 0, contents: listContents.map { .text($0) }, types: listTypes, provider: provider, maxMediaBytes: maxMediaBytes)]
            }
            return [try message(role: roles[0], index: 0, contents: contents.map { .bytes($0) }, types: types, provider: provider, maxMediaBytes: maxMediaBytes)]
        }

        guard contents.count == roles.count else {
            throw invalid("tensor role has \(roles.count) elements but content has \(contents.count): a multi-turn request has one content element (a JSON list) per message")
        }
        let types = try typeIndex.map { index throws(InferenceError) in try request.requireStrings(ofInput: index) }
        if let types, types.count != roles.count {
            throw invalid("tensor role has \(roles.count) elements but type has \(types.count)")
        }
        var messages: [ChatMessage] = []
        for index in roles.indices {
            let text = try BytesText.requireUTF8(contents[index], tensor: "content", element: index)
            guard let items = jsonStrings(text) else {
                throw invalid("tensor content, element \(index): a multi-turn element must be a JSON list of strings, e.g. [\"Hello\"]")
            }
            var itemTypes = Array(repeating: "text", count: items.count)
            if let types {
                guard let parsed = jsonStrings(types[index]) else {
                    throw invalid("tensor type, element \(index): a multi-turn element must be a JSON list of strings, e.g. [\"text\"]")
                }
                itemTypes = parsed
            }
            guard itemTypes.count == items.count else {
                throw invalid("message \(index): content lists \(items.count) part(s) but type lists \(itemTypes.count)")
            }
            messages.append(try message(role: roles[index], index: index, contents: items.map { .text($0) }, types: itemTypes, provider: provider, maxMediaBytes: maxMediaBytes))
        }
        return messages
    }

    /// A content element: raw bytes (binary protocol), or text from a JSON list (media in base64).
    private enum Element {
        case bytes(ByteBuffer)
        case text(String)
    }

    private static func message(role: String, index: Int, contents: [Element], types: [String], provider: ProviderDescriptor, maxMediaBytes: Int) throws(InferenceError) -> ChatMessage {
        guard let chatRole = roles[role] else {
            throw invalid("tensor role, element \(index): \"\(role)\" is not a role (user, assistant, system)")
        }
        var parts: [ChatPart] = []
        for (partIndex, (element, type)) in zip(contents, types).enumerated() {
            let place = types.count > 1 || contents.count > 1 ? "message \(index), part \(partIndex)" : "tensor content, element \(index)"
            if type == "text" {
                switch element {
                case .bytes(let buffer): parts.append(.text(try BytesText.requireUTF8(buffer, tensor: "content", element: partIndex)))
                case .text(let text): parts.append(.text(text))
                }
                continue
            }
            guard type.contains("/") else {
                throw invalid("\(place): type \"\(type)\" is neither \"text\" nor a MIME type such as image/jpeg")
            }
            guard provider.media.accepts(type) else {
                throw invalid("\(place): \(provider.id) does not accept \(type) (\(provider.media.summary))")
            }
            // A reference instead of the bytes (Gemini's file_data, e.g. a gs:// video on Vertex AI).
            if let uri = Self.fileURI(element) {
                parts.append(.fileURI(uri, mimeType: type))
                continue
            }
            var bytes: ByteBuffer
            switch element {
            case .bytes(let buffer): bytes = buffer  // a slice of the request's frame: no copy
            case .text(let base64):
                guard let decoded = try? Base64.decode(string: base64) else {
                    throw invalid("\(place): \(type) data in a JSON list must be base64, and this is not valid base64")
                }
                bytes = ByteBuffer(bytes: decoded)
            }
            guard bytes.readableBytes <= maxMediaBytes else {
                throw invalid("\(place): \(type) data is \(bytes.readableBytes) bytes, over this model's limit of \(maxMediaBytes)")
            }
            guard bytes.readableBytes > 0 else { throw invalid("\(place): \(type) data is empty") }
            // Raw bytes of the type, or (MLServer's clients) base64 of them: decoded once, here.
            bytes = try MediaBytes.checked(bytes, type: type, place: place)
            parts.append(.inlineData(mimeType: type, data: bytes))
        }
        if chatRole == .system, parts.contains(where: { if case .text = $0 { false } else { true } }) {
            throw invalid("message \(index): a system message holds text only")
        }
        return ChatMessage(role: chatRole, parts: parts)
    }

    /// A content element that is a `gs://`, `https://` or `http://` URI (no spaces, at most 2 KiB):
    /// sent as a file reference, not as data. Media bytes never start like this.
    private static func fileURI(_ element: Element) -> String? {
        let text: String
        switch element {
        case .text(let value): text = value
        case .bytes(let buffer):
            guard buffer.readableBytes <= 2048, let value = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) else { return nil }
            text = value
        }
        guard text.count <= 2048, ["gs://", "https://", "http://"].contains(where: text.hasPrefix),
            !text.contains(where: { $0.isWhitespace })
        else { return nil }
        return text
    }

    /// A JSON list whose items are strings (numbers are taken as their text).
    static func jsonStrings(_ text: String) -> [String]? {
        guard text.first == "[", let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else { return nil }
        var strings: [String] = []
        for item in list {
            if let string = item as? String {
                strings.append(string)
            } else if let number = item as? NSNumber {
                strings.append(number.stringValue)
            } else {
                return nil
            }
        }
        return strings
    }

    static func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidArgument, message)
    }
}
