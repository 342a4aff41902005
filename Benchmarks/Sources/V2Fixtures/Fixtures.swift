import CV2Reference
import CppV2Reference
import Foundation
import NIOCore
import ProtoWire
import SwiftProtobuf
import SwiftProtobufV2

/// One request scenario, ready for each implementation:
/// - `canonical` / `buffer`: the bytes ProtoWire encodes from `message`. All four decoders
///   decode these same bytes.
/// - `message`, `swiftProtobuf`, `c`, `cpp`: the encode inputs. The last three are decoded from
///   `canonical`, so they hold the same field values.
/// Creating a fixture checks that every decoder reads the same values from `canonical` and that
/// every encoder's output decodes back to `message`; it stops the process if not.
public final class RequestFixture: @unchecked Sendable {
    public let name: String
    public let message: ModelInferRequest
    public let canonical: [UInt8]
    public let buffer: ByteBuffer
    public let swiftProtobuf: Inference_ModelInferRequest
    /// Unpacked once from `canonical`, never freed (lives for the process).
    public let c: UnsafeMutablePointer<Inference__ModelInferRequest>
    /// Google's C++ message parsed once from `canonical` (heap, lives for the process).
    public let cpp: OpaquePointer

    public init(_ name: String, _ message: ModelInferRequest) {
        self.name = name
        self.message = message
        canonical = message.serializedBytes()
        buffer = ByteBuffer(bytes: canonical)
        let canonical = canonical

        // Decoders: the same bytes must give the same values in each (C++: Check.cpp below).
        let protoWire = Check.must("\(name): ProtoWire decode") { try ModelInferRequest(decoding: ByteBuffer(bytes: canonical)) }
        Check.equal(protoWire, message, "\(name): ProtoWire decode of its own encoding")
        guard let unpacked = canonical.withUnsafeBufferPointer({ inference__model_infer_request__unpack(nil, $0.count, $0.baseAddress) }) else {
            Check.fail("\(name): protobuf-c could not unpack the canonical bytes")
        }
        c = unpacked
        Check.equal(CConvert.request(unpacked), message, "\(name): protobuf-c decode")
        cpp = Check.cpp(name, canonical, decode: iw_cpp_request_decode_on_arena, parse: iw_cpp_request_parse) { bytes in
            Check.equal(Check.must("\(name): decode C++ output") { try ModelInferRequest(decoding: bytes) }, message, "\(name): C++ encode")
        }
        swiftProtobuf = Check.must("\(name): swift-protobuf decode") { try Inference_ModelInferRequest(serializedBytes: canonical) }
        Check.equal(SPConvert.request(swiftProtobuf), message, "\(name): swift-protobuf decode")

        // Encoders: each output must decode (with ProtoWire) to the canonical message.
        let cSize = inference__model_infer_request__get_packed_size(unpacked)
        var cBytes = [UInt8](repeating: 0, count: cSize)
        let written = cBytes.withUnsafeMutableBufferPointer { inference__model_infer_request__pack(unpacked, $0.baseAddress) }
        Check.equal(written, canonical.count, "\(name): protobuf-c packed size")
        Check.equal(Check.must("\(name): decode protobuf-c output") { try ModelInferRequest(decoding: cBytes) }, message,
                    "\(name): protobuf-c encode")
        let spBytes: [UInt8] = Check.must("\(name): swift-protobuf encode") { try swiftProtobuf.serializedBytes() }
        Check.equal(spBytes.count, canonical.count, "\(name): swift-protobuf encoded size")
        Check.equal(Check.must("\(name): decode swift-protobuf output") { try ModelInferRequest(decoding: spBytes) }, message,
                    "\(name): swift-protobuf encode")
        Check.report(name, size: canonical.count, cIdentical: cBytes == canonical, swiftProtobufIdentical: spBytes == canonical)
    }
}

