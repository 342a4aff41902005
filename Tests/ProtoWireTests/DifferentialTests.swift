import CV2Reference
import NIOCore
import PropertyBased
import Testing

@testable import ProtoWire

/// ProtoWire against the real libprotobuf-c, on the same proto/inference.proto.
///
/// Canonical encodings (maps sorted, keys non-empty) must be byte-identical to what protobuf-c
/// writes for the same value; protobuf-c's encodings must decode in ProtoWire to equal values.
@Suite("Differential: ProtoWire vs libprotobuf-c")
struct DifferentialTests {
    /// Encodes with ProtoWire, lets protobuf-c decode and re-encode: same bytes means protobuf-c
    /// read the same values (canonical encodings are unique per value).
    func expectProtobufCAgrees<M: ProtoMessage>(
        _ message: M, _ which: CRefMessage, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let ours = message.serializedBytes()
        let theirs = try #require(CReference.repack(which, ours), "protobuf-c rejected \(hexString(ours))", sourceLocation: sourceLocation)
        #expect(theirs == ours, "protobuf-c re-encoded differently", sourceLocation: sourceLocation)
        #expect(try M(decoding: theirs) == message, sourceLocation: sourceLocation)
    }

    @Test("every message type, filled: byte-identical through protobuf-c")
    func everyMessageType() throws {
        var random = RandomMessages(seed: 7)
        try expectProtobufCAgrees(ServerLiveRequest(), CREF_SERVER_LIVE_REQUEST)
        try expectProtobufCAgrees(ServerLiveResponse(live: true), CREF_SERVER_LIVE_RESPONSE)
        try expectProtobufCAgrees(ServerReadyRequest(), CREF_SERVER_READY_REQUEST)
        try expectProtobufCAgrees(ServerReadyResponse(ready: true), CREF_SERVER_READY_RESPONSE)
        try expectProtobufCAgrees(ModelReadyRequest(name: "chat", version: "2"), CREF_MODEL_READY_REQUEST)
        try expectProtobufCAgrees(ModelReadyResponse(ready: true), CREF_MODEL_READY_RESPONSE)
        try expectProtobufCAgrees(ServerMetadataRequest(), CREF_SERVER_METADATA_REQUEST)
        var serverMetadata = ServerMetadataResponse()
        serverMetadata.name = "inferwire"
        serverMetadata.version = "0.1.0"
        serverMetadata.extensions = ["model_repository", "", "binary_tensor_data"]
        try expectProtobufCAgrees(serverMetadata, CREF_SERVER_METADATA_RESPONSE)
        try expectProtobufCAgrees(ModelMetadataRequest(name: "m"), CREF_MODEL_METADATA_REQUEST)
        try expectProtobufCAgrees(random.metadata(), CREF_MODEL_METADATA_RESPONSE)
        for parameter in [InferParameter(), .bool(false), .int64(0), .int64(-1), .string(""), .double(-0.0), .uint64(.max)] {
            try expectProtobufCAgrees(parameter, CREF_INFER_PARAMETER)
        }
        try expectProtobufCAgrees(random.contents(), CREF_INFER_TENSOR_CONTENTS)
        try expectProtobufCAgrees(random.request(), CREF_MODEL_INFER_REQUEST)
        try expectProtobufCAgrees(random.response(), CREF_MODEL_INFER_RESPONSE)
        var stream = ModelStreamInferResponse()
        stream.errorMessage = "model 'x' failed"
        stream.inferResponse = random.response()
        try expectProtobufCAgrees(stream, CREF_MODEL_STREAM_INFER_RESPONSE)
        try expectProtobufCAgrees(ModelRepositoryParameter(.bytes(ByteBuffer(hex: "00 ff"))), CREF_MODEL_REPOSITORY_PARAMETER)
        try expectProtobufCAgrees(RepositoryIndexRequest(repositoryName: "r", ready: true), CREF_REPOSITORY_INDEX_REQUEST)
        var index = RepositoryIndexResponse()
        index.models = [.init(name: "a", version: "1", state: "READY"), .init(name: "b", state: "UNAVAILABLE", reason: "boom")]
        try expectProtobufCAgrees(index, CREF_REPOSITORY_INDEX_RESPONSE)
        try expectProtobufCAgrees(
            RepositoryModelLoadRequest(modelName: "m", parameters: random.repositoryParameters()),
            CREF_REPOSITORY_MODEL_LOAD_REQUEST)
        try expectProtobufCAgrees(RepositoryModelLoadResponse(), CREF_REPOSITORY_MODEL_LOAD_RESPONSE)
        try expectProtobufCAgrees(
            RepositoryModelUnloadRequest(repositoryName: "r", modelName: "m", parameters: random.repositoryParameters()),
            CREF_REPOSITORY_MODEL_UNLOAD_REQUEST)
        try expectProtobufCAgrees(RepositoryModelUnloadResponse(), CREF_REPOSITORY_MODEL_UNLOAD_RESPONSE)
        try expectProtobufCAgrees(
            RequestHeaders(
                method: .modelStreamInfer, modelName: "chat", modelVersion: "1", requestID: "r-1",
                timeoutMilliseconds: 30_000, authorization: "Bearer t", metadata: ["b": "2", "a": "1", "c": "€"]),
            CREF_REQUEST_HEADERS)
        // protobuf-c drops an empty map value when it re-encodes (as it drops an empty key):
        // the bytes differ, the values do not.
        let emptyValue = RequestHeaders(method: .modelInfer, metadata: ["a": ""])
        let repacked = try #require(CReference.repack(CREF_REQUEST_HEADERS, emptyValue.serializedBytes()))
        #expect(try RequestHeaders(decoding: repacked) == emptyValue)
        try expectProtobufCAgrees(RequestHeaders(method: Method(rawValue: -5)), CREF_REQUEST_HEADERS)
        try expectProtobufCAgrees(WireStatus(code: 5, message: "model 'x' not found", details: ["model": "x"]), CREF_STATUS)
        try expectProtobufCAgrees(WireStatus(code: -1), CREF_STATUS)
    }

