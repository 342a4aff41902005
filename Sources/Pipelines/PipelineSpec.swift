import Foundation
import InferWireCore

/// A Seldon Core 2 `Pipeline` resource, as `kubectl apply` takes it, read from a repository
/// folder's `pipeline.yaml`:
///
/// ```yaml
/// apiVersion: mlops.seldon.io/v1alpha1
/// kind: Pipeline
/// metadata:
///   name: chatbot
/// spec:
///   steps:
///     - name: chat-memory                    # a model of the repository
///     - name: chat-llm
///       inputs: [chat-memory.outputs.history]
///     - name: chat-memory-answer
///       inputs: [chatbot.inputs.memory_id, chat-llm.outputs.role, chat-llm.outputs.content, chat-llm.outputs.type]
///   output:
///     steps: [chat-llm]
/// ```
///
/// References: `PIPELINE.inputs[.TENSOR]`, `STEP.outputs[.TENSOR]`, or `STEP` (all its outputs).
/// A step without `inputs` takes the pipeline's inputs; `tensorMap` renames what a reference
/// brings (`{chat-llm.outputs.content: content}`); `output` defaults to the last step. What
/// Seldon has and InferWire does not run (triggers, join types, batching) is refused by name.
struct PipelineSpec: Sendable, Equatable {
    enum Reference: Sendable, Equatable, CustomStringConvertible {
        case pipelineInputs(tensor: String?)
        case stepOutputs(step: String, tensor: String?)

        var description: String {
            switch self {
            case .pipelineInputs(let tensor): "inputs" + (tensor.map { ".\($0)" } ?? "")
            case .stepOutputs(let step, let tensor): "\(step).outputs" + (tensor.map { ".\($0)" } ?? "")
            }
        }
    }

    struct Input: Sendable, Equatable {
        var reference: Reference
        /// The text as written, the key `tensorMap` uses.
        var text: String
    }

    struct Step: Sendable, Equatable {
        var name: String
        var inputs: [Input]
        var tensorMap: [String: String]
    }

    var name: String
    var steps: [Step]
    var outputSteps: [String]
    var outputTensorMap: [String: String]

    static let stepKeys: Set<String> = ["name", "inputs", "tensorMap"]
    static let unsupportedStepKeys: Set<String> = ["triggers", "joinType", "triggersJoinType", "inputsJoinType", "batch", "joinWindowMs"]

