import ExtrasBase64
import InferWireCore
import NIOCore
import ProtoWire

/// JSON front ends (MLServer's REST convention, `inferwire infer --request file.json`) carry
/// media in the chat `content` tensor as base64 text; the binary protocol carries raw bytes.
/// This turns the first into the second at the edge, so the runtime sees raw bytes either way
/// and both reach the provider identically.
public enum Base64MediaInputs {
    /// For a single-message request (`content` and `type` with one element per part), decodes
    /// every `content` element whose `type` is a MIME type. Multi-turn elements (JSON lists) are
    /// left alone: the runtime decodes the base64 inside them.
    public static func decode(in request: inout ModelInferRequest) throws(InferenceError) {
        guard let contentIndex = request.inputIndex(named: "content"), let typeIndex = request.inputIndex(named: "type"),
            request.inputs[contentIndex].datatype == "BYTES", request.inputs[typeIndex].datatype == "BYTES"
        else { return }
        let roles = try request.inputIndex(named: "role").map { index throws(InferenceError) in try request.requireStrings(ofInput: index) } ?? ["user"]
        guard roles.count == 1 else { return }
        var contents = try request.requireBytesElements(ofInput: contentIndex)
        let types = try request.requireStrings(ofInput: typeIndex)
        // A MIME type names a media element; a JSON list (the memory's one-message form) does not.
        func isMedia(_ type: String) -> Bool { type.contains("/") && !type.hasPrefix("[") }
        guard types.count == contents.count, types.contains(where: isMedia) else { return }
        for (index, type) in types.enumerated() where isMedia(type) {
            let text = String(buffer: contents[index])
            guard let bytes = try? Base64.decode(string: text) else {
                throw InferenceError(.invalidArgument, "tensor content, element \(index): \(type) data must be base64 in a JSON request")
            }
            contents[index] = ByteBuffer(bytes: bytes)
        }
        // Store the decoded elements as raw contents of the same tensor.
        let encoded = BytesElements.encode(contents.map { Array($0.readableBytesView) })
        if request.rawInputContents.count == request.inputs.count {
            request.rawInputContents[contentIndex] = encoded
        } else {
            var input = request.inputs[contentIndex]
            input.contents = InferTensorContents()
            input.contents?.bytesContents = contents
            request.inputs[contentIndex] = input
        }
    }
}
