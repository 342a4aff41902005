// A plain loop over one benchmark operation, for profilers (valgrind --tool=callgrind) and quick
// checks without the benchmark harness:
//   .build/release/V2Profile <a|b|c1|c2|d> <decode|encode> <protowire|c|cpp|swift-protobuf> [iterations]
// It prints the median of 15 batches in ns/op. No malloc interposer here, so allocation-heavy code
// is not slowed by counting (see docs/BENCHMARKS.md). The numbers of record come from `run.sh`.
import CV2Reference
import CppV2Reference
import Foundation
import NIOCore
import ProtoWire
import SwiftProtobuf
import SwiftProtobufV2
import V2Fixtures

@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    print("usage: V2Profile <a|b|c1|c2|d> <decode|encode> <protowire|c|cpp|swift-protobuf> [iterations]")
    exit(2)
}
let (scenario, operation, implementation) = (arguments[1], arguments[2], arguments[3])
// Without a count, batches are sized to take about 60 ms each (about 1 s in all).
let fixedIterations = arguments.count > 4 ? Int(arguments[4])! : nil

var request: RequestFixture?
var response: ResponseFixture?
switch scenario {
case "a": request = RequestFixture("a", Scenarios.chatRequest())
case "b": request = RequestFixture("b", Scenarios.chatRequestWithImage())
case "c1": request = RequestFixture("c1", Scenarios.fp32Request(typed: false))
case "c2": request = RequestFixture("c2", Scenarios.fp32Request(typed: true))
case "d": response = ResponseFixture("d", Scenarios.chatResponse())
default: print("unknown scenario \(scenario)"); exit(2)
}

func operationBody() throws -> () throws -> Void {
    if let f = request {
        switch (operation, implementation) {
        case ("decode", "protowire"): return { [buffer = f.buffer] in consume(try ModelInferRequest(decoding: buffer)) }
        case ("decode", "c"): return {
            f.canonical.withUnsafeBufferPointer { input in
                let m = inference__model_infer_request__unpack(nil, input.count, input.baseAddress)!
                inference__model_infer_request__free_unpacked(m, nil)
            }
        }
        case ("decode", "cpp"): return { f.canonical.withUnsafeBufferPointer { consume(iw_cpp_request_decode_on_arena($0.baseAddress, $0.count)) } }
        case ("encode", "cpp"): return { consume(iw_cpp_message_encode(f.cpp)) }
        case ("decode", "swift-protobuf"): return { [input = f.canonical] in consume(try Inference_ModelInferRequest(serializedBytes: input)) }
        case ("encode", "protowire"): return { [message = f.message] in consume(message.serializedBytes()) }
        case ("encode", "c"): return {
            let size = inference__model_infer_request__get_packed_size(f.c)
            let out = malloc(size)!.assumingMemoryBound(to: UInt8.self)
            consume(inference__model_infer_request__pack(f.c, out))
            free(out)
        }
        case ("encode", "swift-protobuf"): return { [message = f.swiftProtobuf] in let out: [UInt8] = try message.serializedBytes(); consume(out) }
        default: break
        }
    } else if let f = response {
        switch (operation, implementation) {
        case ("decode", "protowire"): return { [buffer = f.buffer] in consume(try ModelInferResponse(decoding: buffer)) }
        case ("decode", "c"): return {
            f.canonical.withUnsafeBufferPointer { input in
                let m = inference__model_infer_response__unpack(nil, input.count, input.baseAddress)!
                inference__model_infer_response__free_unpacked(m, nil)
            }
        }
        case ("decode", "cpp"): return { f.canonical.withUnsafeBufferPointer { consume(iw_cpp_response_decode_on_arena($0.baseAddress, $0.count)) } }
        case ("encode", "cpp"): return { consume(iw_cpp_message_encode(f.cpp)) }
        case ("decode", "swift-protobuf"): return { [input = f.canonical] in consume(try Inference_ModelInferResponse(serializedBytes: input)) }
        case ("encode", "protowire"): return { [message = f.message] in consume(message.serializedBytes()) }
        case ("encode", "c"): return {
            let size = inference__model_infer_response__get_packed_size(f.c)
            let out = malloc(size)!.assumingMemoryBound(to: UInt8.self)
            consume(inference__model_infer_response__pack(f.c, out))
            free(out)
        }
        case ("encode", "swift-protobuf"): return { [message = f.swiftProtobuf] in let out: [UInt8] = try message.serializedBytes(); consume(out) }
        default: break
        }
    }
    print("unknown operation/implementation \(operation) \(implementation)")
    exit(2)
}

let body = try operationBody()
let clock = ContinuousClock()
var batches: [Double] = []
var batchSize = 1
if let fixedIterations {
    batchSize = max(1, fixedIterations / 15)
} else {
    while true {
        let start = clock.now
        for _ in 0..<batchSize { try body() }
        if clock.now - start >= .milliseconds(60) { break }
        batchSize *= 2
    }
}
for _ in 0..<15 {
    let start = clock.now
    for _ in 0..<batchSize { try body() }
    let elapsed = clock.now - start
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    batches.append(ns / Double(batchSize))
}
batches.sort()
print("\(scenario) \(operation) \(implementation): median \(Int(batches[7])) ns/op over 15 batches of \(batchSize)")
