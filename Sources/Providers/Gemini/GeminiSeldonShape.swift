import Foundation

/// Gemini's answer as Seldon's LLM runtime prints it in `output_all` (seed 000): the Python
/// SDK's message turned into a dict, so keys in snake_case in the message's field order, enums
/// as their numbers, and unset fields with their defaults:
///
/// `{"candidates": [{"content": {"parts": [{"text": "…"}], "role": "model"}, "finish_reason": 1,
///   "safety_ratings": [{"category": 8, "probability": 1, "blocked": false}, …], "token_count": 0,
///   "grounding_attributions": []}], "usage_metadata": {"prompt_token_count": 16,
///   "candidates_token_count": 47, "total_token_count": 63, "cached_content_token_count": 0}}`
public enum GeminiSeldonShape {
    static let finishReasons = [
        "FINISH_REASON_UNSPECIFIED": 0, "STOP": 1, "MAX_TOKENS": 2, "SAFETY": 3, "RECITATION": 4, "OTHER": 5, "LANGUAGE": 6,
        "BLOCKLIST": 7, "PROHIBITED_CONTENT": 8, "SPII": 9, "MALFORMED_FUNCTION_CALL": 10,
    ]
    static let categories = [
        "HARM_CATEGORY_UNSPECIFIED": 0, "HARM_CATEGORY_DEROGATORY": 1, "HARM_CATEGORY_TOXICITY": 2, "HARM_CATEGORY_VIOLENCE": 3,
        "HARM_CATEGORY_SEXUAL": 4, "HARM_CATEGORY_MEDICAL": 5, "HARM_CATEGORY_DANGEROUS": 6, "HARM_CATEGORY_HARASSMENT": 7,
        "HARM_CATEGORY_HATE_SPEECH": 8, "HARM_CATEGORY_SEXUALLY_EXPLICIT": 9, "HARM_CATEGORY_DANGEROUS_CONTENT": 10,
        "HARM_CATEGORY_CIVIC_INTEGRITY": 11,
    ]
    static let probabilities = ["HARM_PROBABILITY_UNSPECIFIED": 0, "NEGLIGIBLE": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4]

    /// The seed's shape of one `generateContent` answer (JSON text as Gemini sent it); text that
    /// is not such an answer comes back unchanged. A stream's `[event, …]` is converted event by event.
    public static func outputAll(_ raw: String) -> String {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) else { return raw }
        if let events = parsed as? [[String: Any]] { return PythonJSON.array(events.map(response)).text }
        guard let object = parsed as? [String: Any] else { return raw }
        return response(object).text
    }

    static func response(_ object: [String: Any]) -> PythonJSON {
        var members: [(String, PythonJSON)] = [("candidates", .array((object["candidates"] as? [[String: Any]] ?? []).map(candidate)))]
        if let feedback = object["promptFeedback"] as? [String: Any] {
            var fields: [(String, PythonJSON)] = []
            if let reason = feedback["blockReason"] as? String { fields.append(("block_reason", .int(["BLOCK_REASON_UNSPECIFIED": 0, "SAFETY": 1, "OTHER": 2, "BLOCKLIST": 3, "PROHIBITED_CONTENT": 4][reason] ?? 0))) }
            fields.append(("safety_ratings", ratings(feedback["safetyRatings"])))
            members.append(("prompt_feedback", .object(fields)))
        }
        let usage = object["usageMetadata"] as? [String: Any] ?? [:]
        members.append(("usage_metadata", .object([
            ("prompt_token_count", .int(int(usage["promptTokenCount"]))),
            ("candidates_token_count", .int(int(usage["candidatesTokenCount"]))),
            ("total_token_count", .int(int(usage["totalTokenCount"]))),
            ("cached_content_token_count", .int(int(usage["cachedContentTokenCount"]))),
        ])))
        return .object(members)
    }

    static func candidate(_ candidate: [String: Any]) -> PythonJSON {
        let content = candidate["content"] as? [String: Any] ?? [:]
        let parts = (content["parts"] as? [[String: Any]] ?? []).map(part)
        return .object([
            ("content", .object([("parts", .array(parts)), ("role", .string(content["role"] as? String ?? "model"))])),
            ("finish_reason", .int(finishReasons[candidate["finishReason"] as? String ?? ""] ?? 0)),
            ("safety_ratings", ratings(candidate["safetyRatings"])),
            ("token_count", .int(int(candidate["tokenCount"]))),
            ("grounding_attributions", .array([])),
        ])
    }

    static func ratings(_ value: Any?) -> PythonJSON {
        .array((value as? [[String: Any]] ?? []).map { rating in
            .object([
                ("category", .int(categories[rating["category"] as? String ?? ""] ?? 0)),
                ("probability", .int(probabilities[rating["probability"] as? String ?? ""] ?? 0)),
                ("blocked", .bool(rating["blocked"] as? Bool ?? false)),
            ])
        })
    }

    static func part(_ part: [String: Any]) -> PythonJSON {
        if let text = part["text"] as? String { return .object([("text", .string(text))]) }
        if let call = part["functionCall"] as? [String: Any] {
            return .object([("function_call", .object([("name", .string(call["name"] as? String ?? "")), ("args", value(call["args"] ?? [String: Any]()))]))])
        }
        if let inline = part["inlineData"] as? [String: Any] {
            return .object([("inline_data", .object([("mime_type", .string(inline["mimeType"] as? String ?? "")), ("data", .string(inline["data"] as? String ?? ""))]))])
        }
        return value(part)
    }

    /// Free-form JSON (function arguments): keys sorted, as a dict from JSON would not be.
    static func value(_ any: Any) -> PythonJSON {
        switch any {
        case let object as [String: Any]: return .object(object.keys.sorted().map { ($0, value(object[$0]!)) })
        case let array as [Any]: return .array(array.map(value))
        case let string as String: return .string(string)
        case let number as NSNumber:
            // Foundation keeps what JSON said: a bool ("c"), a float ("d", "f") or an integer.
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "d", "f": return .double(number.doubleValue)
            default: return .int(number.intValue)
            }
        default: return .null
        }
    }

    static func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? Int((value as? String) ?? "") ?? 0 }
}
