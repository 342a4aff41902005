// ProtoWire vs protobuf-c vs Google's C++ protobuf vs swift-protobuf: decode and encode of the V2 messages, side by side
// in one run. Every decoder reads the same canonical bytes (ProtoWire's encoding of the scenario);
// every encoder writes the same field values (see V2Fixtures, which checks both at startup).
//
// What one operation is, per implementation:
// - decode, ProtoWire:      ModelInferRequest(decoding: ByteBuffer) and dropping the result.
//                           bytes fields and raw tensors are slices of the input buffer (no copy).
// - decode, protobuf-c:     unpack(NULL allocator) + free_unpacked. protobuf-c copies every
//                           string and bytes field into its own allocations: that is its real cost.
// - decode, C++ (arena):    ParseFromArray into a message on a fresh Arena, then the arena freed.
//                           bytes and string fields are copied into the arena.
// - decode, swift-protobuf: init(serializedBytes: [UInt8]) and dropping the result (bytes -> Data copies).
// - encode, ProtoWire:      serializedBytes() -> [UInt8] (size pass, one allocation, write pass).
// - encode, protobuf-c:     get_packed_size + malloc + pack + free.
// - encode, C++:            ByteSizeLong + malloc + SerializeWithCachedSizesToArray + free.
// - encode, swift-protobuf: serializedBytes() -> [UInt8].
import Benchmark
import CV2Reference
import CppV2Reference
import Foundation
import NIOCore
import ProtoWire
import SwiftProtobuf
import SwiftProtobufV2
import V2Fixtures

let chat = RequestFixture("a-chat", Scenarios.chatRequest())
let chatImage = RequestFixture("b-chat+image1MiB", Scenarios.chatRequestWithImage())
let fp32Raw = RequestFixture("c1-fp32x1M-raw", Scenarios.fp32Request(typed: false))
let fp32Typed = RequestFixture("c2-fp32x1M-typed", Scenarios.fp32Request(typed: true))
let response = ResponseFixture("d-response-json4KiB", Scenarios.chatResponse())

func configuration(bytes: Int) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        tags: ["bytes": "\(bytes)"],
        timeUnits: .nanoseconds,
        warmupIterations: bytes > 100_000 ? 20 : 2_000,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 10_000_000
    )
}

func name(_ scenario: String, _ bytes: Int, _ operation: String, _ implementation: String) -> String {
    "\(scenario) (\(bytes) B) \(operation) \(implementation)"
}

func requestBenchmarks(_ f: RequestFixture) {
    let config = configuration(bytes: f.canonical.count)
    let bytes = f.canonical.count

    // MARK: decode
    Benchmark(name(f.name, bytes, "decode", "ProtoWire"), configuration: config) { benchmark in
        let buffer = f.buffer
        for _ in benchmark.scaledIterations {
            blackHole(try ModelInferRequest(decoding: buffer))
        }
    }
    Benchmark(name(f.name, bytes, "decode", "protobuf-c"), configuration: config) { benchmark in
        try f.canonical.withUnsafeBufferPointer { input in
            for _ in benchmark.scaledIterations {
                guard let message = inference__model_infer_request__unpack(nil, input.count, input.baseAddress) else {
                    throw BenchmarkFailure.unpack
                }
                blackHole(message)
                inference__model_infer_request__free_unpacked(message, nil)
            }
        }
    }
    Benchmark(name(f.name, bytes, "decode", "C++"), configuration: config) { benchmark in
        try f.canonical.withUnsafeBufferPointer { input in
            for _ in benchmark.scaledIterations {
                guard iw_cpp_request_decode_on_arena(input.baseAddress, input.count) == 1 else { throw BenchmarkFailure.unpack }
            }
        }
    }
    Benchmark(name(f.name, bytes, "decode", "swift-protobuf"), configuration: config) { benchmark in
        let input = f.canonical
        for _ in benchmark.scaledIterations {
            blackHole(try Inference_ModelInferRequest(serializedBytes: input))
        }
    }

    // MARK: encode
    Benchmark(name(f.name, bytes, "encode", "ProtoWire"), configuration: config) { benchmark in
        let message = f.message
        for _ in benchmark.scaledIterations {
            blackHole(message.serializedBytes())
        }
    }
    Benchmark(name(f.name, bytes, "encode", "protobuf-c"), configuration: config) { benchmark in
        let message = f.c
        for _ in benchmark.scaledIterations {
            let size = inference__model_infer_request__get_packed_size(message)
            let out = malloc(size)!.assumingMemoryBound(to: UInt8.self)
            blackHole(inference__model_infer_request__pack(message, out))
            blackHole(out)
            free(out)
        }
    }
    Benchmark(name(f.name, bytes, "encode", "C++"), configuration: config) { benchmark in
        let message = f.cpp
        for _ in benchmark.scaledIterations {
            blackHole(iw_cpp_message_encode(message))
        }
    }
    Benchmark(name(f.name, bytes, "encode", "swift-protobuf"), configuration: config) { benchmark in
        let message = f.swiftProtobuf
        for _ in benchmark.scaledIterations {
            let out: [UInt8] = try message.serializedBytes()
            blackHole(out)
        }
    }
}

