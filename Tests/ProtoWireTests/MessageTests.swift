import NIOCore
import Testing

@testable import ProtoWire

@Suite("Message semantics")
struct MessageTests {
    @Test("proto3 defaults are not written; an empty message encodes to nothing")
    func defaults() {
        #expect(ModelInferRequest().serializedBytes() == [])
        #expect(ModelInferRequest().encodedSize == 0)
        var request = ModelInferRequest()
        request.modelName = ""
        request.inputs = [.init(name: "", datatype: "", shape: [])]
        // An empty embedded message is still present: tag and zero length.
        #expect(request.serializedBytes() == hex("2a 00"))
        #expect(ServerLiveResponse(live: false).serializedBytes() == [])
    }

    @Test("fields are written in field-number order, map entries sorted by key")
    func fieldOrder() throws {
        var request = ModelInferRequest()
        request.rawInputContents = [ByteBuffer(hex: "01")]
        request.id = "i"
        request.parameters = ["b": .bool(true), "a": .int64(1)]
        request.modelName = "m"
        let expected = "0a 01 6d" + "1a 01 69"
            + "22 07 0a 01 61 12 02 10 01" + "22 07 0a 01 62 12 02 08 01" + "3a 01 01"
        #expect(request.serializedBytes() == hex(expected))
    }

    @Test("maps of any size encode sorted by key, so equal maps encode to equal bytes")
    func largeMapsSorted() throws {
        for count in [2, 16, 17, 500] {
            var request = ModelInferRequest()
            for index in (0..<count).reversed() {
                request.parameters["k\(String(index, radix: 7))"] = .int64(Int64(index))
            }
            let bytes = request.serializedBytes()
            let decoded = try ModelInferRequest(decoding: bytes)
            #expect(decoded == request)
            // Keys come out in order: re-read the entries one by one.
            var keys: [String] = []
            var rest = ByteBuffer(bytes: bytes)
            while rest.readableBytes > 0 {
                let entry = try ModelInferRequest(decoding: rest.getSlice(at: rest.readerIndex, length: 2 + Int(rest.getInteger(at: rest.readerIndex + 1, as: UInt8.self)!))!)
                keys.append(entry.parameters.keys.first!)
                rest.moveReaderIndex(forwardBy: 2 + Int(rest.getInteger(at: rest.readerIndex + 1, as: UInt8.self)!))
            }
            #expect(keys == keys.sorted())
            #expect(keys.count == count)
        }
    }

    @Test("repeated scalars decode packed and unpacked, even mixed")
    func packedAndUnpacked() throws {
        let tensor = try ModelInferRequest.InferInputTensor(decoding: hex("18 01 1a 02 02 03 18 04"))
        #expect(tensor.shape == [1, 2, 3, 4])
        let contents = try InferTensorContents(decoding: hex("35 00 00 80 3f 32 04 00 00 00 40 08 01 0a 02 00 01"))
        #expect(contents.fp32Contents == [1, 2])
        #expect(contents.boolContents == [true, false, true])
    }

    @Test("singular fields: last one wins; embedded messages merge")
    func lastWinsAndMerge() throws {
        let request = try ModelInferRequest(decoding: hex("0a 01 61 0a 01 62"))
        #expect(request.modelName == "b")
        let tensor = try ModelInferRequest.InferInputTensor(decoding: hex("2a 03 12 01 07 2a 00 2a 03 12 01 08"))
        #expect(tensor.contents?.intContents == [7, 8])
        #expect(tensor.contents?.fp32Contents == [])
        var stream = try ModelStreamInferResponse(decoding: hex("12 03 0a 01 61 12 03 1a 01 69"))
        #expect(stream.inferResponse?.modelName == "a")
        #expect(stream.inferResponse?.id == "i")
        stream = try ModelStreamInferResponse(decoding: hex("12 03 0a 01 61 12 03 0a 01 62"))
        #expect(stream.inferResponse?.modelName == "b")
    }

    @Test("oneof: the last member wins; a member holding its default is still written")
    func oneof() throws {
        #expect(try InferParameter(decoding: hex("08 01 1a 02 68 69")) == .string("hi"))
        #expect(try InferParameter(decoding: hex("1a 02 68 69 08 00")) == .bool(false))
        #expect(InferParameter.int64(0).serializedBytes() == hex("10 00"))
        #expect(InferParameter.string("").serializedBytes() == hex("1a 00"))
        #expect(InferParameter().serializedBytes() == [])
    }

