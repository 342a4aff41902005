import NIOCore
import ProtoWire

#if canImport(Glibc)
import Glibc
#endif

// Seed inputs: valid encodings of each selectable message type, a selector byte in front.
// `FUZZ_WRITE_SEEDS=DIR .build/debug/FuzzDecode` writes them; Fuzz/seeds/ holds a committed copy.

/// Unknown fields appended to some seeds: field 100 varint, field 101 fixed32, field 102
/// length-delimited, field 103 a group holding a varint, field 104 fixed64.
let unknownTail: [UInt8] = [
    0xA0, 0x06, 0x96, 0x01,
    0xAD, 0x06, 0x01, 0x02, 0x03, 0x04,
    0xB2, 0x06, 0x03, 0x61, 0x62, 0x63,
    0xBB, 0x06, 0x08, 0x7F, 0xBC, 0x06,
    0xC1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,
]

let inferParameters: [String: InferParameter] = [
    "priority": .int64(-3),
    "binary_data": .bool(true),
    "temperature": .double(0.25),
    "content_type": .string("np"),
    "sequence_id": .uint64(1 << 40),
]

func requestRaw() -> ModelInferRequest {
    var request = ModelInferRequest()
    request.modelName = "resnet50"
    request.modelVersion = "1"
    request.id = "req-1"
    request.parameters = inferParameters
    request.inputs = [
        .init(name: "INPUT0", datatype: "FP32", shape: [1, 4], parameters: ["layout": .string("NC")]),
        .init(name: "INPUT1", datatype: "BYTES", shape: [2]),
        .init(name: "INPUT2", datatype: "INT64", shape: [2]),
        .init(name: "INPUT3", datatype: "BOOL", shape: [3]),
    ]
    request.outputs = [.init(name: "OUTPUT0", parameters: ["classification": .int64(3)]), .init(name: "OUTPUT1")]
    request.rawInputContents = [
        RawTensorView<Float>.encode([1.5, -2, 0, .infinity]),
        BytesElements.encode(strings: ["ab", "cde"]),
        RawTensorView<Int64>.encode([-1, 1 << 50]),
        RawTensorView<UInt8>.encode([0, 1, 1]),
    ]
    return request
}

func typedContents() -> [(String, [Int64], InferTensorContents)] {
    var fp32 = InferTensorContents()
    fp32.fp32Contents = [0.5, -1, 3.25, 1e30]
    var fp64 = InferTensorContents()
    fp64.fp64Contents = [0.125, -2e300]
    var int32 = InferTensorContents()
    int32.intContents = [-1, 0, 300, Int32.max]
    var int64 = InferTensorContents()
    int64.int64Contents = [Int64.min, 7]
    var uint32 = InferTensorContents()
    uint32.uintContents = [0, 128, UInt32.max]
    var uint64 = InferTensorContents()
    uint64.uint64Contents = [UInt64.max]
    var bools = InferTensorContents()
    bools.boolContents = [true, false, true]
    var bytes = InferTensorContents()
    bytes.bytesContents = [ByteBuffer(string: "hello"), ByteBuffer(), BytesElements.encode(strings: ["x", "yz"])]
    return [
        ("FP32", [2, 2], fp32), ("FP64", [2], fp64), ("INT32", [4], int32), ("INT64", [2], int64),
        ("UINT32", [3], uint32), ("UINT64", [1], uint64), ("BOOL", [3], bools), ("BYTES", [3], bytes),
    ]
}

func requestTyped() -> ModelInferRequest {
    var request = ModelInferRequest()
    request.modelName = "typed"
    request.inputs = typedContents().enumerated().map { index, item in
        .init(name: "IN\(index)", datatype: item.0, shape: item.1, contents: item.2)
    }
    return request
}

func responseRaw() -> ModelInferResponse {
    var response = ModelInferResponse()
    response.modelName = "resnet50"
    response.modelVersion = "1"
    response.id = "req-1"
    response.parameters = ["sequence_end": .bool(false)]
    response.outputs = [
        .init(name: "OUTPUT0", datatype: "FP16", shape: [2]),
        .init(name: "OUTPUT1", datatype: "BYTES", shape: [1], parameters: ["classification": .int64(1)]),
    ]
    response.rawOutputContents = [RawTensorView<UInt16>.encode([0x3C00, 0xC000]), BytesElements.encode(strings: ["0.9:1:cat"])]
    return response
}

func responseTyped() -> ModelInferResponse {
    var response = ModelInferResponse()
    response.modelName = "typed"
    response.outputs = typedContents().enumerated().map { index, item in
        .init(name: "OUT\(index)", datatype: item.0, shape: item.1, contents: item.2)
    }
    return response
}