func responseBenchmarks(_ f: ResponseFixture) {
    let config = configuration(bytes: f.canonical.count)
    let bytes = f.canonical.count

    Benchmark(name(f.name, bytes, "decode", "ProtoWire"), configuration: config) { benchmark in
        let buffer = f.buffer
        for _ in benchmark.scaledIterations {
            blackHole(try ModelInferResponse(decoding: buffer))
        }
    }
    Benchmark(name(f.name, bytes, "decode", "protobuf-c"), configuration: config) { benchmark in
        try f.canonical.withUnsafeBufferPointer { input in
            for _ in benchmark.scaledIterations {
                guard let message = inference__model_infer_response__unpack(nil, input.count, input.baseAddress) else {
                    throw BenchmarkFailure.unpack
                }
                blackHole(message)
                inference__model_infer_response__free_unpacked(message, nil)
            }
        }
    }
    Benchmark(name(f.name, bytes, "decode", "C++"), configuration: config) { benchmark in
        try f.canonical.withUnsafeBufferPointer { input in
            for _ in benchmark.scaledIterations {
                guard iw_cpp_response_decode_on_arena(input.baseAddress, input.count) == 1 else { throw BenchmarkFailure.unpack }
            }
        }
    }
    Benchmark(name(f.name, bytes, "decode", "swift-protobuf"), configuration: config) { benchmark in
        let input = f.canonical
        for _ in benchmark.scaledIterations {
            blackHole(try Inference_ModelInferResponse(serializedBytes: input))
        }
    }

    Benchmark(name(f.name, bytes, "encode", "ProtoWire"), configuration: config) { benchmark in
        let message = f.message
        for _ in benchmark.scaledIterations {
            blackHole(message.serializedBytes())
        }
    }
    Benchmark(name(f.name, bytes, "encode", "protobuf-c"), configuration: config) { benchmark in
        let message = f.c
        for _ in benchmark.scaledIterations {
            let size = inference__model_infer_response__get_packed_size(message)
            let out = malloc(size)!.assumingMemoryBound(to: UInt8.self)
            blackHole(inference__model_infer_response__pack(message, out))
            blackHole(out)
            free(out)
        }
    }
    Benchmark(name(f.name, bytes, "encode", "C++"), configuration: config) { benchmark in
        let message = f.cpp
        for _ in benchmark.scaledIterations {
            blackHole(iw_cpp_message_encode(message))
        }
    }
    Benchmark(name(f.name, bytes, "encode", "swift-protobuf"), configuration: config) { benchmark in
        let message = f.swiftProtobuf
        for _ in benchmark.scaledIterations {
            let out: [UInt8] = try message.serializedBytes()
            blackHole(out)
        }
    }
}

enum BenchmarkFailure: Error { case unpack }

let benchmarks: @Sendable () -> Void = {
    requestBenchmarks(chat)
    responseBenchmarks(response)
    requestBenchmarks(chatImage)
    requestBenchmarks(fp32Raw)
    requestBenchmarks(fp32Typed)
}