/// The response counterpart of `RequestFixture`.
public final class ResponseFixture: @unchecked Sendable {
    public let name: String
    public let message: ModelInferResponse
    public let canonical: [UInt8]
    public let buffer: ByteBuffer
    public let swiftProtobuf: Inference_ModelInferResponse
    public let c: UnsafeMutablePointer<Inference__ModelInferResponse>
    public let cpp: OpaquePointer

    public init(_ name: String, _ message: ModelInferResponse) {
        self.name = name
        self.message = message
        canonical = message.serializedBytes()
        buffer = ByteBuffer(bytes: canonical)
        let canonical = canonical

        let protoWire = Check.must("\(name): ProtoWire decode") { try ModelInferResponse(decoding: ByteBuffer(bytes: canonical)) }
        Check.equal(protoWire, message, "\(name): ProtoWire decode of its own encoding")
        guard let unpacked = canonical.withUnsafeBufferPointer({ inference__model_infer_response__unpack(nil, $0.count, $0.baseAddress) }) else {
            Check.fail("\(name): protobuf-c could not unpack the canonical bytes")
        }
        c = unpacked
        Check.equal(CConvert.response(unpacked), message, "\(name): protobuf-c decode")
        cpp = Check.cpp(name, canonical, decode: iw_cpp_response_decode_on_arena, parse: iw_cpp_response_parse) { bytes in
            Check.equal(Check.must("\(name): decode C++ output") { try ModelInferResponse(decoding: bytes) }, message, "\(name): C++ encode")
        }
        swiftProtobuf = Check.must("\(name): swift-protobuf decode") { try Inference_ModelInferResponse(serializedBytes: canonical) }
        Check.equal(SPConvert.response(swiftProtobuf), message, "\(name): swift-protobuf decode")

        let cSize = inference__model_infer_response__get_packed_size(unpacked)
        var cBytes = [UInt8](repeating: 0, count: cSize)
        let written = cBytes.withUnsafeMutableBufferPointer { inference__model_infer_response__pack(unpacked, $0.baseAddress) }
        Check.equal(written, canonical.count, "\(name): protobuf-c packed size")
        Check.equal(Check.must("\(name): decode protobuf-c output") { try ModelInferResponse(decoding: cBytes) }, message,
                    "\(name): protobuf-c encode")
        let spBytes: [UInt8] = Check.must("\(name): swift-protobuf encode") { try swiftProtobuf.serializedBytes() }
        Check.equal(spBytes.count, canonical.count, "\(name): swift-protobuf encoded size")
        Check.equal(Check.must("\(name): decode swift-protobuf output") { try ModelInferResponse(decoding: spBytes) }, message,
                    "\(name): swift-protobuf encode")
        Check.report(name, size: canonical.count, cIdentical: cBytes == canonical, swiftProtobufIdentical: spBytes == canonical)
    }
}

enum Check {
    /// Google's C++ protobuf reads the canonical bytes (on an arena, as benchmarked, and once on
    /// the heap to keep), and what it writes back has the canonical size and decodes (with
    /// ProtoWire) to the scenario's message: its values are the same without a field-by-field
    /// conversion.
    static func cpp(
        _ name: String, _ canonical: [UInt8], decode: (UnsafePointer<UInt8>?, Int) -> Int32,
        parse: (UnsafePointer<UInt8>?, Int) -> OpaquePointer?, sameMessage: ([UInt8]) -> Void
    ) -> OpaquePointer {
        guard canonical.withUnsafeBufferPointer({ decode($0.baseAddress, $0.count) }) == 1,
            let parsed = canonical.withUnsafeBufferPointer({ parse($0.baseAddress, $0.count) })
        else { fail("\(name): C++ protobuf could not parse the canonical bytes") }
        var bytes = [UInt8](repeating: 0, count: canonical.count + 64)
        let written = bytes.withUnsafeMutableBufferPointer { iw_cpp_message_serialize(parsed, $0.baseAddress, $0.count) }
        equal(written, canonical.count, "\(name): C++ encoded size")
        sameMessage(Array(bytes.prefix(written)))
        return parsed
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("V2Fixtures: MISMATCH: \(message)\n".utf8))
        fatalError("V2Fixtures: \(message)")
    }

    static func must<T>(_ what: String, _ body: () throws -> T) -> T {
        do { return try body() } catch { fail("\(what) threw \(error)") }
    }

    static func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String) {
        guard actual == expected else {
            let a = "\(actual)", e = "\(expected)"
            fail("\(what): values differ\n  got:      \(a.prefix(2000))\n  expected: \(e.prefix(2000))")
        }
    }

    static func report(_ name: String, size: Int, cIdentical: Bool, swiftProtobufIdentical: Bool) {
        guard ProcessInfo.processInfo.environment["V2_FIXTURES_VERBOSE"] != nil else { return }
        FileHandle.standardError.write(Data(
            "V2Fixtures: \(name): \(size) bytes; all four decoders agree; protobuf-c output \(cIdentical ? "byte-identical" : "equivalent"), swift-protobuf output \(swiftProtobufIdentical ? "byte-identical" : "equivalent (map order differs)")\n".utf8))
    }
}

