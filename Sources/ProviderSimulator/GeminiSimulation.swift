import Foundation
import NIOHTTP1

/// Gemini's `models/{m}:generateContent` and `:streamGenerateContent` (under `/v1beta` and
/// `/v1`): key checks in Google's style, the validations the real API applies (unknown fields,
/// safety enums, MIME types, base64, temperature range), camelCase answers, SSE with CRLF
/// framing and no terminator, or a JSON array without `alt=sse`.
struct GeminiSimulation {
    let request: SimulatorRequest
    let model: String
    let streaming: Bool
    let configuration: ProviderSimulator.Configuration
    let state: SimulatorState
    /// Vertex AI's form of the route: OAuth tokens only.
    var vertex = false

    func answer(fault: SimulatedFault?, log: RequestLog) -> SimulatedResponse {
        if let refusal = GoogleCallerCheck(request: request, state: state, configuration: configuration).refusal(apiKeyAllowed: !vertex) { return refusal }
        if let response = fault?.response(for: .gemini, retryAfter: request.retryAfter) { return response }
        guard let raw = try? JSONSerialization.jsonObject(with: request.body), let body = GeminiFieldNames.normalized(raw) as? [String: Any] else {
            return ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unexpected token.")
        }
        let parts: [ReceivedPart]
        let config: [String: Any]
        let safety: [String: String]
        let methods: [String: String]
        do {
            try checkFields(body)
            guard let contents = body["contents"] as? [[String: Any]], !contents.isEmpty else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "* GenerateContentRequest.contents: contents is not specified\n"))
            }
            config = body["generationConfig"] as? [String: Any] ?? [:]
            try checkGenerationConfig(config)
            safety = try safetySettings(body["safetySettings"])
            methods = try safetyMethods(body["safetySettings"])
            parts = try Self.parts(of: contents[contents.count - 1], index: contents.count - 1)
        } catch let refusal as Refusal {
            return refusal.response
        } catch {
            return ProviderErrorBody.gemini(.badRequest, "\(error)")
        }
        if model == "missing" {
            return ProviderErrorBody.gemini(.notFound, "models/missing is not found for API version \(request.path.hasPrefix("/v1beta") ? "v1beta" : "v1"), or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.")
        }
        let contents = body["contents"] as? [[String: Any]] ?? []
        let declarations = (body["tools"] as? [[String: Any]] ?? []).flatMap { $0["functionDeclarations"] as? [[String: Any]] ?? [] }
        let system = ((body["systemInstruction"] as? [String: Any])?["parts"] as? [[String: Any]])?.compactMap { $0["text"] as? String }.joined()
        log.append(ReceivedRequest(
            api: .gemini, path: request.path, model: model, stream: streaming, messageCount: contents.count, parts: parts,
            systemInstruction: system, parameters: JSONText.encode(config), safetySettings: safety,
            toolNames: declarations.compactMap { $0["name"] as? String }, userAgent: request.headers.first(name: "user-agent"),
            safetyMethods: methods))

        let promptTokens = contents.count * 8
        if fault == .block {
            let blocked = #"{"promptFeedback": {"blockReason": "SAFETY","safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT","probability": "HIGH","blocked": true}]},"usageMetadata": {"promptTokenCount": \#(promptTokens),"totalTokenCount": \#(promptTokens)},"modelVersion": "\#(model)","responseId": "sim"}"#
            return streaming ? .stream(contentType: "text/event-stream", pieces: ["data: \(blocked)\r\n\r\n"]) : .json(.ok, blocked)
        }
        let mode = ((body["toolConfig"] as? [String: Any])?["functionCallingConfig"] as? [String: Any])?["mode"] as? String
        let reply = Reply.compose(parts: parts, lastRole: contents.last?["role"] as? String ?? "user",
                                  tool: mode == "NONE" ? nil : declarations.first, maxTokens: Self.integer(config["maxOutputTokens"]))
        let candidates = max(1, Self.integer(config["candidateCount"]) ?? 1)
        guard streaming else {
            return .json(.ok, JSONText.encode(response(reply, candidates: candidates, pieces: nil, final: true, promptTokens: promptTokens), pretty: true))
        }
        // One event per word of candidate 0's answer; the last carries finishReason and usage.
        let words = reply.toolCall == nil ? Reply.words(reply.text(candidate: 0)) : [""]
        let events = words.indices.map { index in
            JSONText.encode(response(reply, candidates: candidates, pieces: (index, words), final: index == words.count - 1, promptTokens: promptTokens))
        }
        if request.query["alt"] == "sse" {
            return .stream(contentType: "text/event-stream", pieces: events.map { "data: \($0)\r\n\r\n" })
        }
        return .stream(contentType: "application/json; charset=UTF-8", pieces: events.enumerated().map { ($0.offset == 0 ? "[" : ",\r\n") + $0.element } + ["]"])
    }

    /// One GenerateContentResponse; in a stream, `pieces` says which word of the answer this event carries.
    private func response(_ reply: Reply, candidates: Int, pieces: (index: Int, words: [String])?, final: Bool, promptTokens: Int) -> [String: Any] {
        let list: [[String: Any]] = (0..<(pieces == nil ? candidates : 1)).map { index in
            var part: [String: Any]
            if let call = reply.toolCall {
                part = ["functionCall": ["name": call.name, "args": call.arguments]]
            } else {
                part = ["text": pieces.map { $0.words[$0.index] } ?? reply.text(candidate: index)]
            }
            var candidate: [String: Any] = ["content": ["parts": [part], "role": "model"], "index": index]
            if final { candidate["finishReason"] = reply.finish.gemini }
            // What Gemini 1.5 rates every answer on, in its order (seed 000 shows the same four).
            candidate["safetyRatings"] = ["HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_SEXUALLY_EXPLICIT"]
                .map { ["category": $0, "probability": "NEGLIGIBLE"] }
            return candidate
        }
        var usage: [String: Any] = ["promptTokenCount": promptTokens, "totalTokenCount": promptTokens + (final ? reply.completionTokens : 0)]
        if final { usage["candidatesTokenCount"] = reply.completionTokens }
        return ["candidates": list, "usageMetadata": usage, "modelVersion": model, "responseId": "sim"]
    }

    private func checkFields(_ body: [String: Any]) throws {
        if let unknown = body.keys.sorted().first(where: { !GeminiFieldNames.requestFields.contains($0) }) {
            throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unknown name \"\(unknown)\": Cannot find field.", details: [
                ["@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [["description": "Invalid JSON payload received. Unknown name \"\(unknown)\": Cannot find field."]]],
            ]))
        }
    }

    private func checkGenerationConfig(_ config: [String: Any]) throws {
        if let unknown = config.keys.sorted().first(where: { !GeminiFieldNames.generationConfigFields.contains($0) }) {
            throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unknown name \"\(unknown)\" at 'generation_config': Cannot find field."))
        }
        if let temperature = config["temperature"] as? Double, !(0...2).contains(temperature) {
            throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Unable to submit request because it has a temperature value of \(temperature) but the supported range is from 0 (inclusive) to 2.0001 (exclusive). Update the value and try again."))
        }
        if let count = Self.integer(config["candidateCount"]), !(1...8).contains(count) {
            throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Unable to submit request because candidateCount must be in the range [1, 8]."))
        }
    }

    /// `method` (HarmBlockMethod) exists on Vertex AI only; the Developer API refuses the field.
    private func safetyMethods(_ value: Any?) throws -> [String: String] {
        var methods: [String: String] = [:]
        for (index, setting) in (value as? [[String: Any]] ?? []).enumerated() {
            guard let method = setting["method"] else { continue }
            guard vertex else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unknown name \"method\" at 'safety_settings[\(index)]': Cannot find field."))
            }
            guard let name = method as? String, ["HARM_BLOCK_METHOD_UNSPECIFIED", "SEVERITY", "PROBABILITY"].contains(name) else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid value at 'safety_settings[\(index)].method' (type.googleapis.com/google.cloud.aiplatform.v1.SafetySetting.HarmBlockMethod), \"\(method)\""))
            }
            methods[setting["category"] as? String ?? ""] = name
        }
        return methods
    }

    private func safetySettings(_ value: Any?) throws -> [String: String] {
        var settings: [String: String] = [:]
        for (index, setting) in (value as? [[String: Any]] ?? []).enumerated() {
            let category = setting["category"] as? String ?? ""
            let threshold = setting["threshold"] as? String ?? ""
            guard GeminiFieldNames.categories.contains(category) else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid value at 'safety_settings[\(index)].category' (type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), \"\(category)\""))
            }
            guard GeminiFieldNames.thresholds.contains(threshold) else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid value at 'safety_settings[\(index)].threshold' (type.googleapis.com/google.ai.generativelanguage.v1beta.SafetySetting.HarmBlockThreshold), \"\(threshold)\""))
            }
            guard settings[category] == nil else {
                throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Duplicate category in safety settings: \(category)"))
            }
            settings[category] = threshold
        }
        return settings
    }

    static func parts(of content: [String: Any], index: Int) throws -> [ReceivedPart] {
        try (content["parts"] as? [[String: Any]] ?? []).enumerated().map { partIndex, part in
            if let text = part["text"] as? String { return .text(text) }
            if let inline = part["inlineData"] as? [String: Any] {
                let mime = inline["mimeType"] as? String ?? ""
                guard let data = protoBytes(inline["data"] as? String ?? "") else {
                    throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid value at 'contents[\(index)].parts[\(partIndex)].inline_data.data' (TYPE_BYTES), Base64 decoding failed for \"\(String((inline["data"] as? String ?? "").prefix(16)))\""))
                }
                guard GeminiFieldNames.inlineMIMETypes.contains(mime) else {
                    throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Unsupported MIME type: \(mime)"))
                }
                return .inline(data, mimeType: mime)
            }
            if let file = part["fileData"] as? [String: Any] {
                var received = ReceivedPart.other("file", mimeType: file["mimeType"] as? String, text: file["fileUri"] as? String)
                received.videoMetadata = part["videoMetadata"].map { JSONText.encode($0) }
                return received
            }
            if let call = part["functionCall"] as? [String: Any] { return .other("tool_call", text: call["name"] as? String) }
            if let response = part["functionResponse"] as? [String: Any] {
                return .text(JSONText.encode(response["response"] ?? [String: Any]()), kind: "tool_result")
            }
            throw Refusal(response: ProviderErrorBody.gemini(.badRequest, "Invalid value at 'contents[\(index)].parts[\(partIndex)]': a part must hold one of text, inline_data, file_data, function_call, function_response."))
        }
    }

    /// proto3 JSON bytes: standard or URL-safe base64, padding optional (google-genai sends
    /// URL-safe).
    static func protoBytes(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if standard.count % 4 != 0 { standard += String(repeating: "=", count: 4 - standard.count % 4) }
        return Data(base64Encoded: standard)
    }

    /// proto3 JSON integers: numbers (the SDK sends `40.0`) or quoted.
    static func integer(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }
}
