import NIOCore

/// The elements of one BYTES tensor, wherever the sender put them: raw contents (length-prefixed
/// elements) or typed `contents.bytes_contents`. Either way the elements are slices of the
/// received buffer.
enum BytesTensorAccess {
    static func elements(
        name: String, datatype: String, contents: InferTensorContents?, raw: ByteBuffer?
    ) throws(TensorDataError) -> [ByteBuffer] {
        guard datatype == Datatype.bytes.rawValue else {
            throw TensorDataError(.wrongElementType(requested: "BYTES"), tensor: name)
        }
        if let raw {
            guard contents == nil else { throw TensorDataError(.contentsAndRawContents, tensor: name) }
            return try BytesElements.split(raw, tensor: name)
        }
        return contents?.bytesContents ?? []
    }
}

extension ModelInferRequest {
    /// The index of the input named `name`, if any.
    public func inputIndex(named name: String) -> Int? {
        inputs.firstIndex { $0.name == name }
    }

    /// The BYTES elements of input `index`, from raw contents when the request has them,
    /// otherwise from `contents.bytes_contents`.
    public func bytesElements(ofInput index: Int) throws(TensorDataError) -> [ByteBuffer] {
        let input = inputs[index]
        guard rawInputContents.isEmpty || rawInputContents.count == inputs.count else {
            throw TensorDataError(
                .rawContentsCountMismatch(tensors: inputs.count, rawContents: rawInputContents.count), tensor: "")
        }
        return try BytesTensorAccess.elements(
            name: input.name, datatype: input.datatype, contents: input.contents,
            raw: rawInputContents.isEmpty ? nil : rawInputContents[index])
    }
}

extension ModelInferResponse {
    /// The index of the output named `name`, if any.
    public func outputIndex(named name: String) -> Int? {
        outputs.firstIndex { $0.name == name }
    }

    /// The BYTES elements of output `index`, from raw contents when the response has them,
    /// otherwise from `contents.bytes_contents`.
    public func bytesElements(ofOutput index: Int) throws(TensorDataError) -> [ByteBuffer] {
        let output = outputs[index]
        guard rawOutputContents.isEmpty || rawOutputContents.count == outputs.count else {
            throw TensorDataError(
                .rawContentsCountMismatch(tensors: outputs.count, rawContents: rawOutputContents.count), tensor: "")
        }
        return try BytesTensorAccess.elements(
            name: output.name, datatype: output.datatype, contents: output.contents,
            raw: rawOutputContents.isEmpty ? nil : rawOutputContents[index])
    }
}
