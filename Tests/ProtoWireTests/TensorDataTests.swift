import NIOCore
import Testing

@testable import ProtoWire

@Suite("Tensor data")
struct TensorDataTests {
    @Test("BYTES raw contents: elements split as slices, encode is the inverse")
    func bytesElements() throws {
        let raw = BytesElements.encode(strings: ["user", "", "héllo"])
        #expect(Array(raw.readableBytesView) == hex("04 00 00 00 75 73 65 72 00 00 00 00 06 00 00 00 68 c3 a9 6c 6c 6f"))
        let elements = try BytesElements.split(raw)
        #expect(elements.map { String(buffer: $0) } == ["user", "", "héllo"])
        #expect(try BytesElements.split(ByteBuffer()) == [])
    }

    @Test("BYTES raw contents: a cut length prefix or an element past the end names element and byte")
    func bytesElementErrors() {
        #expect(throws: TensorDataError(.truncatedLengthPrefix(element: 1, offset: 5), tensor: "content")) {
            try BytesElements.split(ByteBuffer(hex: "01 00 00 00 61 02 00"), tensor: "content")
        }
        #expect(throws: TensorDataError(.elementPastEnd(element: 1, offset: 5, length: 9, available: 2), tensor: "content")) {
            try BytesElements.split(ByteBuffer(hex: "01 00 00 00 61 09 00 00 00 62 63"), tensor: "content")
        }
        // A length near 4 GiB does not overflow.
        #expect(throws: TensorDataError.self) {
            try BytesElements.split(ByteBuffer(hex: "ff ff ff ff 00"))
        }
    }

    @Test("numeric views read raw contents in place, little-endian, unaligned")
    func numericViews() throws {
        var buffer = ByteBuffer(hex: "ee")  // misalign the payload
        buffer.writeImmutableBuffer(RawTensorView<Float>.encode([1.5, -2, .infinity]))
        buffer.moveReaderIndex(forwardBy: 1)
        let view = try RawTensorView<Float>(buffer, datatype: .fp32, tensor: "x")
        #expect(Array(view) == [1.5, -2, .infinity])
        #expect(view.values == [1.5, -2, .infinity])
        let ints = try RawTensorView<Int64>(ByteBuffer(hex: "ff ff ff ff ff ff ff ff 02 00 00 00 00 00 00 00"), datatype: .int64)
        #expect(Array(ints) == [-1, 2])
        #expect(throws: TensorDataError(.wrongElementType(requested: "Float"), tensor: "x")) {
            try RawTensorView<Float>(buffer, datatype: .fp64, tensor: "x")
        }
        #expect(throws: TensorDataError(.rawSizeMismatch(expected: 4, actual: 5), tensor: "")) {
            try RawTensorView<Float>(ByteBuffer(hex: "00 00 00 00 00"), datatype: .fp32)
        }
        #expect(try RawTensorView<UInt16>(ByteBuffer(hex: "00 3c"), datatype: .fp16).first == 0x3C00)
    }

    @Test("validation: shape × element size must match the raw byte count")
    func rawValidation() throws {
        var request = ModelInferRequest()
        request.inputs = [
            .init(name: "pixels", datatype: "FP32", shape: [2, 3]),
            .init(name: "prompt", datatype: "BYTES", shape: [2]),
        ]
        request.rawInputContents = [
            RawTensorView<Float>.encode([1, 2, 3, 4, 5, 6]), BytesElements.encode(strings: ["a", "b"]),
        ]
        try request.validateTensorData()

        request.rawInputContents[0] = RawTensorView<Float>.encode([1, 2, 3, 4, 5])
        #expect(throws: TensorDataError(.rawSizeMismatch(expected: 24, actual: 20), tensor: "pixels")) {
            try request.validateTensorData()
        }
        request.rawInputContents[0] = RawTensorView<Float>.encode([1, 2, 3, 4, 5, 6])
        request.rawInputContents[1] = BytesElements.encode(strings: ["a"])
        #expect(throws: TensorDataError(.elementCountMismatch(expected: 2, actual: 1), tensor: "prompt")) {
            try request.validateTensorData()
        }
        request.rawInputContents.removeLast()
        #expect(throws: TensorDataError(.rawContentsCountMismatch(tensors: 2, rawContents: 1), tensor: "")) {
            try request.validateTensorData()
        }
        request.rawInputContents.append(BytesElements.encode(strings: ["a", "b"]))
        request.inputs[0].shape = [2, -3]
        #expect(throws: TensorDataError(.negativeDimension(index: 1, value: -3), tensor: "pixels")) {
            try request.validateTensorData()
        }
        request.inputs[0].shape = [Int64.max, 4]
        #expect(throws: TensorDataError(.shapeTooLarge, tensor: "pixels")) { try request.validateTensorData() }
        request.inputs[0].shape = [6]
        request.inputs[0].datatype = "FP8"
        #expect(throws: TensorDataError(.unknownDatatype("FP8"), tensor: "pixels")) { try request.validateTensorData() }
        request.inputs[0].datatype = "FP32"
        request.inputs[0].contents = InferTensorContents()
        #expect(throws: TensorDataError(.contentsAndRawContents, tensor: "pixels")) { try request.validateTensorData() }
    }

    @Test("validation: typed contents must use the member of the datatype, shape-many elements")
    func typedValidation() throws {
        var contents = InferTensorContents()
        contents.intContents = [1, 2, 3]
        var response = ModelInferResponse()
        response.outputs = [.init(name: "ids", datatype: "INT16", shape: [3], contents: contents)]
        try response.validateTensorData()
        response.outputs[0].datatype = "FP32"
        #expect(throws: TensorDataError(.contentsDatatypeMismatch(member: "int_contents"), tensor: "ids")) {
            try response.validateTensorData()
        }
        response.outputs[0].datatype = "INT32"
        response.outputs[0].shape = [1, 4]
        #expect(throws: TensorDataError(.elementCountMismatch(expected: 4, actual: 3), tensor: "ids")) {
            try response.validateTensorData()
        }
        // An empty tensor may carry no contents at all.
        response.outputs = [.init(name: "none", datatype: "BYTES", shape: [0])]
        try response.validateTensorData()
    }

    @Test("element sizes of every datatype")
    func elementSizes() {
        #expect(Datatype.allCases.count == 14)
        #expect(Datatype.fp16.elementSize == 2)
        #expect(Datatype.bf16.elementSize == 2)
        #expect(Datatype.uint64.elementSize == 8)
        #expect(Datatype.bool.elementSize == 1)
        #expect(Datatype.bytes.elementSize == nil)
    }
}

