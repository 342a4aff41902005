import Foundation
import V2JSON
import NIOCore
import ProtoWire

/// Builds a `ModelInferRequest` from the `infer` flags and `--request` JSON files.
enum InferRequestBuilder {
    /// `name=value`, split at the first "=".
    static func keyValue(_ text: String, flag: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw CLIError.usage("\(flag) expects name=value, got '\(text)'")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// A `--parameter` value: int64 if it is an integer, double if it is a number, bool for
    /// true/false, otherwise a string (JSON objects stay strings).
    static func parameter(_ value: String) -> InferParameter {
        if let integer = Int64(value) { return .int64(integer) }
        if looksNumeric(value), let number = Double(value) { return .double(number) }
        switch value {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .string(value)
        }
    }

    /// Digits with an optional sign, point and exponent: keeps "nan", "inf" and "0x1p3" strings.
    private static func looksNumeric(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { "0123456789+-.eE".contains($0) } && text.contains(where: \.isNumber)
    }

    /// Adds a BYTES tensor of shape [count] whose raw contents hold `elements`.
    static func addBytesInput(
        _ request: inout ModelInferRequest, name: String, elements: [[UInt8]],
        parameters: [String: InferParameter] = [:]
    ) {
        request.inputs.append(.init(name: name, datatype: "BYTES", shape: [Int64(elements.count)], parameters: parameters))
        request.rawInputContents.append(BytesElements.encode(elements))
    }

    /// One chat message in the LLM runtimes' convention: `role` [1], and `content` / `type` of
    /// shape [1, N], one element per part (`text` as UTF-8, media as their raw bytes).
    static func addChatMessage(_ request: inout ModelInferRequest, role: String, parts: [(type: String, bytes: [UInt8])]) {
        addBytesInput(&request, name: "role", elements: [Array(role.utf8)])
        addBytesInput(&request, name: "content", elements: parts.map(\.bytes))
        addBytesInput(&request, name: "type", elements: parts.map { Array($0.type.utf8) })
        request.inputs[request.inputs.count - 2].shape = [1, Int64(parts.count)]
        request.inputs[request.inputs.count - 1].shape = [1, Int64(parts.count)]
    }

    // MARK: - V2 JSON requests

    /// Reads a V2 REST inference request (MLServer's shape) into `request`, as the HTTP door does.
    static func apply(json: JSONDocument, source: String, to request: inout ModelInferRequest) throws {
        do {
            try V2RequestDecoder.decode(json, into: &request)
        } catch {
            throw CLIError.usage("\(source): \(error.message)")
        }
    }
}