    @Test("edge values: extremes, negative int32, empty oneof members, NaN bit patterns")
    func edgeValues() throws {
        var contents = InferTensorContents()
        contents.intContents = [0, -1, .min, .max]
        contents.int64Contents = [.min, .max, -1]
        contents.uintContents = [0, .max]
        contents.uint64Contents = [.max, 1 << 63]
        contents.boolContents = [true, false, true]
        contents.fp32Contents = [.infinity, -.infinity, .leastNonzeroMagnitude, -0.0, .greatestFiniteMagnitude]
        contents.fp64Contents = [.infinity, .leastNormalMagnitude, -0.0]
        contents.bytesContents = [ByteBuffer(), ByteBuffer(hex: "00"), ByteBuffer(repeating: 0xAB, count: 300)]
        try expectProtobufCAgrees(contents, CREF_INFER_TENSOR_CONTENTS)

        // NaN != NaN, so compare bytes only: quiet NaN and a payload NaN survive bit for bit.
        var nan = InferTensorContents()
        nan.fp32Contents = [.nan, Float(bitPattern: 0x7FC0_1234)]
        nan.fp64Contents = [.signalingNaN]
        #expect(CReference.repack(CREF_INFER_TENSOR_CONTENTS, nan.serializedBytes()) == nan.serializedBytes())

        var request = ModelInferRequest()
        request.modelName = String(repeating: "m", count: 200)  // two-byte length
        request.inputs = [.init(name: "", datatype: "", shape: [], contents: InferTensorContents())]
        request.outputs = [.init(name: "")]
        request.rawInputContents = [ByteBuffer(), ByteBuffer(repeating: 7, count: 70_000)]  // three-byte length
        request.parameters = ["a": InferParameter(), "b": .string(""), "c": .int64(0), "d": .bool(false)]
        try expectProtobufCAgrees(request, CREF_MODEL_INFER_REQUEST)
    }

    @Test("random requests and responses: ProtoWire → protobuf-c, byte-identical")
    func randomOursToTheirs() async {
        await propertyCheck(count: 1500, input: Gen.uint64(in: 0 ... UInt64.max)) { seed in
            var random = RandomMessages(seed: seed)
            let request = random.request()
            let bytes = request.serializedBytes()
            #expect(CReference.repack(CREF_MODEL_INFER_REQUEST, bytes) == bytes, "seed \(seed)")
            let response = random.response()
            let responseBytes = response.serializedBytes()
            #expect(CReference.repack(CREF_MODEL_INFER_RESPONSE, responseBytes) == responseBytes, "seed \(seed)")
            let metadata = random.metadata().serializedBytes()
            #expect(CReference.repack(CREF_MODEL_METADATA_RESPONSE, metadata) == metadata, "seed \(seed)")
        }
    }

