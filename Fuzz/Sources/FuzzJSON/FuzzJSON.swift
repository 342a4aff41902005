@testable import HTTPDoor
import NIOCore
import ProtoWire
import V2JSON

#if canImport(Glibc)
import Glibc
#endif

// libFuzzer entry point over the HTTP door's JSON reading: JSONReader (through
// JSONDocument.parse), then V2RequestDecoder and Base64MediaInputs on what it read.
//
// The input is a request body. Errors are expected; what must never happen is a crash, a hang,
// a sanitizer report, or a broken invariant (which traps through `fatalError`):
//   1. what parses serializes to text that parses again, to the same text (the writer and the
//      reader agree: escapes, numbers, key order);
//   2. the same bytes read from a buffer whose reader index is not 0 give the same document;
//   3. decoding the document as a V2 inference request, and its base64 media, may throw, not crash;
//   4. so may decoding it as an OpenAI chat completion request (for an OpenAI-compatible
//      provider and for Gemini, whose `llm_parameters` differ); the V2 request it becomes must
//      hold tensors whose data match their shapes.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzJSON invariant violated: \(what); input: \(String(decoding: input.prefix(512), as: UTF8.self).debugDescription)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let buffer = ByteBuffer(bytes: input)
    guard let document = try? JSONDocument.parse(buffer) else { return 0 }

    let text = document.serialized()
    guard let again = try? JSONDocument.parse(ByteBuffer(string: text)) else { violation("its own serialization does not parse: \(text)", input) }
    guard again.serialized() == text else { violation("serialization is not stable: \(text) then \(again.serialized())", input) }

    var shifted = ByteBuffer(bytes: [0x20] + input)
    shifted.moveReaderIndex(forwardBy: 1)
    guard let fromShifted = try? JSONDocument.parse(shifted), fromShifted.serialized() == text else {
        violation("a buffer with a reader index past 0 reads differently", input)
    }

    var request = ModelInferRequest()
    if (try? V2RequestDecoder.decode(document, binary: nil, into: &request)) != nil {
        _ = try? Base64MediaInputs.decode(in: &request)
        _ = try? request.validateTensorData()
    }
    for provider in ["openai", "gemini"] {
        guard let chat = try? OpenAIChatRequest(document, provider: provider) else { continue }
        do {
            try chat.message.validateTensorData()
        } catch {
            violation("an OpenAI request became an invalid V2 request: \(error)", input)
        }
    }
    return 0
}
