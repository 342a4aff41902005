import InferWireCore
import ProtoWire

/// A request's `outputs`: when it names some, only those are returned (as Triton and MLServer
/// do), and a name the model cannot produce is INVALID_ARGUMENT. Checked against the model's
/// declared outputs before the runtime runs (so a refused request changes nothing, e.g. appends
/// no memory), and against the response when the model declares none (echo).
struct RequestedOutputs: Sendable {
    private let names: [String]

    /// No outputs named: every output is returned.
    static let all = RequestedOutputs(names: [])

    private init(names: [String]) {
        self.names = names
    }

    init(_ requested: [ModelInferRequest.InferRequestedOutputTensor], declared: [String]) throws(InferenceError) {
        names = requested.map(\.name)
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw InferenceError(.invalidArgument, "output '\(name)' is requested more than once")
        }
        if !declared.isEmpty, let unknown = names.first(where: { !declared.contains($0) }) {
            throw InferenceError(.invalidArgument, "the model has no output '\(unknown)' (outputs: \(declared.joined(separator: ", ")))")
        }
    }

    /// The response with the requested outputs only, in the response's order. `strict`: every
    /// requested name must be there (a unary answer); a streamed piece may hold fewer.
    func select(from response: ModelInferResponse, strict: Bool) throws(InferenceError) -> ModelInferResponse {
        guard !names.isEmpty else { return response }
        if strict, let missing = names.first(where: { name in !response.outputs.contains { $0.name == name } }) {
            throw InferenceError(.invalidArgument, "the model has no output '\(missing)' (outputs: \(response.outputs.map(\.name).joined(separator: ", ")))")
        }
        var selected = response
        let keep = response.outputs.indices.filter { names.contains(response.outputs[$0].name) }
        selected.outputs = keep.map { response.outputs[$0] }
        if response.rawOutputContents.count == response.outputs.count {
            selected.rawOutputContents = keep.map { response.rawOutputContents[$0] }
        }
        return selected
    }
}
