import NIOCore
import ProtoWire

/// Builders and readers for the BYTES tensors of the chat and memory conventions.
public enum Tensors {
    public struct MissingOutput: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "no output \(name)" }
    }

    public static func bytesInput(_ name: String, _ elements: [[UInt8]], shape: [Int64]? = nil) -> ModelInferRequest.InferInputTensor {
        var contents = InferTensorContents()
        contents.bytesContents = elements.map { ByteBuffer(bytes: $0) }
        return .init(name: name, datatype: "BYTES", shape: shape ?? [Int64(elements.count)], contents: contents)
    }

    public static func text(_ name: String, _ elements: [String], shape: [Int64]? = nil) -> ModelInferRequest.InferInputTensor {
        bytesInput(name, elements.map { Array($0.utf8) }, shape: shape)
    }

    public static func chat(_ model: String, _ inputs: [ModelInferRequest.InferInputTensor], parameters: [String: InferParameter] = [:]) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        request.inputs = inputs
        request.parameters = parameters
        return request
    }

    /// A BYTES output's elements as text.
    public static func strings(_ response: ModelInferResponse, _ output: String) throws -> [String] {
        guard let index = response.outputIndex(named: output) else { throw MissingOutput(name: output) }
        return try response.bytesElements(ofOutput: index).map { String(buffer: $0) }
    }
}