@Suite("Tensor access")
struct TensorAccessTests {
    @Test("BYTES elements come from raw contents or from bytes_contents, by name")
    func bytesElementsEitherWay() throws {
        var request = ModelInferRequest()
        request.inputs = [
            .init(name: "role", datatype: "BYTES", shape: [1]),
            .init(name: "content", datatype: "BYTES", shape: [2]),
        ]
        request.rawInputContents = [BytesElements.encode(strings: ["user"]), BytesElements.encode(strings: ["hi", "there"])]
        let decoded = try ModelInferRequest(decoding: request.serializedBytes())
        let content = try #require(decoded.inputIndex(named: "content"))
        #expect(try decoded.bytesElements(ofInput: content).map { String(buffer: $0) } == ["hi", "there"])
        #expect(decoded.inputIndex(named: "missing") == nil)

        var typed = ModelInferResponse()
        var contents = InferTensorContents()
        contents.bytesContents = [ByteBuffer(string: "{\"a\":1}")]
        typed.outputs = [.init(name: "output_all", datatype: "BYTES", shape: [1], contents: contents)]
        let output = try #require(typed.outputIndex(named: "output_all"))
        #expect(try typed.bytesElements(ofOutput: output).map { String(buffer: $0) } == ["{\"a\":1}"])

        typed.outputs[0].datatype = "FP32"
        #expect(throws: TensorDataError(.wrongElementType(requested: "BYTES"), tensor: "output_all")) {
            try typed.bytesElements(ofOutput: 0)
        }
        request.rawInputContents.removeLast()
        #expect(throws: TensorDataError(.rawContentsCountMismatch(tensors: 2, rawContents: 1), tensor: "")) {
            try request.bytesElements(ofInput: 0)
        }
    }
}
