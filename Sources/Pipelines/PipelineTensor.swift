import InferWireCore
import NIOCore
import ProtoWire

/// A tensor on its way between steps: what a request input and a response output share, with
/// its data either typed (`contents`) or raw. A step's request carries all its tensors raw when
/// any of them is raw (V2 allows one or the other per message), so typed ones are converted.
struct PipelineTensor: Sendable {
    var name: String
    var datatype: String
    var shape: [Int64]
    var parameters: [String: InferParameter]
    var contents: InferTensorContents?
    var raw: ByteBuffer?

    static func inputs(of request: ModelInferRequest) -> [PipelineTensor] {
        request.inputs.enumerated().map { index, input in
            PipelineTensor(name: input.name, datatype: input.datatype, shape: input.shape, parameters: input.parameters,
                           contents: input.contents, raw: index < request.rawInputContents.count ? request.rawInputContents[index] : nil)
        }
    }

    static func outputs(of response: ModelInferResponse) -> [PipelineTensor] {
        response.outputs.enumerated().map { index, output in
            PipelineTensor(name: output.name, datatype: output.datatype, shape: output.shape, parameters: output.parameters,
                           contents: output.contents, raw: index < response.rawOutputContents.count ? response.rawOutputContents[index] : nil)
        }
    }

    static func request(model: String, id: String, parameters: [String: InferParameter], tensors: [PipelineTensor]) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        request.id = id
        request.parameters = parameters
        let raw = tensors.contains { $0.raw != nil }
        for tensor in tensors {
            var input = ModelInferRequest.InferInputTensor()
            input.name = tensor.name
            input.datatype = tensor.datatype
            input.shape = tensor.shape
            input.parameters = tensor.parameters
            if raw { request.rawInputContents.append(tensor.rawBytes) } else { input.contents = tensor.contents }
            request.inputs.append(input)
        }
        return request
    }

    static func response(model: String, id: String, parameters: [String: InferParameter], tensors: [PipelineTensor]) -> ModelInferResponse {
        var response = ModelInferResponse()
        response.modelName = model
        response.id = id
        response.parameters = parameters
        let raw = tensors.contains { $0.raw != nil }
        for tensor in tensors {
            var output = ModelInferResponse.InferOutputTensor()
            output.name = tensor.name
            output.datatype = tensor.datatype
            output.shape = tensor.shape
            output.parameters = tensor.parameters
            if raw { response.rawOutputContents.append(tensor.rawBytes) } else { output.contents = tensor.contents }
            response.outputs.append(output)
        }
        return response
    }

    /// The data as raw contents (little-endian; BYTES elements length-prefixed).
    var rawBytes: ByteBuffer {
        if let raw { return raw }
        let contents = self.contents ?? InferTensorContents()
        switch Datatype(rawValue: datatype) {
        case .bytes?: return BytesElements.encode(buffers: contents.bytesContents)
        case .bool?: return RawTensorView<UInt8>.encode(contents.boolContents.map { $0 ? 1 : 0 })
        case .uint8?: return RawTensorView<UInt8>.encode(contents.uintContents.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16?: return RawTensorView<UInt16>.encode(contents.uintContents.map { UInt16(truncatingIfNeeded: $0) })
        case .uint32?: return RawTensorView<UInt32>.encode(contents.uintContents)
        case .uint64?: return RawTensorView<UInt64>.encode(contents.uint64Contents)
        case .int8?: return RawTensorView<Int8>.encode(contents.intContents.map { Int8(truncatingIfNeeded: $0) })
        case .int16?: return RawTensorView<Int16>.encode(contents.intContents.map { Int16(truncatingIfNeeded: $0) })
        case .int32?: return RawTensorView<Int32>.encode(contents.intContents)
        case .int64?: return RawTensorView<Int64>.encode(contents.int64Contents)
        case .fp32?: return RawTensorView<Float>.encode(contents.fp32Contents)
        case .fp64?: return RawTensorView<Double>.encode(contents.fp64Contents)
        case .fp16?, .bf16?, nil: return ByteBuffer()  // no typed form exists for these
        }
    }
}
