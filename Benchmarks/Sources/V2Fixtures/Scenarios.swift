import NIOCore
import ProtoWire

/// The benchmark scenarios, as ProtoWire messages. Every implementation is measured on the
/// canonical bytes ProtoWire encodes from these (see `Fixture`), so all three see the same input.
public enum Scenarios {
    /// Deterministic pseudo-random numbers (SplitMix64), so every run measures the same bytes.
    public struct SplitMix64 {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let contentType: [String: InferParameter] = ["content_type": .string("str")]

    /// ~200 characters of user text.
    public static let chatText =
        "Summarise the attached quarterly report in three bullet points, then list any risks the "
        + "authors mention about supply chains, currency exposure or staffing, and answer in plain English please."

    /// (a) A chat request as MLServer-style clients send it: three BYTES inputs with raw contents.
    public static func chatRequest() -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = "chat-model"
        request.id = "req-7f3a9c2e-0001"
        request.parameters = [
            "llm_parameters": .string(#"{"max_tokens":256,"top_p":0.9,"stop":["</s>"],"stream":false}"#),
            "memory_id": .string("mem-42f1c0de"),
            "temperature": .double(0.7),
        ]
        for (name, value) in [("role", "user"), ("content", chatText), ("type", "text")] {
            request.inputs.append(.init(name: name, datatype: "BYTES", shape: [1], parameters: contentType))
            request.rawInputContents.append(BytesElements.encode(strings: [value]))
        }
        return request
    }

    /// (b) The chat request plus a 1 MiB pseudo-random "JPEG" as a fourth BYTES input.
    public static func chatRequestWithImage() -> ModelInferRequest {
        var request = chatRequest()
        var random = SplitMix64(seed: 0x1_0000_0001)
        var jpeg = [UInt8](repeating: 0, count: 1 << 20)
        for index in stride(from: 0, to: jpeg.count, by: 8) {
            withUnsafeBytes(of: random.next().littleEndian) { word in
                for offset in 0..<8 { jpeg[index + offset] = word[offset] }
            }
        }
        jpeg[0] = 0xFF; jpeg[1] = 0xD8; jpeg[2] = 0xFF; jpeg[3] = 0xE0
        jpeg[jpeg.count - 2] = 0xFF; jpeg[jpeg.count - 1] = 0xD9
        request.inputs.append(.init(name: "image", datatype: "BYTES", shape: [1]))
        request.rawInputContents.append(BytesElements.encode([jpeg]))
        return request
    }

    public static let fp32Count = 1 << 20

    /// 1M pseudo-random finite floats in [-1, 1).
    public static let fp32Values: [Float] = {
        var random = SplitMix64(seed: 42)
        return (0..<fp32Count).map { _ in Float(Int32(truncatingIfNeeded: random.next() >> 32)) / 2_147_483_648 }
    }()

    /// (c) One FP32 tensor of 1M elements, in raw_input_contents or in contents.fp32_contents.
    public static func fp32Request(typed: Bool) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = "embedding-model"
        request.id = "req-7f3a9c2e-0002"
        var input = ModelInferRequest.InferInputTensor(name: "input__0", datatype: "FP32", shape: [1, Int64(fp32Count)])
        if typed {
            var contents = InferTensorContents()
            contents.fp32Contents = fp32Values
            input.contents = contents
            request.inputs = [input]
        } else {
            request.inputs = [input]
            request.rawInputContents = [RawTensorView<Float>.encode(fp32Values)]
        }
        return request
    }

    /// A 4 KiB (4096 bytes) JSON document.
    public static let json4KiB: String = {
        var json = #"{"id":"chatcmpl-7f3a9c2e","object":"chat.completion","model":"chat-model","choices":[{"index":0,"message":{"role":"assistant","content":""#
        let tail = #""},"finish_reason":"stop"}],"usage":{"prompt_tokens":57,"completion_tokens":731,"total_tokens":788}}"#
        let words = ["the", "report", "shows", "revenue", "growth", "of", "twelve", "percent", "while", "costs", "rose", "in", "three", "regions"]
        var index = 0
        while json.utf8.count + tail.utf8.count < 4096 {
            let word = words[index % words.count] + " "
            if json.utf8.count + tail.utf8.count + word.utf8.count > 4096 {
                json += String(repeating: ".", count: 4096 - json.utf8.count - tail.utf8.count)
                break
            }
            json += word
            index += 1
        }
        json += tail
        precondition(json.utf8.count == 4096)
        return json
    }()

    /// (d) A response with one BYTES output holding a 4 KiB JSON string.
    public static func chatResponse() -> ModelInferResponse {
        var response = ModelInferResponse()
        response.modelName = "chat-model"
        response.id = "req-7f3a9c2e-0001"
        response.outputs = [.init(name: "output_all", datatype: "BYTES", shape: [1])]
        response.rawOutputContents = [BytesElements.encode(strings: [json4KiB])]
        return response
    }
}