    @Test("random requests and responses: protobuf-c → ProtoWire, equal values")
    func randomTheirsToOurs() async throws {
        await propertyCheck(count: 1500, input: Gen.uint64(in: 0 ... UInt64.max)) { seed in
            var random = RandomMessages(seed: seed)
            let request = random.request()
            let theirs = CReference.pack(request)
            #expect((try? ModelInferRequest(decoding: theirs)) == request, "seed \(seed)")
            // Built independently, the two encoders still agree byte for byte.
            #expect(theirs == request.serializedBytes(), "seed \(seed)")
            let response = random.response()
            let theirResponse = CReference.pack(response)
            #expect((try? ModelInferResponse(decoding: theirResponse)) == response, "seed \(seed)")
            #expect(theirResponse == response.serializedBytes(), "seed \(seed)")
        }
    }

    /// Non-canonical inputs that both must read as the same values: unpacked repeated scalars,
    /// repeated singular fields, split embedded messages, duplicate map keys, unknown fields.
    @Test(
        "non-canonical encodings decode to the values protobuf-c reads",
        arguments: [
            // shape unpacked (18 01 18 02) and packed (1a 01 03) mixed in one tensor.
            "2a 0a 0a 01 78 18 01 18 02 1a 01 03",
            // model_name twice: last wins.
            "0a 01 61 0a 01 62",
            // contents split over two occurrences: merged.
            "2a 0c 2a 04 12 02 01 02 2a 04 12 02 03 04",
            // parameters with the same key twice: last wins.
            "22 09 0a 01 6b 12 04 10 01 10 02 22 07 0a 01 6b 12 02 08 01",
            // map entry without key, and one without value.
            "22 04 12 02 10 05 22 03 0a 01 6b",
            // InferParameter with two oneof members: last wins.
            "22 0b 0a 01 6b 12 06 08 01 1a 02 68 69",
            // unknown varint, fixed32, fixed64 and length-delimited fields between known ones
            // (groups too, in MessageTests: protobuf-c rejects every group).
            "48 96 01 0a 01 61 55 01 02 03 04 59 01 02 03 04 05 06 07 08 62 02 ff ff 1a 01 69",
            // fp32 unpacked and packed together; fp64 unpacked.
            "2a 1a 2a 18 35 00 00 80 3f 32 08 00 00 00 40 00 00 40 40 39 00 00 00 00 00 00 f0 3f",
            // fields out of order.
            "3a 01 ff 1a 02 69 64 0a 01 6d",
        ])
    func nonCanonical(_ input: String) throws {
        let bytes = hex(input)
        let theirs = try #require(CReference.repack(CREF_MODEL_INFER_REQUEST, bytes))
        let ours = try ModelInferRequest(decoding: bytes)
        #expect(try ModelInferRequest(decoding: theirs) == ours)
    }

    /// Inputs protobuf-c rejects: ProtoWire rejects every one with a typed error, and says where.
    @Test(
        "malformed inputs protobuf-c rejects are rejected",
        arguments: [
            ("0a", "truncated tag value"),
            ("0a 05 61 62", "string length past end"),
            ("00 01", "field number 0"),
            ("0f 01", "wire type 7"),
            ("0e 01", "wire type 6"),
            ("08 ff ff ff ff ff ff ff ff ff ff 01", "varint longer than 10 bytes"),
            ("08 80", "truncated varint"),
            ("2a 02 0a 05", "embedded message length past its end"),
            ("22 05 0a 03 61", "map entry cut short"),
            ("2a 06 2a 04 32 03 01 02", "packed contents cut short"),
            ("2a 05 2a 03 35 00 00", "fixed32 cut short"),
            ("0c", "end group without start"),
            ("0b 10 01", "group without end"),
            ("3a 80 80 80 80 10", "length above 4 GiB"),
            ("0a 01", "no string bytes"),
            ("2a 02 18 80", "shape varint cut short"),
        ])
    func malformed(_ input: String, _ why: String) {
        let bytes = hex(input)
        #expect(!CReference.accepts(CREF_MODEL_INFER_REQUEST, bytes), "protobuf-c accepts \(why)")
        #expect(throws: ProtoWireError.self, "\(why)") { try ModelInferRequest(decoding: bytes) }
    }
}
