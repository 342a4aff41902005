import Foundation
import InferWireCore
import NIOConcurrencyHelpers
import ProtoWire

/// A Seldon Core 2 pipeline served like a model (on every door): each request runs the steps
/// (models of the same server) in the order their inputs need, each step's request built from
/// the pipeline's inputs and earlier steps' outputs, and answers the output steps' tensors.
///
/// - A failed step fails the request with its status and names the step.
/// - With a request id, every step gets `append_key` = `ID/PIPELINE/STEP`: a memory step appends
///   once per key, so a client retrying with the same id never appends twice.
/// - Streaming: with one output step, its answer streams through (an LLM's deltas, then the
///   final message); steps that wait on it run when it ends.
public struct PipelineRuntime: InferenceRuntime {
    let settings: ModelSettings
    let caller: any ModelCaller
    private let spec = NIOLockedValueBox<PipelineSpec?>(nil)

    public static func register(in factory: inout RuntimeFactory) {
        factory.registerComposite(ModelSettings.pipelineImplementation) { settings, caller in
            PipelineRuntime(settings: settings, caller: caller)
        }
    }

    public func load() async throws {
        let file = (settings.folder as NSString).appendingPathComponent(settings.uri ?? "pipeline.yaml")
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw InferenceError(.unavailable, "\(file): cannot read the pipeline")
        }
        let parsed = try PipelineSpec.parse(yaml: text, file: file)
        guard parsed.name == settings.name else {
            throw InferenceError(.invalidArgument, "\(file): metadata.name is \(parsed.name) but the folder is \(settings.name): they must agree (the folder names the model)")
        }
        spec.withLockedValue { $0 = parsed }
    }

    public func unload() async throws {
        spec.withLockedValue { $0 = nil }
    }

    public func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = settings.name
        metadata.platform = "seldon-pipeline"
        let names = spec.withLockedValue { $0 }?.steps.flatMap(\.inputs).compactMap { input -> String? in
            if case .pipelineInputs(let tensor?) = input.reference { return tensor }
            return nil
        } ?? []
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            var input = ModelMetadataResponse.TensorMetadata()
            input.name = name
            input.datatype = "BYTES"
            input.shape = [-1]
            metadata.inputs.append(input)
        }
        return metadata
    }

    private func loadedSpec() throws(InferenceError) -> PipelineSpec {
        guard let spec = spec.withLockedValue({ $0 }) else { throw InferenceError(.unavailable, "pipeline \(settings.name) is not loaded") }
        return spec
    }

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        try await run(request, context: context, stream: nil)
    }

    public func inferStream(_ request: ModelInferRequest, context: RequestContext) -> AsyncThrowingStream<ModelInferResponse, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let spec = try loadedSpec()
                    if spec.outputSteps.count == 1 {
                        _ = try await run(request, context: context, stream: continuation)
                    } else {
                        continuation.yield(try await run(request, context: context, stream: nil))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs every step; with `stream`, the one output step's pieces go there as they come.
    private func run(
        _ request: ModelInferRequest, context: RequestContext, stream: AsyncThrowingStream<ModelInferResponse, Error>.Continuation?
    ) async throws -> ModelInferResponse {
        let spec = try loadedSpec()
        let id = request.id.isEmpty ? context.requestID : request.id
        let inputs = PipelineTensor.inputs(of: request)
        var results: [String: (tensors: [PipelineTensor], parameters: [String: InferParameter])] = [:]
        for step in try spec.order() {
            let tensors = try gather(step, spec: spec, inputs: inputs, results: results)
            if let duplicate = Self.duplicate(tensors.map(\.name)) {
                throw InferenceError(.invalidArgument, "pipeline \(spec.name), step \(step.name): two inputs are named \(duplicate) (rename one with tensorMap)")
            }
            var parameters = request.parameters
            if !request.id.isEmpty { parameters["append_key"] = InferParameter(.string("\(request.id)/\(spec.name)/\(step.name)")) }
            let stepRequest = PipelineTensor.request(model: step.name, id: id, parameters: parameters, tensors: tensors)
            let response: ModelInferResponse
            do {
                if let stream, spec.outputSteps == [step.name] {
                    response = try await relay(stepRequest, context: context, spec: spec, id: id, into: stream)
                } else {
                    response = try await caller.infer(stepRequest, context: context)
                }
            } catch let error as InferenceError {
                throw InferenceError(error.code, "pipeline \(spec.name), step \(step.name): \(error.message)")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw InferenceError(.internal, "pipeline \(spec.name), step \(step.name): \(error)")
            }
            results[step.name] = (PipelineTensor.outputs(of: response), response.parameters)
        }
        let parameters = spec.outputSteps.count == 1 ? results[spec.outputSteps[0]]?.parameters ?? [:] : [:]
        var response = PipelineTensor.response(model: settings.name, id: id, parameters: parameters, tensors: outputs(spec, results.mapValues(\.tensors)))
        response.modelVersion = settings.version
        return response
    }

    /// Streams the output step, each piece renamed as the pipeline's output; returns its last
    /// (final) piece as the step's answer for the steps after it.
    private func relay(
        _ request: ModelInferRequest, context: RequestContext, spec: PipelineSpec, id: String,
        into stream: AsyncThrowingStream<ModelInferResponse, Error>.Continuation
    ) async throws -> ModelInferResponse {
        var last: ModelInferResponse?
        for try await piece in try await caller.inferStream(request, context: context) {
            var renamed = PipelineTensor.response(
                model: settings.name, id: id, parameters: piece.parameters,
                tensors: outputs(spec, [request.modelName: PipelineTensor.outputs(of: piece)]))
            renamed.modelVersion = settings.version
            stream.yield(renamed)
            last = piece
        }
        guard let last else { throw InferenceError(.internal, "the step answered an empty stream") }
        return last
    }

    /// The pipeline's outputs: the output steps' tensors, renamed by `output.tensorMap`.
    private func outputs(_ spec: PipelineSpec, _ results: [String: [PipelineTensor]]) -> [PipelineTensor] {
        spec.outputSteps.flatMap { step in
            (results[step] ?? []).map { tensor in
                var renamed = tensor
                renamed.name = spec.outputTensorMap["\(step).outputs.\(tensor.name)"] ?? tensor.name
                return renamed
            }
        }
    }

    /// What a step's inputs bring, renamed by its `tensorMap`.
    private func gather(
        _ step: PipelineSpec.Step, spec: PipelineSpec, inputs: [PipelineTensor], results: [String: (tensors: [PipelineTensor], parameters: [String: InferParameter])]
    ) throws(InferenceError) -> [PipelineTensor] {
        var gathered: [PipelineTensor] = []
        for input in step.inputs {
            let source: [PipelineTensor], prefix: String, wanted: String?, origin: String
            switch input.reference {
            case .pipelineInputs(let tensor):
                (source, prefix, wanted, origin) = (inputs, "\(spec.name).inputs", tensor, "the request")
            case .stepOutputs(let name, let tensor):
                (source, prefix, wanted, origin) = (results[name]?.tensors ?? [], "\(name).outputs", tensor, "step \(name)")
            }
            var picked = source
            if let wanted {
                picked = source.filter { $0.name == wanted }
                guard !picked.isEmpty else {
                    throw InferenceError(.invalidArgument, "pipeline \(spec.name), step \(step.name): input \(input.text): \(origin) has no tensor \(wanted) (it has \(source.map(\.name).joined(separator: ", ")))")
                }
            }
            for var tensor in picked {
                tensor.name = step.tensorMap["\(prefix).\(tensor.name)"] ?? (wanted != nil ? step.tensorMap[input.text] : nil) ?? tensor.name
                gathered.append(tensor)
            }
        }
        return gathered
    }

    private static func duplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }
}