// MARK: protobuf-c -> ProtoWire (the fields the scenarios use; anything else must be empty)

enum CConvert {
    static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    static func bytes(_ data: ProtobufCBinaryData) -> ByteBuffer {
        ByteBuffer(bytes: UnsafeRawBufferPointer(start: data.data, count: data.len))
    }

    static func bytesArray(_ count: Int, _ pointer: UnsafeMutablePointer<ProtobufCBinaryData>?) -> [ByteBuffer] {
        (0..<count).map { bytes(pointer![$0]) }
    }

    static func array<T>(_ count: Int, _ pointer: UnsafeMutablePointer<T>?) -> [T] {
        count == 0 ? [] : Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    static func parameter(_ pointer: UnsafeMutablePointer<Inference__InferParameter>?) -> InferParameter {
        guard let p = pointer?.pointee else { return InferParameter() }
        switch p.parameter_choice_case {
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM: return .bool(p.bool_param != 0)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM: return .int64(p.int64_param)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM: return .string(string(p.string_param))
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM: return .double(p.double_param)
        case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM: return .uint64(p.uint64_param)
        default: return InferParameter()
        }
    }

    static func map<Entry>(
        _ count: Int, _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?,
        key: (Entry) -> UnsafeMutablePointer<CChar>?, value: (Entry) -> UnsafeMutablePointer<Inference__InferParameter>?
    ) -> [String: InferParameter] {
        var result: [String: InferParameter] = [:]
        for index in 0..<count {
            let entry = entries![index]!.pointee
            result[string(key(entry))] = parameter(value(entry))
        }
        return result
    }

    static func contents(_ pointer: UnsafeMutablePointer<Inference__InferTensorContents>?) -> InferTensorContents? {
        guard let c = pointer?.pointee else { return nil }
        var contents = InferTensorContents()
        contents.boolContents = array(c.n_bool_contents, c.bool_contents).map { $0 != 0 }
        contents.intContents = array(c.n_int_contents, c.int_contents)
        contents.int64Contents = array(c.n_int64_contents, c.int64_contents)
        contents.uintContents = array(c.n_uint_contents, c.uint_contents)
        contents.uint64Contents = array(c.n_uint64_contents, c.uint64_contents)
        contents.fp32Contents = array(c.n_fp32_contents, c.fp32_contents)
        contents.fp64Contents = array(c.n_fp64_contents, c.fp64_contents)
        contents.bytesContents = bytesArray(c.n_bytes_contents, c.bytes_contents)
        return contents
    }

    static func request(_ pointer: UnsafeMutablePointer<Inference__ModelInferRequest>) -> ModelInferRequest {
        let c = pointer.pointee
        var m = ModelInferRequest()
        m.modelName = string(c.model_name)
        m.modelVersion = string(c.model_version)
        m.id = string(c.id)
        m.parameters = map(c.n_parameters, c.parameters, key: { $0.key }, value: { $0.value })
        for index in 0..<c.n_inputs {
            let t = c.inputs[index]!.pointee
            m.inputs.append(.init(
                name: string(t.name), datatype: string(t.datatype), shape: array(t.n_shape, t.shape),
                parameters: map(t.n_parameters, t.parameters, key: { $0.key }, value: { $0.value }),
                contents: contents(t.contents)))
        }
        for index in 0..<c.n_outputs {
            let t = c.outputs[index]!.pointee
            m.outputs.append(.init(name: string(t.name), parameters: map(t.n_parameters, t.parameters, key: { $0.key }, value: { $0.value })))
        }
        m.rawInputContents = bytesArray(c.n_raw_input_contents, c.raw_input_contents)
        return m
    }

    static func response(_ pointer: UnsafeMutablePointer<Inference__ModelInferResponse>) -> ModelInferResponse {
        let c = pointer.pointee
        var m = ModelInferResponse()
        m.modelName = string(c.model_name)
        m.modelVersion = string(c.model_version)
        m.id = string(c.id)
        m.parameters = map(c.n_parameters, c.parameters, key: { $0.key }, value: { $0.value })
        for index in 0..<c.n_outputs {
            let t = c.outputs[index]!.pointee
            m.outputs.append(.init(
                name: string(t.name), datatype: string(t.datatype), shape: array(t.n_shape, t.shape),
                parameters: map(t.n_parameters, t.parameters, key: { $0.key }, value: { $0.value }),
                contents: contents(t.contents)))
        }
        m.rawOutputContents = bytesArray(c.n_raw_output_contents, c.raw_output_contents)
        return m
    }
}

// MARK: swift-protobuf -> ProtoWire

enum SPConvert {
    static func parameter(_ p: Inference_InferParameter) -> InferParameter {
        switch p.parameterChoice {
        case .boolParam(let v)?: return .bool(v)
        case .int64Param(let v)?: return .int64(v)
        case .stringParam(let v)?: return .string(v)
        case .doubleParam(let v)?: return .double(v)
        case .uint64Param(let v)?: return .uint64(v)
        case nil: return InferParameter()
        }
    }