func modelMetadata() -> ModelMetadataResponse {
    var metadata = ModelMetadataResponse()
    metadata.name = "resnet50"
    metadata.versions = ["1", "2"]
    metadata.platform = "onnxruntime_onnx"
    metadata.inputs = [.init(name: "INPUT0", datatype: "FP32", shape: [-1, 3, 224, 224])]
    metadata.outputs = [
        .init(name: "OUTPUT0", datatype: "FP32", shape: [-1, 1000], parameters: ["content_type": .string("np")]),
    ]
    metadata.parameters = ["content_type": .string("np"), "max_batch": .uint64(8)]
    return metadata
}

func loadRequest() -> RepositoryModelLoadRequest {
    RepositoryModelLoadRequest(
        repositoryName: "models", modelName: "resnet50",
        parameters: [
            "config": .init(.string("{\"backend\":\"onnxruntime\"}")),
            "file:1/model.onnx": .init(.bytes(ByteBuffer(bytes: [0x08, 0x07, 0x12, 0x00, 0xFF]))),
            "poll": .init(.bool(true)),
            "retries": .init(.int64(-2)),
        ])
}

func serverMetadata() -> ServerMetadataResponse {
    var metadata = ServerMetadataResponse()
    metadata.name = "inferwire"
    metadata.version = "0.1.0"
    metadata.extensions = ["model_repository", "binary_tensor_data"]
    return metadata
}

func repositoryIndex() -> RepositoryIndexResponse {
    var index = RepositoryIndexResponse()
    index.models = [
        .init(name: "resnet50", version: "1", state: "READY"),
        .init(name: "bert", state: "UNAVAILABLE", reason: "load failed"),
    ]
    return index
}

func serverLive() -> ServerLiveResponse {
    var live = ServerLiveResponse()
    live.flag = true
    return live
}

func seeds() -> [(name: String, selector: Selector, bytes: [UInt8])] {
    var stream = ModelStreamInferResponse()
    stream.inferResponse = responseRaw()
    var streamError = ModelStreamInferResponse()
    streamError.errorMessage = "model 'x' is not ready"
    var failed = ModelInferResponse()
    failed.id = "req-9"
    streamError.inferResponse = failed
    var empty = ModelInferRequest()
    empty.modelName = "m"
    return [
        ("request-raw", .inferRequest, requestRaw().serializedBytes()),
        ("request-typed", .inferRequest, requestTyped().serializedBytes()),
        ("request-unknown-fields", .inferRequest, empty.serializedBytes() + unknownTail),
        ("response-raw", .inferResponse, responseRaw().serializedBytes()),
        ("response-typed", .inferResponse, responseTyped().serializedBytes()),
        ("stream-response", .streamInferResponse, stream.serializedBytes()),
        ("stream-error", .streamInferResponse, streamError.serializedBytes() + unknownTail),
        ("model-metadata", .modelMetadataResponse, modelMetadata().serializedBytes()),
        ("repository-load", .repositoryModelLoadRequest, loadRequest().serializedBytes()),
        ("server-metadata", .serverMetadataResponse, serverMetadata().serializedBytes()),
        ("repository-index", .repositoryIndexResponse, repositoryIndex().serializedBytes() + unknownTail),
        (
            "repository-unload", .repositoryModelUnloadRequest,
            RepositoryModelUnloadRequest(modelName: "bert", parameters: ["unload_dependents": .init(.bool(true))])
                .serializedBytes()
        ),
        ("repository-index-request", .repositoryIndexRequest, RepositoryIndexRequest(repositoryName: "models", ready: true).serializedBytes()),
        ("model-metadata-request", .modelMetadataRequest, ModelMetadataRequest(name: "resnet50", version: "1").serializedBytes()),
        ("server-live-response", .serverLiveResponse, serverLive().serializedBytes() + unknownTail),
        ("server-live-request", .serverLiveRequest, ServerLiveRequest().serializedBytes() + unknownTail),
    ]
}

/// Writes every seed as DIR/NAME.bin; returns the exit status.
func writeSeeds(to directory: String) -> CInt {
    mkdir(directory, 0o755)
    var inputs: [(name: String, bytes: [UInt8])] = []
    for seed in seeds() {
        inputs.append((seed.name, [seed.selector.rawValue] + seed.bytes))
        // Selector bit 7: the same message under `tightLimits` (mostly rejected by a limit).
        if seed.name.hasPrefix("request") || seed.name.hasPrefix("response") || seed.name.hasPrefix("stream") {
            inputs.append((seed.name + "-tight", [seed.selector.rawValue | 0x80] + seed.bytes))
        }
    }
    for (name, input) in inputs {
        // Each seed must itself pass the target.
        input.withUnsafeBytes { fuzzOne($0) }
        let path = directory + "/" + name + ".bin"
        guard let file = fopen(path, "wb") else {
            perror(path)
            return 1
        }
        let written = input.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        guard written == input.count else {
            perror(path)
            return 1
        }
        print("wrote \(path) (\(input.count) bytes)")
    }
    return 0
}
