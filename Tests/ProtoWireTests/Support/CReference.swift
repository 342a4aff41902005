import CV2Reference
import Foundation
import NIOCore
import ProtoWire

/// The protobuf-c reference codec, seen from Swift: repacking bytes through protobuf-c, and
/// building protobuf-c messages from ProtoWire values so that protobuf-c encodes them itself.
enum CReference {
    /// protobuf-c's unpack followed by its pack; nil when protobuf-c rejects the input.
    static func repack(_ which: CRefMessage, _ bytes: [UInt8]) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        let length = bytes.withUnsafeBufferPointer { cref_repack(which, $0.baseAddress, $0.count, &out) }
        defer { free(out) }
        guard length >= 0 else { return nil }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }

    static func accepts(_ which: CRefMessage, _ bytes: [UInt8]) -> Bool {
        repack(which, bytes) != nil
    }

    /// protobuf-c's own encoding of `request`, built field by field through its C structs.
    static func pack(_ request: ModelInferRequest) -> [UInt8] {
        let arena = Arena()
        var message = Inference__ModelInferRequest()
        inference__model_infer_request__init(&message)
        message.model_name = arena.string(request.modelName)
        message.model_version = arena.string(request.modelVersion)
        message.id = arena.string(request.id)
        (message.n_parameters, message.parameters) = arena.map(
            request.parameters, inference__model_infer_request__parameters_entry__init
        ) { entry, key, value in entry.key = key; entry.value = value }
        (message.n_inputs, message.inputs) = arena.messages(request.inputs) { (tensor: ModelInferRequest.InferInputTensor) in
            let pointer = arena.allocate(Inference__ModelInferRequest__InferInputTensor.self)
            inference__model_infer_request__infer_input_tensor__init(pointer)
            pointer.pointee.name = arena.string(tensor.name)
            pointer.pointee.datatype = arena.string(tensor.datatype)
            (pointer.pointee.n_shape, pointer.pointee.shape) = arena.array(tensor.shape)
            (pointer.pointee.n_parameters, pointer.pointee.parameters) = arena.map(
                tensor.parameters, inference__model_infer_request__infer_input_tensor__parameters_entry__init
            ) { entry, key, value in entry.key = key; entry.value = value }
            pointer.pointee.contents = tensor.contents.map(arena.contents)
            return pointer
        }
        (message.n_outputs, message.outputs) = arena.messages(request.outputs) {
            (tensor: ModelInferRequest.InferRequestedOutputTensor) in
            let pointer = arena.allocate(Inference__ModelInferRequest__InferRequestedOutputTensor.self)
            inference__model_infer_request__infer_requested_output_tensor__init(pointer)
            pointer.pointee.name = arena.string(tensor.name)
            (pointer.pointee.n_parameters, pointer.pointee.parameters) = arena.map(
                tensor.parameters, inference__model_infer_request__infer_requested_output_tensor__parameters_entry__init
            ) { entry, key, value in entry.key = key; entry.value = value }
            return pointer
        }
        (message.n_raw_input_contents, message.raw_input_contents) = arena.binaries(request.rawInputContents)
        return withUnsafePointer(to: &message) { pointer in
            pointer.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { packed($0) }
        }
    }

    /// protobuf-c's own encoding of `response`.
    static func pack(_ response: ModelInferResponse) -> [UInt8] {
        let arena = Arena()
        var message = Inference__ModelInferResponse()
        inference__model_infer_response__init(&message)
        message.model_name = arena.string(response.modelName)
        message.model_version = arena.string(response.modelVersion)
        message.id = arena.string(response.id)
        (message.n_parameters, message.parameters) = arena.map(
            response.parameters, inference__model_infer_response__parameters_entry__init
        ) { entry, key, value in entry.key = key; entry.value = value }
        (message.n_outputs, message.outputs) = arena.messages(response.outputs) {
            (tensor: ModelInferResponse.InferOutputTensor) in
            let pointer = arena.allocate(Inference__ModelInferResponse__InferOutputTensor.self)
            inference__model_infer_response__infer_output_tensor__init(pointer)
            pointer.pointee.name = arena.string(tensor.name)
            pointer.pointee.datatype = arena.string(tensor.datatype)
            (pointer.pointee.n_shape, pointer.pointee.shape) = arena.array(tensor.shape)
            (pointer.pointee.n_parameters, pointer.pointee.parameters) = arena.map(
                tensor.parameters, inference__model_infer_response__infer_output_tensor__parameters_entry__init
            ) { entry, key, value in entry.key = key; entry.value = value }
            pointer.pointee.contents = tensor.contents.map(arena.contents)
            return pointer
        }
        (message.n_raw_output_contents, message.raw_output_contents) = arena.binaries(response.rawOutputContents)
        return withUnsafePointer(to: &message) { pointer in
            pointer.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { packed($0) }
        }
    }

    private static func packed(_ message: UnsafePointer<ProtobufCMessage>) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = cref_pack(message, &out)
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}

