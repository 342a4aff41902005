import NIOCore
import ProtoWire
import TestSupport

/// Random V2 messages covering every field, for the differential and round-trip properties.
///
/// Strings have no NUL (protobuf-c holds them as C strings), map keys are non-empty (protobuf-c
/// drops an empty key when it re-encodes), floats are finite (NaN != NaN).
struct RandomMessages {
    var rng: SplitMix

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }
    mutating func count(_ max: Int) -> Int { Int.random(in: 0...max, using: &rng) }

    /// Edge values first, then anything.
    mutating func int64() -> Int64 {
        switch count(5) {
        case 0: [0, 1, -1, Int64.min, Int64.max, 127, 128, -128, 16383, 16384][count(9)]
        case 1: Int64(Int8.random(in: .min ... .max, using: &rng))
        default: Int64.random(in: .min ... .max, using: &rng)
        }
    }

    mutating func string(max: Int = 12, allowEmpty: Bool = true) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "_", "é", "ß", "€", "中", "🙂", "\n", "\"", "\u{7F}"]
        let length = Int.random(in: (allowEmpty ? 0 : 1)...max, using: &rng)
        return String((0..<length).map { _ in alphabet[count(alphabet.count - 1)] })
    }

    mutating func bytes(max: Int = 40) -> ByteBuffer {
        let length = count(max)
        return ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    mutating func parameter() -> InferParameter {
        switch count(5) {
        case 0: .bool(chance(50))
        case 1: .int64(int64())
        case 2: .string(string(max: 30))
        case 3: .double(Double.random(in: -1e9...1e9, using: &rng))
        case 4: .uint64(UInt64.random(in: 0 ... .max, using: &rng))
        default: InferParameter()
        }
    }

    mutating func parameters(max: Int = 3) -> [String: InferParameter] {
        var map: [String: InferParameter] = [:]
        for _ in 0..<count(max) { map[string(max: 10, allowEmpty: false)] = parameter() }
        return map
    }

    mutating func shape() -> [Int64] { (0..<count(4)).map { _ in chance(80) ? Int64(count(300)) : int64() } }

    mutating func contents() -> InferTensorContents {
        var contents = InferTensorContents()
        if chance(30) { contents.boolContents = (0..<count(6)).map { _ in chance(50) } }
        if chance(30) { contents.intContents = (0..<count(6)).map { _ in Int32(truncatingIfNeeded: int64()) } }
        if chance(30) { contents.int64Contents = (0..<count(6)).map { _ in int64() } }
        if chance(30) { contents.uintContents = (0..<count(6)).map { _ in UInt32(truncatingIfNeeded: int64()) } }
        if chance(30) { contents.uint64Contents = (0..<count(6)).map { _ in UInt64(bitPattern: int64()) } }
        if chance(30) { contents.fp32Contents = (0..<count(6)).map { _ in Float.random(in: -1e6...1e6, using: &rng) } }
        if chance(30) { contents.fp64Contents = (0..<count(6)).map { _ in Double.random(in: -1e12...1e12, using: &rng) } }
        if chance(30) { contents.bytesContents = (0..<count(4)).map { _ in bytes() } }
        return contents
    }

    mutating func request() -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = string()
        request.modelVersion = string(max: 3)
        request.id = string()
        request.parameters = parameters()
        request.inputs = (0..<count(4)).map { _ in
            ModelInferRequest.InferInputTensor(
                name: string(), datatype: Datatype.allCases[count(Datatype.allCases.count - 1)].rawValue,
                shape: shape(), parameters: parameters(max: 2), contents: chance(40) ? contents() : nil)
        }
        request.outputs = (0..<count(2)).map { _ in
            ModelInferRequest.InferRequestedOutputTensor(name: string(), parameters: parameters(max: 2))
        }
        request.rawInputContents = (0..<count(3)).map { _ in bytes(max: 200) }
        return request
    }

    mutating func response() -> ModelInferResponse {
        var response = ModelInferResponse()
        response.modelName = string()
        response.modelVersion = string(max: 3)
        response.id = string()
        response.parameters = parameters()
        response.outputs = (0..<count(4)).map { _ in
            ModelInferResponse.InferOutputTensor(
                name: string(), datatype: Datatype.allCases[count(Datatype.allCases.count - 1)].rawValue,
                shape: shape(), parameters: parameters(max: 2), contents: chance(40) ? contents() : nil)
        }
        response.rawOutputContents = (0..<count(3)).map { _ in bytes(max: 200) }
        return response
    }

    mutating func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = string()
        metadata.versions = (0..<count(3)).map { _ in string(max: 4) }
        metadata.platform = string()
        metadata.inputs = (0..<count(3)).map { _ in
            .init(name: string(), datatype: "BYTES", shape: shape(), parameters: parameters(max: 2))
        }
        metadata.outputs = (0..<count(3)).map { _ in
            .init(name: string(), datatype: "FP32", shape: shape(), parameters: parameters(max: 2))
        }
        metadata.parameters = parameters()
        return metadata
    }

    mutating func repositoryParameters() -> [String: ModelRepositoryParameter] {
        var map: [String: ModelRepositoryParameter] = [:]
        for _ in 0..<count(3) {
            let value: ModelRepositoryParameter.Value? = switch count(4) {
            case 0: .bool(chance(50))
            case 1: .int64(int64())
            case 2: .string(string())
            case 3: .bytes(bytes())
            default: nil
            }
            var parameter = ModelRepositoryParameter()
            parameter.value = value
            map[string(allowEmpty: false)] = parameter
        }
        return map
    }
}
