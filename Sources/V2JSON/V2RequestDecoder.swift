import Foundation
import InferWireCore
import NIOCore
import ProtoWire

/// Reads a V2 REST inference request (the Open Inference Protocol's JSON, as MLServer and Triton
/// take it) into a `ModelInferRequest`: id, parameters, inputs, requested outputs. Every input
/// becomes raw contents (row-major, little-endian; BYTES length-prefixed), so what follows sees
/// one layout whichever door the request came through.
///
/// Triton's binary tensor extension: an input whose parameters hold `binary_data_size` has no
/// `data`; its bytes are the next that many bytes of `binary` (the body after the JSON header),
/// taken as a slice, not copied.
public enum V2RequestDecoder {
    public static func decode(_ json: JSONDocument, binary: ByteBuffer? = nil, into request: inout ModelInferRequest) throws(InferenceError) {
        guard case .object = json else { throw invalid("the request must be a JSON object") }
        if let id = json["id"] {
            guard case .string(let text) = id else { throw invalid("\"id\" must be a string") }
            request.id = text
        }
        if let parameters = json["parameters"] {
            for (key, value) in try parameterMap(parameters, place: "parameters") { request.parameters[key] = value }
        }
        guard case .array(let inputs)? = json["inputs"] else { throw invalid("\"inputs\" must be an array of tensors") }
        var binary = binary ?? ByteBuffer()
        for (index, input) in inputs.enumerated() {
            let place = "inputs[\(index)]"
            guard case .object = input else { throw invalid("\(place) must be an object") }
            guard case .string(let name)? = input["name"] else { throw invalid("\(place): \"name\" is missing") }
            let place2 = "input '\(name)'"
            guard case .string(let datatypeName)? = input["datatype"], let datatype = Datatype(rawValue: datatypeName) else {
                throw invalid("\(place2): \"datatype\" must be one of \(Datatype.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard case .array(let shapeValues)? = input["shape"] else { throw invalid("\(place2): \"shape\" is missing") }
            var shape: [Int64] = []
            for value in shapeValues {
                guard case .int(let dimension) = value, dimension >= 0 else { throw invalid("\(place2): \"shape\" must hold non-negative integers") }
                shape.append(dimension)
            }
            var parameters = try input["parameters"].map { json throws(InferenceError) in try parameterMap(json, place: "\(place2).parameters") } ?? [:]
            let raw: ByteBuffer
            if let size = parameters.removeValue(forKey: "binary_data_size") {
                guard case .int64(let count)? = size.value, count >= 0 else { throw invalid("\(place2): binary_data_size must be a non-negative integer") }
                guard input["data"] == nil else { throw invalid("\(place2): binary_data_size and data cannot both be given") }
                guard count <= binary.readableBytes, let slice = binary.readSlice(length: Int(count)) else {
                    throw invalid("\(place2): binary_data_size \(count) runs past the end of the binary data (\(binary.readableBytes) bytes left)")
                }
                raw = slice
            } else {
                guard let data = input["data"] else { throw invalid("\(place2): \"data\" is missing") }
                let values = flatten(data)
                // JSON counts elements, not bytes: say it in elements (BYTES follow their data, as MLServer's).
                if datatype != .bytes, let count = try? TensorValidation.elementCount(shape), values.count != count {
                    throw invalid("\(place2): the data holds \(values.count) elements, the shape \(shape) says \(count)")
                }
                raw = try rawContents(values, datatype: datatype, place: place2)
            }
            request.inputs.append(.init(name: name, datatype: datatype.rawValue, shape: shape, parameters: parameters))
            request.rawInputContents.append(raw)
        }
        if binary.readableBytes > 0 {
            throw invalid("\(binary.readableBytes) bytes of binary data follow the last binary input")
        }
        if let outputs = json["outputs"] {
            guard case .array(let list) = outputs else { throw invalid("\"outputs\" must be an array") }
            for (index, output) in list.enumerated() {
                guard case .string(let name)? = output["name"] else { throw invalid("outputs[\(index)]: \"name\" is missing") }
                let parameters = try output["parameters"].map { json throws(InferenceError) in try parameterMap(json, place: "output '\(name)'.parameters") } ?? [:]
                request.outputs.append(.init(name: name, parameters: parameters))
            }
        }
    }