/// Owns the C memory of one message under construction.
final class Arena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let raw = calloc(max(count, 1), MemoryLayout<T>.stride)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    func string(_ value: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(value)!
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    func array<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        guard !values.isEmpty else { return (0, nil) }
        let pointer = allocate(T.self, count: values.count)
        for (index, value) in values.enumerated() { (pointer + index).initialize(to: value) }
        return (values.count, pointer)
    }

    func binary(_ buffer: ByteBuffer) -> ProtobufCBinaryData {
        let bytes = Array(buffer.readableBytesView)
        let pointer = allocate(UInt8.self, count: bytes.count)
        for (index, byte) in bytes.enumerated() { pointer[index] = byte }
        return ProtobufCBinaryData(len: bytes.count, data: pointer)
    }

    func binaries(_ buffers: [ByteBuffer]) -> (Int, UnsafeMutablePointer<ProtobufCBinaryData>?) {
        array(buffers.map(binary))
    }

    func messages<T, C>(_ values: [T], _ build: (T) -> UnsafeMutablePointer<C>) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        array(values.map { Optional(build($0)) })
    }

    func parameter(_ parameter: InferParameter) -> UnsafeMutablePointer<Inference__InferParameter> {
        let pointer = allocate(Inference__InferParameter.self)
        inference__infer_parameter__init(pointer)
        switch parameter.value {
        case nil:
            break
        case .bool(let value):
            pointer.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM
            pointer.pointee.bool_param = value ? 1 : 0
        case .int64(let value):
            pointer.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM
            pointer.pointee.int64_param = value
        case .string(let value):
            pointer.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM
            pointer.pointee.string_param = string(value)
        case .double(let value):
            pointer.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM
            pointer.pointee.double_param = value
        case .uint64(let value):
            pointer.pointee.parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM
            pointer.pointee.uint64_param = value
        }
        return pointer
    }

    /// A map as protobuf-c holds it: an array of entry pointers, here in key order.
    func map<Entry>(
        _ map: [String: InferParameter],
        _ initialize: (UnsafeMutablePointer<Entry>?) -> Void,
        _ set: (inout Entry, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Inference__InferParameter>) -> Void
    ) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?) {
        array(map.keys.sorted().map { key -> UnsafeMutablePointer<Entry>? in
            let entry = allocate(Entry.self)
            initialize(entry)
            set(&entry.pointee, string(key), parameter(map[key]!))
            return entry
        })
    }

    func contents(_ contents: InferTensorContents) -> UnsafeMutablePointer<Inference__InferTensorContents> {
        let pointer = allocate(Inference__InferTensorContents.self)
        inference__infer_tensor_contents__init(pointer)
        (pointer.pointee.n_bool_contents, pointer.pointee.bool_contents) = array(contents.boolContents.map { $0 ? 1 : 0 })
        (pointer.pointee.n_int_contents, pointer.pointee.int_contents) = array(contents.intContents)
        (pointer.pointee.n_int64_contents, pointer.pointee.int64_contents) = array(contents.int64Contents)
        (pointer.pointee.n_uint_contents, pointer.pointee.uint_contents) = array(contents.uintContents)
        (pointer.pointee.n_uint64_contents, pointer.pointee.uint64_contents) = array(contents.uint64Contents)
        (pointer.pointee.n_fp32_contents, pointer.pointee.fp32_contents) = array(contents.fp32Contents)
        (pointer.pointee.n_fp64_contents, pointer.pointee.fp64_contents) = array(contents.fp64Contents)
        (pointer.pointee.n_bytes_contents, pointer.pointee.bytes_contents) = binaries(contents.bytesContents)
        return pointer
    }
}
