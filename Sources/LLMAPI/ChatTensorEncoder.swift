import Foundation
import InferWireCore
import NIOCore
import ProtoWire
import Providers

/// Writes an answer in the V2 chat convention of Seldon's LLM runtimes: BYTES outputs `role`,
/// `content`, `type` of shape [k, 1] (one row per candidate), `output_all` [1, 1] (the
/// provider's whole JSON answer), and `tool_calls` [k, 1] (OpenAI-shaped JSON list per
/// candidate) when the model called tools; each with parameter `content_type: str`. Response
/// parameters: `finish_reason` and the token counts.
enum ChatTensorEncoder {
    static func response(
        candidates: [ChatCandidate], raw: String, usage: TokenUsage?, name: String, version: String, id: String
    ) -> ModelInferResponse {
        var response = ModelInferResponse()
        response.modelName = name
        response.modelVersion = version
        response.id = id
        let rows = candidates.isEmpty ? [ChatCandidate(parts: [])] : candidates
        response.outputs = [
            .strings("role", rows.map { _ in "assistant" }),
            .strings("content", rows.map(\.text)),
            .strings("type", rows.map { _ in "text" }),
            .strings("output_all", [raw]),
        ]
        if rows.contains(where: { !toolCalls($0).isEmpty }) {
            response.outputs.append(.strings("tool_calls", rows.map { toolCallsJSON(toolCalls($0)) }))
        }
        if let finish = rows[0].finishReason { response.parameters["finish_reason"] = .string(finish.raw) }
        if let usage { add(usage, to: &response) }
        return response
    }

    /// One streamed piece of the first candidate's text.
    static func delta(_ text: String, name: String, version: String, id: String) -> ModelInferResponse {
        var response = ModelInferResponse()
        response.modelName = name
        response.modelVersion = version
        response.id = id
        response.outputs = [.strings("role", ["assistant"]), .strings("content", [text]), .strings("type", ["text"])]
        return response
    }

    static func add(_ usage: TokenUsage, to response: inout ModelInferResponse) {
        response.parameters["prompt_tokens"] = .int64(Int64(usage.promptTokens))
        response.parameters["completion_tokens"] = .int64(Int64(usage.completionTokens))
        response.parameters["total_tokens"] = .int64(Int64(usage.totalTokens))
    }

    static func toolCalls(_ candidate: ChatCandidate) -> [(id: String, name: String, arguments: String)] {
        candidate.parts.compactMap { part in
            if case .toolCall(let id, let name, let arguments) = part { (id, name, arguments) } else { nil }
        }
    }

    /// `[{"id": …, "type": "function", "function": {"name": …, "arguments": "<JSON text>"}}]`.
    static func toolCallsJSON(_ calls: [(id: String, name: String, arguments: String)]) -> String {
        JSONValue.array(calls.map { call in
            .object(["id": .string(call.id), "type": .string("function"),
                     "function": .object(["name": .string(call.name), "arguments": .string(call.arguments)])])
        }).jsonText
    }
}