    /// JSON parameters as `InferParameter`s, dropping nothing: an integer is int64 (above its
    /// range uint64), another number double, an object or list its JSON text in a string
    /// (docs/CONVENTIONS.md §1). JSON null has no member and is left out.
    public static func parameterMap(_ json: JSONDocument, place: String) throws(InferenceError) -> [String: InferParameter] {
        guard case .object(let members) = json else { throw invalid("\(place) must be an object") }
        var parameters: [String: InferParameter] = [:]
        for (key, value) in members {
            switch value {
            case .bool(let bool): parameters[key] = .bool(bool)
            case .int(let int): parameters[key] = .int64(int)
            case .uint(let uint): parameters[key] = .uint64(uint)
            case .double(let double): parameters[key] = .double(double)
            case .string(let string): parameters[key] = .string(string)
            case .null: continue
            case .array, .object: parameters[key] = .string(value.serialized())
            }
        }
        return parameters
    }

    /// Nested data (the tensor's natural shape) or flat, row-major either way.
    public static func flatten(_ json: JSONDocument) -> [JSONDocument] {
        guard case .array(let values) = json else { return [json] }
        return values.flatMap(flatten)
    }

    /// Flat JSON data as raw contents: BYTES strings as length-prefixed elements, numbers
    /// little-endian, BOOL as bytes 0/1.
    public static func rawContents(_ values: [JSONDocument], datatype: Datatype, place: String) throws(InferenceError) -> ByteBuffer {
        func integers<T: FixedWidthInteger & RawTensorElement>(_ type: T.Type) throws(InferenceError) -> ByteBuffer {
            var converted: [T] = []
            converted.reserveCapacity(values.count)
            for value in values {
                let number: T? = switch value {
                case .int(let int): T(exactly: int)
                case .uint(let uint): T(exactly: uint)
                case .double(let double): T(exactly: double)
                default: nil
                }
                guard let number else { throw invalid("\(place): \(value.serialized()) is not a \(datatype.rawValue)") }
                converted.append(number)
            }
            return RawTensorView<T>.encode(converted)
        }
        func doubles() throws(InferenceError) -> [Double] {
            var converted: [Double] = []
            converted.reserveCapacity(values.count)
            for value in values {
                switch value {
                case .int(let int): converted.append(Double(int))
                case .uint(let uint): converted.append(Double(uint))
                case .double(let double): converted.append(double)
                default: throw invalid("\(place): \(value.serialized()) is not a number")
                }
            }
            return converted
        }
        switch datatype {
        case .bytes:
            var elements: [String] = []
            elements.reserveCapacity(values.count)
            for value in values {
                switch value {
                case .string(let string): elements.append(string)
                // MLServer's REST takes numbers in BYTES data as their text (the seeds send `5`).
                case .int, .uint, .double: elements.append(value.serialized())
                default: throw invalid("\(place): BYTES data must be strings or numbers, got \(value.serialized())")
                }
            }
            return BytesElements.encode(strings: elements)
        case .bool:
            var bytes: [UInt8] = []
            for value in values {
                switch value {
                case .bool(let bool): bytes.append(bool ? 1 : 0)
                case .int(0): bytes.append(0)
                case .int(1): bytes.append(1)
                default: throw invalid("\(place): \(value.serialized()) is not a BOOL")
                }
            }
            return RawTensorView<UInt8>.encode(bytes)
        case .uint8: return try integers(UInt8.self)
        case .uint16: return try integers(UInt16.self)
        case .uint32: return try integers(UInt32.self)
        case .uint64: return try integers(UInt64.self)
        case .int8: return try integers(Int8.self)
        case .int16: return try integers(Int16.self)
        case .int32: return try integers(Int32.self)
        case .int64: return try integers(Int64.self)
        case .fp32: return RawTensorView<Float>.encode(try doubles().map { Float($0) })
        case .fp64: return RawTensorView<Double>.encode(try doubles())
        case .bf16:
            // The upper half of the FP32 bit pattern, rounded to nearest even.
            return RawTensorView<UInt16>.encode(try doubles().map { value in
                let bits = Float(value).bitPattern
                let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
                return UInt16(truncatingIfNeeded: rounded >> 16)
            })
        case .fp16:
            throw invalid("\(place): FP16 data cannot come as JSON numbers; send it as binary data (Triton's binary tensor extension)")
        }
    }

    static func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidArgument, message)
    }
}
