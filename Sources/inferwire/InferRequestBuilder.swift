import Foundation
import NIOCore
import ProtoWire

/// Builds a `ModelInferRequest` from the `infer` flags and `--request` JSON files.
enum InferRequestBuilder {
    /// `name=value`, split at the first "=".
    static func keyValue(_ text: String, flag: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw CLIError.usage("\(flag) expects name=value, got '\(text)'")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// A `--parameter` value: int64 if it is an integer, double if it is a number, bool for
    /// true/false, otherwise a string (JSON objects stay strings).
    static func parameter(_ value: String) -> InferParameter {
        if let integer = Int64(value) { return .int64(integer) }
        if looksNumeric(value), let number = Double(value) { return .double(number) }
        switch value {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .string(value)
        }
    }

    /// Digits with an optional sign, point and exponent: keeps "nan", "inf" and "0x1p3" strings.
    private static func looksNumeric(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { "0123456789+-.eE".contains($0) } && text.contains(where: \.isNumber)
    }

    /// Adds a BYTES tensor of shape [count] whose raw contents hold `elements`.
    static func addBytesInput(
        _ request: inout ModelInferRequest, name: String, elements: [[UInt8]],
        parameters: [String: InferParameter] = [:]
    ) {
        request.inputs.append(.init(name: name, datatype: "BYTES", shape: [Int64(elements.count)], parameters: parameters))
        request.rawInputContents.append(BytesElements.encode(elements))
    }

    /// One chat message in the LLM runtimes' convention: `role` [1], and `content` / `type` of
    /// shape [1, N], one element per part (`text` as UTF-8, media as their raw bytes).
    static func addChatMessage(_ request: inout ModelInferRequest, role: String, parts: [(type: String, bytes: [UInt8])]) {
        addBytesInput(&request, name: "role", elements: [Array(role.utf8)])
        addBytesInput(&request, name: "content", elements: parts.map(\.bytes))
        addBytesInput(&request, name: "type", elements: parts.map { Array($0.type.utf8) })
        request.inputs[request.inputs.count - 2].shape = [1, Int64(parts.count)]
        request.inputs[request.inputs.count - 1].shape = [1, Int64(parts.count)]
    }

    // MARK: - V2 JSON requests

    /// Reads a V2 REST inference request (MLServer's shape) into `request`: id, parameters,
    /// inputs (data flattened into raw contents) and requested outputs.
    static func apply(json: CLIJSON, source: String, to request: inout ModelInferRequest) throws {
        guard case .object = json else { throw CLIError.usage("\(source): the request must be a JSON object") }
        if case .string(let id)? = json["id"] { request.id = id }
        if let parameters = json["parameters"] {
            for (key, value) in try parameterMap(parameters, source: "\(source): parameters") {
                request.parameters[key] = value
            }
        }
        guard case .array(let inputs)? = json["inputs"] else {
            throw CLIError.usage("\(source): \"inputs\" must be an array of tensors")
        }
        for (index, input) in inputs.enumerated() {
            let place = "\(source): inputs[\(index)]"
            guard case .string(let name)? = input["name"] else { throw CLIError.usage("\(place): \"name\" is missing") }
            guard case .string(let datatypeName)? = input["datatype"], let datatype = Datatype(rawValue: datatypeName) else {
                throw CLIError.usage("\(place): \"datatype\" must be one of \(Datatype.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard case .array(let shapeValues)? = input["shape"] else { throw CLIError.usage("\(place): \"shape\" is missing") }
            let shape = try shapeValues.map { value -> Int64 in
                guard case .int(let dimension) = value else { throw CLIError.usage("\(place): shape must hold integers") }
                return dimension
            }
            let parameters = try input["parameters"].map { try parameterMap($0, source: "\(place).parameters") } ?? [:]
            guard let data = input["data"] else { throw CLIError.usage("\(place): \"data\" is missing") }
            let values = flatten(data)
            let raw = try rawContents(values, datatype: datatype, place: place)
            request.inputs.append(.init(name: name, datatype: datatype.rawValue, shape: shape, parameters: parameters))
            request.rawInputContents.append(raw)
        }
        if case .array(let outputs)? = json["outputs"] {
            for output in outputs {
                guard case .string(let name)? = output["name"] else { continue }
                let parameters = try output["parameters"].map { try parameterMap($0, source: "\(source): outputs") } ?? [:]
                request.outputs.append(.init(name: name, parameters: parameters))
            }
        }
    }

    static func parameterMap(_ json: CLIJSON, source: String) throws -> [String: InferParameter] {
        guard case .object(let members) = json else { throw CLIError.usage("\(source) must be an object") }
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

    static func flatten(_ json: CLIJSON) -> [CLIJSON] {
        guard case .array(let values) = json else { return [json] }
        return values.flatMap(flatten)
    }

    /// Flat JSON data as raw contents: BYTES strings as length-prefixed elements, numbers
    /// little-endian, BOOL as bytes 0/1.
    static func rawContents(_ values: [CLIJSON], datatype: Datatype, place: String) throws -> ByteBuffer {
        func integers<T: FixedWidthInteger & RawTensorElement>(_ type: T.Type) throws -> ByteBuffer {
            RawTensorView<T>.encode(try values.map { value -> T in
                let converted: T?
                switch value {
                case .int(let int): converted = T(exactly: int)
                case .uint(let uint): converted = T(exactly: uint)
                case .double(let double): converted = T(exactly: double)
                default: converted = nil
                }
                guard let converted else { throw CLIError.usage("\(place): \(value.serialized()) is not a \(datatype.rawValue)") }
                return converted
            })
        }
        func doubles() throws -> [Double] {
            try values.map { value -> Double in
                switch value {
                case .int(let int): return Double(int)
                case .uint(let uint): return Double(uint)
                case .double(let double): return double
                default: throw CLIError.usage("\(place): \(value.serialized()) is not a number")
                }
            }
        }
        switch datatype {
        case .bytes:
            return BytesElements.encode(try values.map { value -> [UInt8] in
                switch value {
                case .string(let string): return Array(string.utf8)
                // MLServer's REST takes numbers in BYTES data as their text (the seeds send `5`).
                case .int, .uint, .double: return Array(value.serialized().utf8)
                default: throw CLIError.usage("\(place): BYTES data must be strings or numbers, got \(value.serialized())")
                }
            })
        case .bool:
            return RawTensorView<UInt8>.encode(try values.map { value -> UInt8 in
                switch value {
                case .bool(let bool): return bool ? 1 : 0
                case .int(0): return 0
                case .int(1): return 1
                default: throw CLIError.usage("\(place): \(value.serialized()) is not a BOOL")
                }
            })
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
            throw CLIError.usage("\(place): FP16 data from JSON is not supported by the CLI; send FP32 instead")
        }
    }
}