    @Test("maps: missing key or value means the default; a repeated key keeps the last value")
    func maps() throws {
        let request = try ModelInferRequest(decoding: hex(
            "22 04 12 02 10 05" + "22 03 0a 01 6b" + "22 07 0a 01 78 12 02 10 01" + "22 07 0a 01 78 12 02 10 02"))
        #expect(request.parameters == ["": .int64(5), "k": InferParameter(), "x": .int64(2)])
        // Unknown fields inside a map entry are skipped.
        let withUnknown = try ModelInferRequest(decoding: hex("22 09 18 01 0a 01 6b 12 02 08 01"))
        #expect(withUnknown.parameters == ["k": .bool(true)])
    }

    @Test("unknown fields, groups included, are skipped and written back after the known fields")
    func unknownFields() throws {
        let unknown = "48 96 01" + "55 01 02 03 04" + "59 01 02 03 04 05 06 07 08" + "62 02 ff ff"
            + "6b 08 01 73 10 02 74 6c"  // group 13 holding a varint and a nested group 14
        let input = hex("0a 01 61" + unknown + "1a 01 69")
        let request = try ModelInferRequest(decoding: input)
        #expect(request.modelName == "a")
        #expect(request.id == "i")
        #expect(request.unknownFields.bytes == hex(unknown))
        #expect(request.serializedBytes() == hex("0a 01 61 1a 01 69" + unknown))
        #expect(try ModelInferRequest(decoding: request.serializedBytes()) == request)
        // A group closed by another field's end tag is malformed.
        #expect(throws: ProtoWireError(.unmatchedEndGroup(field: 14), offset: 3).within(field: "#13")) {
            try ModelInferRequest(decoding: hex("6b 08 01 74"))
        }
    }

    @Test("bytes fields are slices of the received buffer: no copy, whatever their size")
    func zeroCopy() throws {
        var request = ModelInferRequest()
        request.modelName = "vision"
        request.inputs = [.init(name: "image", datatype: "BYTES", shape: [1])]
        let image = ByteBuffer(bytes: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        request.rawInputContents = [BytesElements.encode([Array(image.readableBytesView)])]
        var wire = ByteBufferAllocator().buffer(capacity: request.encodedSize)
        request.encode(into: &wire)

        let decoded = try ModelInferRequest(decoding: wire)
        #expect(decoded == request)
        let raw = decoded.rawInputContents[0]
        let wireStart = wire.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let rawStart = raw.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        // The raw tensor points into the wire buffer, right after its tag and 3-byte length.
        #expect(rawStart >= wireStart && rawStart + UInt(raw.readableBytes) <= wireStart + UInt(wire.readableBytes))
        let element = try BytesElements.split(raw)[0]
        #expect(element.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == rawStart + 4)
        #expect(element == image)
    }

    @Test("serializedBytes writes exactly the computed size; encode(into:) appends")
    func encodingSizes() {
        var random = RandomMessages(seed: 42)
        for _ in 0..<50 {
            let request = random.request()
            let bytes = request.serializedBytes()
            #expect(bytes.count == request.encodedSize)
            var buffer = ByteBuffer(bytes: [0xAA])
            request.encode(into: &buffer)
            #expect(Array(buffer.readableBytesView) == [0xAA] + bytes)
        }
    }

    @Test("decoding does not move the reader index and reads only the readable bytes")
    func readerIndex() throws {
        var buffer = ByteBuffer(hex: "ff ff 0a 01 61")
        buffer.moveReaderIndex(forwardBy: 2)
        let request = try ModelInferRequest(decoding: buffer)
        #expect(request.modelName == "a")
        #expect(buffer.readerIndex == 2)
    }

    @Test("printing RequestHeaders never shows the token")
    func headersRedacted() {
        let headers = RequestHeaders(method: .modelInfer, modelName: "m", authorization: "Bearer top-secret")
        #expect(!"\(headers)".contains("top-secret"))
        #expect(!String(reflecting: headers).contains("top-secret"))
        #expect("\(headers)".contains("<redacted>"))
    }

    @Test("every message round-trips through its own encoding")
    func roundTrips() throws {
        var random = RandomMessages(seed: 3)
        for _ in 0..<200 {
            let request = random.request()
            #expect(try ModelInferRequest(decoding: request.serializedBytes()) == request)
            let response = random.response()
            #expect(try ModelInferResponse(decoding: response.serializedBytes()) == response)
            let metadata = random.metadata()
            #expect(try ModelMetadataResponse(decoding: metadata.serializedBytes()) == metadata)
            let load = RepositoryModelLoadRequest(modelName: random.string(), parameters: random.repositoryParameters())
            #expect(try RepositoryModelLoadRequest(decoding: load.serializedBytes()) == load)
        }
        var index = RepositoryIndexResponse()
        index.models = [.init(name: "a", state: "READY")]
        #expect(try RepositoryIndexResponse(decoding: index.serializedBytes()) == index)
        #expect(try ModelReadyRequest(decoding: ModelReadyRequest(name: "a", version: "1").serializedBytes()).version == "1")
    }
}
