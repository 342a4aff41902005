import Foundation
import V2JSON
import NIOCore
import ProtoWire

/// Turns inference responses into text or V2 REST JSON.
enum InferResponseFormatter {
    static func elements(of response: ModelInferResponse, output index: Int) throws -> V2ResponseEncoder.Elements {
        do {
            return try V2ResponseEncoder.elements(of: response, output: index)
        } catch {
            throw CLIError(code: "INTERNAL", message: error.message, exitCode: 1)
        }
    }

    static func text(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    static func parameterJSON(_ parameters: [String: InferParameter]) -> JSONDocument {
        V2ResponseEncoder.parameterJSON(parameters)
    }

    static func parameterText(_ parameters: [String: InferParameter]) -> String {
        guard case .object(let members) = parameterJSON(parameters) else { return "" }
        return members.map { key, value in
            if case .string(let string) = value { return "\(key)=\(string)" }
            return "\(key)=\(value.serialized())"
        }.joined(separator: " ")
    }

    /// The V2 REST response, as the HTTP door writes it.
    static func json(_ response: ModelInferResponse) throws -> JSONDocument {
        do {
            return try V2ResponseEncoder.json(response).json
        } catch {
            throw CLIError(code: "INTERNAL", message: error.message, exitCode: 1)
        }
    }

    /// Human-readable lines: a header, then per output its name, datatype, shape and values.
    static func lines(_ response: ModelInferResponse, bytesWrittenTo: (name: String, path: String)? = nil) throws -> [String] {
        var lines: [String] = []
        var header = "model \(response.modelName)"
        if !response.modelVersion.isEmpty { header += " version \(response.modelVersion)" }
        if !response.id.isEmpty { header += " id \(response.id)" }
        if !response.parameters.isEmpty { header += " parameters: \(parameterText(response.parameters))" }
        lines.append(header)
        for (index, output) in response.outputs.enumerated() {
            var line = "output \(output.name) \(output.datatype) [\(output.shape.map(String.init).joined(separator: ", "))]"
            if !output.parameters.isEmpty { line += " \(parameterText(output.parameters))" }
            lines.append(line)
            if let written = bytesWrittenTo, written.name == output.name {
                lines.append("  (bytes written to \(written.path))")
                continue
            }
            switch try elements(of: response, output: index) {
            case .bytes(let values):
                for (number, value) in values.enumerated() {
                    if let text = text(value) {
                        lines.append("  [\(number)] \(text)")
                    } else {
                        lines.append("  [\(number)] <\(value.count) bytes>")
                    }
                }
            case .numbers(let values):
                lines.append("  " + values.map { value in
                    if case .double(let double) = value { return "\(double)" }
                    return value.serialized()
                }.joined(separator: " "))
            }
        }
        return lines
    }
}
