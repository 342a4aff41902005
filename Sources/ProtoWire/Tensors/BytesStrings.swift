import NIOCore

/// BYTES tensors read and written as text: the chat and memory conventions (role, content,
/// type, memory_id, history) are all BYTES tensors of UTF-8 strings.
extension ModelInferRequest {
    /// The UTF-8 strings of BYTES input `index`; a non-text element names its index.
    public func strings(ofInput index: Int) throws(TensorDataError) -> [String] {
        let name = inputs[index].name
        var strings: [String] = []
        for (element, buffer) in try bytesElements(ofInput: index).enumerated() {
            strings.append(try BytesText.utf8(buffer, tensor: name, element: element))
        }
        return strings
    }
}

public enum BytesText {
    /// One element as UTF-8 text (validated, not repaired).
    public static func utf8(_ buffer: ByteBuffer, tensor: String, element: Int) throws(TensorDataError) -> String {
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw TensorDataError(.notUTF8(element: element), tensor: tensor)
        }
        return text
    }
}

extension ModelInferResponse.InferOutputTensor {
    /// A BYTES output of strings, one per row (shape [n, 1]), marked `content_type: str` as
    /// MLServer's string codec marks them.
    public static func strings(_ name: String, _ values: [String]) -> Self {
        var contents = InferTensorContents()
        contents.bytesContents = values.map { ByteBuffer(string: $0) }
        return .init(name: name, datatype: "BYTES", shape: [Int64(values.count), 1], parameters: ["content_type": .string("str")], contents: contents)
    }
}
