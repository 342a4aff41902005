import Foundation
import InferWireCore
import NIOCore
import ProtoWire
import Templates

/// `prompt_utils.prompt_options`: a Jinja template file next to model-settings.json, compiled
/// once at load and rendered per request with every input tensor as a variable (a list of its
/// elements: BYTES as strings, numbers as numbers) plus the settings' `tokens`. The rendered
/// text becomes the user message.
struct PromptTemplate: Sendable {
    let template: Template
    let tokens: [String: String]

    static func load(uri: String, folder: String, tokens: [String: String]) throws(InferenceError) -> PromptTemplate {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        let file = URL(fileURLWithPath: uri, relativeTo: URL(fileURLWithPath: root + "/")).standardizedFileURL.resolvingSymlinksInPath().path
        guard !uri.hasPrefix("/"), file.hasPrefix(root + "/") else {
            throw InferenceError(.invalidArgument, "prompt_utils.prompt_options.uri \"\(uri)\" must be a path inside the model folder")
        }
        guard let data = FileManager.default.contents(atPath: file), let source = String(data: data, encoding: .utf8) else {
            throw InferenceError(.invalidArgument, "prompt template \"\(uri)\" cannot be read as UTF-8 text from the model folder")
        }
        do {
            return PromptTemplate(template: try Template(source, name: uri), tokens: tokens)
        } catch {
            throw InferenceError(.invalidArgument, "prompt template \(error)")
        }
    }

    func render(_ request: ModelInferRequest) throws(InferenceError) -> String {
        var context: [String: TemplateValue] = tokens.mapValues { .string($0) }
        for (index, input) in request.inputs.enumerated() {
            context[input.name] = .array(try Self.values(request, index))
        }
        do {
            return try template.render(context)
        } catch {
            throw InferenceError(.invalidArgument, "prompt template \(error)")
        }
    }

    /// A tensor's elements as template values.
    static func values(_ request: ModelInferRequest, _ index: Int) throws(InferenceError) -> [TemplateValue] {
        let input = request.inputs[index]
        if input.datatype == "BYTES" {
            return try request.requireStrings(ofInput: index).map { .string($0) }
        }
        let contents = input.contents ?? InferTensorContents()
        if index < request.rawInputContents.count {
            let raw = request.rawInputContents[index]
            do {
                switch input.datatype {
                case "INT64": return try RawTensorView<Int64>(raw, datatype: .int64, tensor: input.name).values.map { .int(Int($0)) }
                case "INT32": return try RawTensorView<Int32>(raw, datatype: .int32, tensor: input.name).values.map { .int(Int($0)) }
                case "FP64": return try RawTensorView<Double>(raw, datatype: .fp64, tensor: input.name).values.map { .double($0) }
                case "FP32": return try RawTensorView<Float>(raw, datatype: .fp32, tensor: input.name).values.map { .double(Double($0)) }
                case "BOOL": return try RawTensorView<UInt8>(raw, datatype: .bool, tensor: input.name).values.map { .bool($0 != 0) }
                default: break
                }
            } catch {
                throw InferenceError(.invalidArgument, "tensor \(input.name): \(error)")
            }
            throw InferenceError(.invalidArgument, "tensor \(input.name): \(input.datatype) cannot be a template variable (BYTES, INT32, INT64, FP32, FP64, BOOL)")
        }
        return contents.boolContents.map { .bool($0) } + contents.intContents.map { .int(Int($0)) }
            + contents.int64Contents.map { .int(Int($0)) } + contents.fp32Contents.map { .double(Double($0)) }
            + contents.fp64Contents.map { .double($0) }
    }
}