    static func map(_ map: [String: Inference_InferParameter]) -> [String: InferParameter] {
        map.mapValues(parameter)
    }

    static func bytes(_ data: Data) -> ByteBuffer { ByteBuffer(bytes: data) }

    static func contents(_ has: Bool, _ c: Inference_InferTensorContents) -> InferTensorContents? {
        guard has else { return nil }
        var contents = InferTensorContents()
        contents.boolContents = c.boolContents
        contents.intContents = c.intContents
        contents.int64Contents = c.int64Contents
        contents.uintContents = c.uintContents
        contents.uint64Contents = c.uint64Contents
        contents.fp32Contents = c.fp32Contents
        contents.fp64Contents = c.fp64Contents
        contents.bytesContents = c.bytesContents.map(bytes)
        return contents
    }

    static func request(_ s: Inference_ModelInferRequest) -> ModelInferRequest {
        var m = ModelInferRequest()
        m.modelName = s.modelName
        m.modelVersion = s.modelVersion
        m.id = s.id
        m.parameters = map(s.parameters)
        m.inputs = s.inputs.map {
            .init(name: $0.name, datatype: $0.datatype, shape: $0.shape, parameters: map($0.parameters),
                  contents: contents($0.hasContents, $0.contents))
        }
        m.outputs = s.outputs.map { .init(name: $0.name, parameters: map($0.parameters)) }
        m.rawInputContents = s.rawInputContents.map(bytes)
        return m
    }

    static func response(_ s: Inference_ModelInferResponse) -> ModelInferResponse {
        var m = ModelInferResponse()
        m.modelName = s.modelName
        m.modelVersion = s.modelVersion
        m.id = s.id
        m.parameters = map(s.parameters)
        m.outputs = s.outputs.map {
            .init(name: $0.name, datatype: $0.datatype, shape: $0.shape, parameters: map($0.parameters),
                  contents: contents($0.hasContents, $0.contents))
        }
        m.rawOutputContents = s.rawOutputContents.map(bytes)
        return m
    }
}
