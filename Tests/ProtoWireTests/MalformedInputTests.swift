import CV2Reference
import NIOCore
import PropertyBased
import Testing

@testable import ProtoWire

/// Every malformed input gets a typed error that names the problem, the field path and the byte.
@Suite("Malformed input and limits")
struct MalformedInputTests {
    func error<M: ProtoMessage>(
        _ type: M.Type, _ input: String, limits: DecodingLimits = .default
    ) -> ProtoWireError? {
        do {
            _ = try M(decoding: hex(input), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test("invalid UTF-8 in a string: named by path, at the first byte of the string")
    func invalidUTF8() {
        // inputs[0].name = "a", inputs[1].name = 0xFF
        let error = error(ModelInferRequest.self, "2a 03 0a 01 61 2a 03 0a 01 ff")
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.fieldPath == "inputs[1].name")
        #expect(error?.offset == 9)
        #expect(error?.description == "a string field is not valid UTF-8 at byte 9 in field inputs[1].name")
        // Overlong encodings and lone surrogates are not UTF-8 either.
        #expect(self.error(ModelInferRequest.self, "0a 02 c0 af")?.kind == .invalidUTF8)
        #expect(self.error(ModelInferRequest.self, "0a 03 ed a0 80")?.kind == .invalidUTF8)
        // A string parameter inside a map names the key.
        let inMap = self.error(ModelInferRequest.self, "22 08 0a 01 6b 12 03 1a 01 fe")
        #expect(inMap?.fieldPath == "parameters[\"k\"].string_param")
    }

    @Test("truncation at every byte of a valid message is an error, never a crash")
    func truncatedEverywhere() throws {
        var random = RandomMessages(seed: 11)
        var request = random.request()
        request.modelName = "model"
        request.inputs.append(.init(name: "x", datatype: "FP32", shape: [2], contents: InferTensorContents()))
        let bytes = request.serializedBytes()
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            // A prefix that ends exactly between two fields is a valid, smaller message.
            if let decoded = try? ModelInferRequest(decoding: prefix) {
                let theirs = try #require(CReference.repack(CREF_MODEL_INFER_REQUEST, prefix), "protobuf-c rejects a prefix we accept: \(length)")
                #expect(try ModelInferRequest(decoding: theirs) == decoded)
            } else {
                #expect(CReference.repack(CREF_MODEL_INFER_REQUEST, prefix) == nil, "protobuf-c accepts a prefix we reject: \(length)")
            }
        }
    }

    @Test("a length past the end of its enclosing message names the field")
    func lengthPastEnd() {
        let error = error(ModelInferRequest.self, "2a 04 0a 05 61 62")
        #expect(error?.kind == .lengthPastEnd(length: 5, available: 2))
        #expect(error?.fieldPath == "inputs[0].name")
        #expect(error?.offset == 3)
    }

    @Test("wrong wire type for a known field")
    func wrongWireType() {
        let error = error(ModelInferRequest.self, "08 01")
        #expect(error == ProtoWireError(.wrongWireType(expected: .lengthDelimited, actual: .varint), offset: 1).within(field: "model_name"))
        #expect(self.error(InferParameter.self, "0d 01 00 00 00")?.kind == .wrongWireType(expected: .varint, actual: .fixed32))
    }

    @Test("packed fixed-width run that is not a whole number of elements")
    func packedRemainder() {
        let error = error(InferTensorContents.self, "32 03 00 00 80")
        #expect(error == ProtoWireError(.packedLengthNotMultiple(length: 3, elementSize: 4), offset: 1).within(field: "fp32_contents"))
    }

    @Test("wire types 6 and 7, end group without start")
    func invalidWireTypes() {
        #expect(error(ModelInferRequest.self, "0e")?.kind == .invalidWireType(6))
        #expect(error(ModelInferRequest.self, "0a 01 61 0f")?.offset == 3)
        #expect(error(ModelInferRequest.self, "0c")?.kind == .unmatchedEndGroup(field: 1))
        #expect(error(ModelInferRequest.self, "4b 08 01")?.kind == .unterminatedGroup(field: 9))
    }

    @Test("limits: message size, nesting depth, repeated count, tensor count")
    func limits() {
        let small = DecodingLimits(maxMessageSize: 4)
        #expect(error(ModelInferRequest.self, "0a 03 61 62 63", limits: small)?.kind == .messageTooLarge(size: 5, limit: 4))

        // request → inputs[0] → contents is depth 2.
        let nested = "2a 04 2a 02 12 00"
        #expect(error(ModelInferRequest.self, nested, limits: DecodingLimits(maxDepth: 2)) == nil)
        let tooDeep = error(ModelInferRequest.self, nested, limits: DecodingLimits(maxDepth: 1))
        #expect(tooDeep?.kind == .nestingTooDeep(limit: 1))
        #expect(tooDeep?.fieldPath == "inputs[0].contents")

        let shape = error(ModelInferRequest.InferInputTensor.self, "1a 05 01 02 03 04 05", limits: DecodingLimits(maxRepeatedCount: 4))
        #expect(shape?.kind == .tooManyElements(limit: 4))
        #expect(shape?.fieldPath == "shape")
        let unpacked = error(ModelInferRequest.InferInputTensor.self, "18 01 18 02 18 03", limits: DecodingLimits(maxRepeatedCount: 2))
        #expect(unpacked?.kind == .tooManyElements(limit: 2))

        let tensors = error(ModelInferRequest.self, "2a 00 2a 00 2a 00", limits: DecodingLimits(maxTensorCount: 2))
        #expect(tensors?.kind == .tooManyTensors(limit: 2))
        #expect(tensors?.fieldPath == "inputs")
        #expect(error(ModelInferRequest.self, "3a 00 3a 00 3a 00", limits: DecodingLimits(maxTensorCount: 2))?.kind == .tooManyTensors(limit: 2))
    }

    @Test("deeply nested groups stop at the depth limit instead of exhausting the stack")
    func deepGroups() throws {
        let depth = 200_000
        let input = [UInt8](repeating: 0x4B, count: depth) + [UInt8](repeating: 0x4C, count: depth)
        let error = error(ModelInferRequest.self, hexString(input))
        #expect(error?.kind == .nestingTooDeep(limit: DecodingLimits.default.maxDepth))
        // Within the limit, nested groups are skipped and kept.
        let shallow = [UInt8](repeating: 0x4B, count: 5) + [UInt8](repeating: 0x4C, count: 5)
        #expect(try ModelInferRequest(decoding: shallow).unknownFields.bytes == shallow)
    }

    @Test("deeply nested messages stop at the depth limit")
    func deepMessages() {
        // stream response → infer_response → outputs[0] → contents is depth 3.
        let limits = DecodingLimits(maxDepth: 2)
        let input = "12 06 2a 04 2a 02 12 00"
        #expect(error(ModelStreamInferResponse.self, input, limits: limits)?.fieldPath == "infer_response.outputs[0].contents")
    }

    @Test("random bytes and mutated messages: an error or a message that round-trips, never a crash")
    func robustness() async {
        await propertyCheck(count: 3000, input: Gen.uint64(in: 0 ... UInt64.max)) { seed in
            var random = RandomMessages(seed: seed)
            var bytes = random.request().serializedBytes()
            if bytes.isEmpty || random.chance(20) {
                bytes = (0..<random.count(64)).map { _ in UInt8.random(in: 0...255, using: &random.rng) }
            } else {
                for _ in 0...random.count(4) {
                    let index = random.count(bytes.count - 1)
                    switch random.count(2) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &random.rng)
                    case 1: bytes.removeSubrange(index...)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &random.rng), at: index)
                    }
                    if bytes.isEmpty { break }
                }
            }
            if let decoded = try? ModelInferRequest(decoding: bytes) {
                let encoded = decoded.serializedBytes()
                #expect((try? ModelInferRequest(decoding: encoded)) == decoded, "seed \(seed)")
                _ = try? decoded.validateTensorData()
            }
        }
    }
}

@Suite("Decoding cost")
struct DecodingCostTests {
    /// A million occurrences of `contents` merge in place (about a second); copying on every
    /// merge would be 10¹² / 2 element copies, minutes, and trip the time limit.
    @Test("a singular message repeated many times merges in linear time", .timeLimit(.minutes(1)))
    func repeatedEmbeddedMessage() throws {
        let occurrences = 1_000_000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(occurrences * 5)
        for index in 0..<occurrences {
            bytes += [0x2A, 0x03, 0x12, 0x01, UInt8(index % 100)]  // contents { int_contents: [i % 100] }
        }
        let tensor = try ModelInferRequest.InferInputTensor(decoding: bytes)
        #expect(tensor.contents?.intContents.count == occurrences)
        #expect(tensor.contents?.intContents.last == Int32((occurrences - 1) % 100))
    }
}
