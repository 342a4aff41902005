import NIOCore
import ProtoWire
import Testing

/// The README's example, verbatim, so that the README stays true.
@Test("README example")
func readmeExample() throws {
    var request = ModelInferRequest()
    request.modelName = "chat"
    request.inputs = [.init(name: "content", datatype: "BYTES", shape: [1])]
    request.rawInputContents = [BytesElements.encode(strings: ["Hello"])]

    let bytes = request.serializedBytes()                        // one allocation
    let decoded = try ModelInferRequest(decoding: ByteBuffer(bytes: bytes))
    try decoded.validateTensorData()
    let content = try BytesElements.split(decoded.rawInputContents[0])   // [ByteBuffer], no copies

    #expect(content.map { String(buffer: $0) } == ["Hello"])
    #expect(decoded == request)
}
