import Foundation
import NIOHTTP1

/// OpenAI's `POST /v1/chat/completions`, and Azure OpenAI's deployment form of it: key checks,
/// the validations the real API applies to content parts, and deterministic answers.
struct OpenAISimulation {
    let request: SimulatorRequest
    let api: ReceivedRequest.API
    let configuration: ProviderSimulator.Configuration
    /// Azure's deployment name from the path; nil for OpenAI.
    var deployment: String?

    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    func answer(fault: SimulatedFault?, log: RequestLog) -> SimulatedResponse {
        if let refusal = keyRefusal() { return refusal }
        if let response = fault?.response(for: api, retryAfter: request.retryAfter) { return response }
        guard let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any] else {
            return ProviderErrorBody.openAI(.badRequest, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)")
        }
        guard let model = body["model"] as? String ?? deployment else {
            return ProviderErrorBody.openAI(.badRequest, "you must provide a model parameter")
        }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return ProviderErrorBody.openAI(.badRequest, "Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter")
        }
        if model == "missing" || deployment == "missing" {
            if api == .azure {
                return .json(.notFound, #"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#)
            }
            return ProviderErrorBody.openAI(.notFound, "The model `\(model)` does not exist or you do not have access to it.", code: "model_not_found")
        }
        if let temperature = body["temperature"] as? Double, !(0...2).contains(temperature) {
            return ProviderErrorBody.openAI(.badRequest, "Invalid 'temperature': decimal \(temperature < 0 ? "below minimum" : "above maximum") value. Expected a value \(temperature < 0 ? ">= 0" : "<= 2"), but got \(formatNumber(temperature)) instead.",
                                            param: "temperature", code: temperature < 0 ? "decimal_below_min_value" : "decimal_above_max_value")
        }
        let parts: [ReceivedPart]
        do {
            for (index, message) in messages.enumerated() {
                let role = message["role"] as? String ?? ""
                guard ["system", "developer", "user", "assistant", "tool", "function"].contains(role) else {
                    throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid value: '\(role)'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", param: "messages[\(index)].role", code: "invalid_value"))
                }
            }
            let last = messages.lastIndex { ["user", "tool"].contains($0["role"] as? String) } ?? messages.count - 1
            parts = try Self.parts(of: messages[last], index: last)
        } catch let refusal as Refusal {
            return refusal.response
        } catch {
            return ProviderErrorBody.openAI(.badRequest, "\(error)")
        }

        let stream = body["stream"] as? Bool == true
        let tools = (body["tools"] as? [[String: Any]] ?? []).compactMap { ($0["function"] as? [String: Any]) }
        var parameters = body
        for key in ["model", "messages", "stream", "stream_options", "tools", "tool_choice"] { parameters[key] = nil }
        let system = messages.filter { ["system", "developer"].contains($0["role"] as? String) }.compactMap { Self.text(of: $0["content"]) }
        log.append(ReceivedRequest(
            api: api, path: request.path, model: model, stream: stream, messageCount: messages.count, parts: parts,
            systemInstruction: system.isEmpty ? nil : system.joined(separator: "\n"), parameters: JSONText.encode(parameters),
            safetySettings: [:], toolNames: tools.compactMap { $0["name"] as? String }, userAgent: request.headers.first(name: "user-agent")))

        var reply = Reply.compose(parts: parts, lastRole: messages.last?["role"] as? String ?? "user",
                                  tool: (body["tool_choice"] as? String) == "none" ? nil : tools.first,
                                  maxTokens: (body["max_completion_tokens"] ?? body["max_tokens"]) as? Int)
        if fault == .block { reply = Reply(text: "", toolCall: nil, finish: .contentFilter, completionTokens: 0) }
        let promptTokens = messages.count * 8
        let usage = ["prompt_tokens": promptTokens, "completion_tokens": reply.completionTokens, "total_tokens": promptTokens + reply.completionTokens]
        let choices = max(1, body["n"] as? Int ?? 1)
        guard stream else {
            let answer: [String: Any] = [
                "id": "chatcmpl-sim", "object": "chat.completion", "created": 1_700_000_000, "model": model, "system_fingerprint": "fp_sim",
                "choices": (0..<choices).map { index in
                    ["index": index, "message": reply.openAIMessage(candidate: index), "logprobs": NSNull(), "finish_reason": reply.finish.openAI] as [String: Any]
                },
                "usage": usage, "service_tier": "default",
            ]
            return .json(.ok, JSONText.encode(answer), headers: [("x-request-id", "req_sim"), ("openai-processing-ms", "1")])
        }
        var events: [[String: Any]] = []
        for index in 0..<choices {
            events.append(chunk(model, index: index, delta: ["role": "assistant", "content": ""]))
            for delta in reply.openAIDeltas(candidate: index) { events.append(chunk(model, index: index, delta: delta)) }
            events.append(chunk(model, index: index, delta: [:], finish: reply.finish.openAI))
        }
        if ((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool) == true {
            events.append(["id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [Any](), "usage": usage])
        }
        return .stream(contentType: "text/event-stream; charset=utf-8", pieces: events.map { "data: \(JSONText.encode($0))\n\n" } + ["data: [DONE]\n\n"])
    }

    private func chunk(_ model: String, index: Int, delta: [String: Any], finish: String? = nil) -> [String: Any] {
        ["id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "system_fingerprint": "fp_sim",
         "choices": [["index": index, "delta": delta, "logprobs": NSNull(), "finish_reason": finish ?? NSNull()] as [String: Any]]]
    }

    /// Nil when the key is right, else the provider's refusal (OpenAI's or Azure's shape).
    func keyRefusal() -> SimulatedResponse? {
        if api == .azure {
            guard request.query["api-version"] != nil else {
                return .json(.notFound, #"{"error":{"code":"404","message":"Resource not found"}}"#)
            }
            let key = request.headers.first(name: "api-key") ?? request.headers.first(name: "authorization").map { String($0.dropFirst("Bearer ".count)) }
            guard key == configuration.openAIKey else {
                return .json(.unauthorized, #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#)
            }
            return nil
        }
        guard let header = request.headers.first(name: "authorization"), header.hasPrefix("Bearer ") else {
            return ProviderErrorBody.openAI(.unauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.")
        }
        guard header == "Bearer \(configuration.openAIKey)" else {
            // As the real API: the key sent, masked but for its first 8 and last 4 characters.
            let sent = Array(header.dropFirst(7))
            let masked = sent.count > 12 ? String(sent.prefix(8)) + String(repeating: "*", count: sent.count - 12) + String(sent.suffix(4)) : "****"
            return ProviderErrorBody.openAI(
                .unauthorized, "Incorrect API key provided: \(masked). You can find your API key at https://platform.openai.com/account/api-keys.",
                code: "invalid_api_key")
        }
        return nil
    }

    /// The parts of one message, validated as the real API validates them.
    static func parts(of message: [String: Any], index: Int) throws -> [ReceivedPart] {
        if message["role"] as? String == "tool" {
            return [.text(text(of: message["content"]) ?? "", kind: "tool_result")]
        }
        let content = message["content"]
        if let text = content as? String { return [.text(text)] }
        guard let list = content as? [[String: Any]] else { return [] }
        return try list.enumerated().map { partIndex, part in
            let path = "messages[\(index)].content[\(partIndex)]"
            switch part["type"] as? String {
            case "text":
                return .text(part["text"] as? String ?? "")
            case "image_url":
                let url = (part["image_url"] as? [String: Any])?["url"] as? String ?? ""
                guard url.hasPrefix("data:") else { return .other("image_url", text: url) }
                let (mime, data) = try dataURI(url, path: "\(path).image_url.url")
                guard imageTypes.contains(mime) else {
                    throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].", code: "invalid_image_format"))
                }
                return .inline(data, mimeType: mime)
            case "input_audio":
                let audio = part["input_audio"] as? [String: Any] ?? [:]
                let format = audio["format"] as? String ?? ""
                guard format == "wav" || format == "mp3" else {
                    throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid value: '\(format)'. Supported values are: 'wav' and 'mp3'.", param: "\(path).input_audio.format", code: "invalid_value"))
                }
                guard let data = Data(base64Encoded: audio["data"] as? String ?? "") else {
                    throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid base64 data for audio input.", param: "\(path).input_audio.data", code: "invalid_value"))
                }
                return .inline(data, mimeType: "audio/\(format)")
            case "file":
                let file = part["file"] as? [String: Any] ?? [:]
                guard let fileData = file["file_data"] as? String else { return .other("file", text: file["file_id"] as? String) }
                let (mime, data) = try dataURI(fileData, path: "\(path).file.file_data")
                guard mime == "application/pdf" else {
                    throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid file data: '\(path).file.file_data'. Expected a base64-encoded data URL with an application/pdf MIME type (e.g. 'data:application/pdf;base64,SGVsbG8sIFdvcmxkIQ=='), but got unsupported MIME type '\(mime)'.", param: "\(path).file.file_data", code: "invalid_value"))
                }
                return .inline(data, mimeType: mime)
            case let other:
                throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid value: '\(other ?? "")'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.", param: "\(path).type", code: "invalid_value"))
            }
        }
    }

    private static func dataURI(_ url: String, path: String) throws -> (String, Data) {
        guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64"),
            let data = Data(base64Encoded: String(url[url.index(after: comma)...]))
        else {
            throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid base64 data URL in '\(path)'.", param: path, code: "invalid_base64"))
        }
        let mime = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(";base64".count))
        return (mime, data)
    }

    static func text(of content: Any?) -> String? {
        if let text = content as? String { return text }
        guard let parts = content as? [[String: Any]] else { return nil }
        return parts.compactMap { $0["text"] as? String }.joined()
    }

    private func formatNumber(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// A validation failure carrying the provider-shaped answer.
struct Refusal: Error {
    let response: SimulatedResponse
}