    static func parse(yaml text: String, file: String) throws(InferenceError) -> PipelineSpec {
        func invalid(_ message: String) -> InferenceError { InferenceError(.invalidArgument, "\(file): \(message)") }
        let document: Any?
        do {
            document = try YAMLValues.load(text)
        } catch {
            throw invalid("not valid YAML: \(error)")
        }
        guard let root = document as? [String: Any] else { throw invalid("the top level must be a mapping (apiVersion, kind, metadata, spec)") }
        guard root["kind"] as? String == "Pipeline" else { throw invalid("kind must be Pipeline (found \(root["kind"].map { "\($0)" } ?? "none"))") }
        if let version = root["apiVersion"] as? String, !version.hasPrefix("mlops.seldon.io/") {
            throw invalid("apiVersion must be mlops.seldon.io/v1alpha1 (found \(version))")
        }
        guard let name = (root["metadata"] as? [String: Any])?["name"] as? String, !name.isEmpty else { throw invalid("metadata.name is missing") }
        guard let spec = root["spec"] as? [String: Any] else { throw invalid("spec is missing") }
        if let unknown = spec.keys.sorted().first(where: { !["steps", "output", "input", "dataflow"].contains($0) }) {
            throw invalid("spec.\(unknown) is not a Pipeline field this server runs (steps, output)")
        }
        if spec["input"] != nil { throw invalid("spec.input (pipeline triggers) is not supported: the steps take the request's tensors") }
        guard let stepList = spec["steps"] as? [Any], !stepList.isEmpty else { throw invalid("spec.steps must list at least one step") }
        var steps: [Step] = []
        for (index, item) in stepList.enumerated() {
            guard let step = item as? [String: Any], let stepName = step["name"] as? String, !stepName.isEmpty else {
                throw invalid("spec.steps[\(index)] needs a name (the model it runs)")
            }
            if let key = step.keys.sorted().first(where: { unsupportedStepKeys.contains($0) }) {
                throw invalid("step \(stepName): \(key) is not supported (steps run in order of their inputs, one request at a time)")
            }
            if let key = step.keys.sorted().first(where: { !stepKeys.contains($0) }) {
                throw invalid("step \(stepName): \(key) is not a step field (name, inputs, tensorMap)")
            }
            guard !steps.contains(where: { $0.name == stepName }) else { throw invalid("step \(stepName) appears twice") }
            let inputs = try strings(step["inputs"], "step \(stepName): inputs", invalid).map { text throws(InferenceError) in
                Input(reference: try reference(text, pipeline: name, invalid), text: text)
            }
            steps.append(Step(name: stepName, inputs: inputs.isEmpty ? [Input(reference: .pipelineInputs(tensor: nil), text: "\(name).inputs")] : inputs,
                              tensorMap: try map(step["tensorMap"], "step \(stepName): tensorMap", invalid)))
        }
        let output = spec["output"] as? [String: Any] ?? [:]
        if let key = output.keys.sorted().first(where: { !["steps", "tensorMap", "stepsJoin"].contains($0) }) {
            throw invalid("output.\(key) is not an output field (steps, tensorMap)")
        }
        if let join = output["stepsJoin"] as? String, join != "inner" { throw invalid("output.stepsJoin \(join) is not supported") }
        var outputSteps = try strings(output["steps"], "output.steps", invalid).map { text in
            text.hasSuffix(".outputs") ? String(text.dropLast(".outputs".count)) : text
        }
        if outputSteps.isEmpty { outputSteps = [steps[steps.count - 1].name] }
        let names = Set(steps.map(\.name))
        for step in outputSteps where !names.contains(step) { throw invalid("output.steps names \(step), which is not a step") }
        for step in steps {
            for input in step.inputs {
                if case .stepOutputs(let source, _) = input.reference {
                    guard names.contains(source) else { throw invalid("step \(step.name): input \(input.text) names \(source), which is not a step") }
                    guard source != step.name else { throw invalid("step \(step.name) takes its own outputs") }
                }
            }
        }
        let parsed = PipelineSpec(name: name, steps: steps, outputSteps: outputSteps, outputTensorMap: try map(output["tensorMap"], "output.tensorMap", invalid))
        _ = try parsed.order(invalid)
        return parsed
    }

    /// The steps in an order where each comes after the steps it takes outputs from (file order
    /// among equals); a cycle is an error naming its steps.
    func order(_ invalid: (String) -> InferenceError = { InferenceError(.invalidArgument, $0) }) throws(InferenceError) -> [Step] {
        var done: Set<String> = []
        var ordered: [Step] = []
        var pending = steps
        while !pending.isEmpty {
            guard let next = pending.firstIndex(where: { step in
                step.inputs.allSatisfy { input in
                    if case .stepOutputs(let source, _) = input.reference { return done.contains(source) }
                    return true
                }
            }) else {
                throw invalid("the steps \(pending.map(\.name).joined(separator: ", ")) wait on each other (a cycle)")
            }
            let step = pending.remove(at: next)
            done.insert(step.name)
            ordered.append(step)
        }
        return ordered
    }

    private static func reference(_ text: String, pipeline: String, _ invalid: (String) -> InferenceError) throws(InferenceError) -> Reference {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return .stepOutputs(step: parts[0], tensor: nil)
        case 2 where parts[1] == "outputs": return .stepOutputs(step: parts[0], tensor: nil)
        case 2 where parts[1] == "inputs" && parts[0] == pipeline: return .pipelineInputs(tensor: nil)
        case 3 where parts[1] == "outputs" && !parts[2].isEmpty: return .stepOutputs(step: parts[0], tensor: parts[2])
        case 3 where parts[1] == "inputs" && parts[0] == pipeline && !parts[2].isEmpty: return .pipelineInputs(tensor: parts[2])
        default:
            throw invalid("input \(text) is not PIPELINE.inputs[.TENSOR], STEP.outputs[.TENSOR] or STEP (the pipeline is \(pipeline))")
        }
    }

    private static func strings(_ value: Any?, _ place: String, _ invalid: (String) -> InferenceError) throws(InferenceError) -> [String] {
        guard let value else { return [] }
        guard let list = value as? [Any], let strings = list as? [String] else { throw invalid("\(place) must be a list of strings") }
        return strings
    }

    private static func map(_ value: Any?, _ place: String, _ invalid: (String) -> InferenceError) throws(InferenceError) -> [String: String] {
        guard let value else { return [:] }
        guard let map = value as? [String: Any], let strings = map as? [String: String] else { throw invalid("\(place) must map references to tensor names") }
        return strings
    }
}
