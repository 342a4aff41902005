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
        let contents = try request.requireBytesElements(ofInput: contentIndex)
        let types = try request.requireStrings(ofInput: typeIndex)
        // A MIME type names a media element; a JSON list (the memory's one-message form) does not.
        func isMedia(_ type: String) -> Bool { type.utf8.contains(UInt8(ascii: "/")) && type.utf8.first != UInt8(ascii: "[") }
        guard types.count == contents.count, types.contains(where: isMedia) else { return }
        // The tensor's new raw contents, media decoded straight from the request's bytes into
        // it: no text or array in between.
        var encoded = ByteBufferAllocator().buffer(capacity: contents.reduce(0) { $0 + 4 + $1.readableBytes })
        for (index, element) in contents.enumerated() {
            let lengthAt = encoded.writerIndex
            encoded.writeInteger(UInt32(0), endianness: .little)
            if isMedia(types[index]) {
                do {
                    try element.withUnsafeReadableBytes { try Base64Text.decode($0, appendingTo: &encoded) }
                } catch {
                    throw InferenceError(.invalidArgument, "tensor content, element \(index): \(types[index]) data must be base64 in a JSON request")
                }
            } else {
                encoded.writeImmutableBuffer(element)
            }
            encoded.setInteger(UInt32(encoded.writerIndex - lengthAt - 4), at: lengthAt, endianness: .little)
        }
        if request.rawInputContents.count == request.inputs.count {
            request.rawInputContents[contentIndex] = encoded
        } else {
            var input = request.inputs[contentIndex]
            input.contents = InferTensorContents()
            input.contents?.bytesContents = (try? BytesElements.split(encoded)) ?? []
            request.inputs[contentIndex] = input
        }
    }
}
