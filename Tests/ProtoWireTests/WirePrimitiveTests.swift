import NIOCore
import Testing

@testable import ProtoWire

/// The wire primitives, read through the smallest message that carries each of them:
/// InferParameter (varint, fixed64, string) and InferTensorContents (packed runs).
@Suite("Wire primitives")
struct WirePrimitiveTests {
    @Test(
        "varints decode at every length, up to 10 bytes",
        arguments: [
            ("10 00", Int64(0)), ("10 01", 1), ("10 7f", 127), ("10 80 01", 128), ("10 ac 02", 300),
            ("10 ff ff 03", 65535), ("10 ff ff ff ff 07", Int64(Int32.max)),
            ("10 ff ff ff ff ff ff ff ff 7f", Int64.max), ("10 ff ff ff ff ff ff ff ff ff 01", -1),
            ("10 80 80 80 80 80 80 80 80 80 01", Int64.min),
            // Zero-padded (non-minimal) varints are valid protobuf: accepted within 10 bytes.
            ("10 80 00", 0), ("10 81 80 80 00", 1),
        ])
    func varints(_ input: String, _ expected: Int64) throws {
        #expect(try InferParameter(decoding: hex(input)) == .int64(expected))
    }

    @Test("varints longer than 10 bytes or wider than 64 bits are rejected")
    func badVarints() {
        #expect(throws: ProtoWireError(.malformedVarint, offset: 1).within(field: "int64_param")) {
            try InferParameter(decoding: hex("10 ff ff ff ff ff ff ff ff ff 02"))
        }
        #expect(throws: ProtoWireError(.malformedVarint, offset: 1).within(field: "int64_param")) {
            try InferParameter(decoding: hex("10 80 80 80 80 80 80 80 80 80 80 00"))
        }
        #expect(throws: ProtoWireError(.truncated, offset: 1).within(field: "int64_param")) {
            try InferParameter(decoding: hex("10 80 80"))
        }
    }

    @Test("encoded varint sizes match the bytes written", arguments: [
        UInt64(0), 1, 127, 128, 16383, 16384, 1 << 21 - 1, 1 << 21, 1 << 35, 1 << 56, 1 << 63, .max,
    ])
    func varintSizes(_ value: UInt64) throws {
        let parameter = InferParameter.uint64(value)
        let bytes = parameter.serializedBytes()
        #expect(bytes.count == 1 + WireSize.varint(value))
        #expect(try InferParameter(decoding: bytes) == parameter)
    }

    @Test("negative int32 and int64 take 10 bytes, as the spec says")
    func negativeInt32() throws {
        var contents = InferTensorContents()
        contents.intContents = [-1]
        #expect(contents.serializedBytes() == hex("12 0a ff ff ff ff ff ff ff ff ff 01"))
        #expect(try InferTensorContents(decoding: contents.serializedBytes()) == contents)
    }

    @Test("zigzag maps signed values to small unsigned ones and back")
    func zigzag() {
        let pairs32: [(Int32, UInt32)] = [(0, 0), (-1, 1), (1, 2), (-2, 3), (.max, .max - 1), (.min, .max)]
        for (signed, unsigned) in pairs32 {
            #expect(ZigZag.encode(signed) == unsigned)
            #expect(ZigZag.decode(unsigned) == signed)
        }
        let pairs64: [(Int64, UInt64)] = [(0, 0), (-1, 1), (1, 2), (.max, .max - 1), (.min, .max)]
        for (signed, unsigned) in pairs64 {
            #expect(ZigZag.encode(signed) == unsigned)
            #expect(ZigZag.decode(unsigned) == signed)
        }
    }

    @Test("fixed64 doubles and packed fixed32 floats keep every bit")
    func fixedWidth() throws {
        #expect(InferParameter.double(1.0).serializedBytes() == hex("21 00 00 00 00 00 00 f0 3f"))
        var contents = InferTensorContents()
        contents.fp32Contents = [1.0, -2.5]
        #expect(contents.serializedBytes() == hex("32 08 00 00 80 3f 00 00 20 c0"))
        let nan = Float(bitPattern: 0x7FA0_0001)
        contents.fp32Contents = [nan]
        let decoded = try InferTensorContents(decoding: contents.serializedBytes())
        #expect(decoded.fp32Contents.map(\.bitPattern) == [0x7FA0_0001])
    }

    @Test("tags: field numbers up to 2^29-1 are accepted, 0 and above are not")
    func tags() throws {
        // Field 536870911 (2^29-1), varint: an unknown field, kept.
        let maxField = hex("f8 ff ff ff 0f 01")
        let parameter = try InferParameter(decoding: maxField)
        #expect(parameter.value == nil)
        #expect(parameter.unknownFields.bytes == maxField)
        #expect(throws: ProtoWireError(.invalidFieldNumber(1 << 29), offset: 0)) {
            try InferParameter(decoding: hex("80 80 80 80 10 01"))
        }
        #expect(throws: ProtoWireError(.invalidFieldNumber(0), offset: 0)) {
            try InferParameter(decoding: hex("00 01"))
        }
    }
}
