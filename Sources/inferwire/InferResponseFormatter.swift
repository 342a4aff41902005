import Foundation
import NIOCore
import ProtoWire

/// Turns inference responses into text or V2 REST JSON.
enum InferResponseFormatter {
    /// One output's elements, decoded for printing.
    enum Elements {
        case bytes([[UInt8]])
        case numbers([CLIJSON])
    }

    static func elements(of response: ModelInferResponse, output index: Int) throws -> Elements {
        let output = response.outputs[index]
        if output.datatype == Datatype.bytes.rawValue {
            return .bytes(try response.bytesElements(ofOutput: index).map { Array($0.readableBytesView) })
        }
        guard let datatype = Datatype(rawValue: output.datatype) else {
            throw CLIError(code: "INTERNAL", message: "output \(output.name) has unknown datatype \(output.datatype)", exitCode: 1)
        }
        if index < response.rawOutputContents.count {
            let raw = response.rawOutputContents[index]
            func view<T: RawTensorElement>(_ type: T.Type, _ convert: (T) -> CLIJSON) throws -> Elements {
                .numbers(try RawTensorView<T>(raw, datatype: datatype, tensor: output.name).values.map(convert))
            }
            switch datatype {
            case .bool: return try view(UInt8.self) { .bool($0 != 0) }
            case .uint8: return try view(UInt8.self) { .uint(UInt64($0)) }
            case .uint16: return try view(UInt16.self) { .uint(UInt64($0)) }
            case .uint32: return try view(UInt32.self) { .uint(UInt64($0)) }
            case .uint64: return try view(UInt64.self) { .uint($0) }
            case .int8: return try view(Int8.self) { .int(Int64($0)) }
            case .int16: return try view(Int16.self) { .int(Int64($0)) }
            case .int32: return try view(Int32.self) { .int(Int64($0)) }
            case .int64: return try view(Int64.self) { .int($0) }
            case .fp32: return try view(Float.self) { .double(Double($0)) }
            case .fp64: return try view(Double.self) { .double($0) }
            case .bf16: return try view(UInt16.self) { .double(Double(Float(bitPattern: UInt32($0) << 16))) }
            case .fp16: return try view(UInt16.self) { .uint(UInt64($0)) }  // bit patterns
            case .bytes: return .bytes([])
            }
        }
        let contents = output.contents ?? InferTensorContents()
        let values: [CLIJSON] = contents.boolContents.map { .bool($0) }
            + contents.intContents.map { .int(Int64($0)) } + contents.int64Contents.map { .int($0) }
            + contents.uintContents.map { .uint(UInt64($0)) } + contents.uint64Contents.map { .uint($0) }
            + contents.fp32Contents.map { .double(Double($0)) } + contents.fp64Contents.map { .double($0) }
        return .numbers(values)
    }

    static func text(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    static func parameterJSON(_ parameters: [String: InferParameter]) -> CLIJSON {
        .object(parameters.keys.sorted().map { key in
            let value: CLIJSON
            switch parameters[key]!.value {
            case .bool(let bool)?: value = .bool(bool)
            case .int64(let int)?: value = .int(int)
            case .uint64(let uint)?: value = .uint(uint)
            case .double(let double)?: value = .double(double)
            case .string(let string)?: value = .string(string)
            case nil: value = .null
            }
            return (key, value)
        })
    }

    static func parameterText(_ parameters: [String: InferParameter]) -> String {
        guard case .object(let members) = parameterJSON(parameters) else { return "" }
        return members.map { key, value in
            if case .string(let string) = value { return "\(key)=\(string)" }
            return "\(key)=\(value.serialized())"
        }.joined(separator: " ")
    }

    /// The V2 REST response: {"model_name","model_version","id","parameters","outputs":[{"name",
    /// "datatype","shape","parameters","data"}]}. BYTES elements are strings when every element
    /// of the output is UTF-8; otherwise all its elements are base64 and the output carries
    /// "data_encoding": "base64".
    static func json(_ response: ModelInferResponse) throws -> CLIJSON {
        var outputs: [CLIJSON] = []
        for (index, output) in response.outputs.enumerated() {
            var members: [(String, CLIJSON)] = [
                ("name", .string(output.name)), ("datatype", .string(output.datatype)),
                ("shape", .array(output.shape.map { .int($0) })),
            ]
            if !output.parameters.isEmpty { members.append(("parameters", parameterJSON(output.parameters))) }
            switch try elements(of: response, output: index) {
            case .numbers(let values):
                members.append(("data", .array(values)))
            case .bytes(let values):
                let texts = values.map(text)
                if texts.allSatisfy({ $0 != nil }) {
                    members.append(("data", .array(texts.map { .string($0!) })))
                } else {
                    members.append(("data_encoding", .string("base64")))
                    members.append(("data", .array(values.map { .string(Data($0).base64EncodedString()) })))
                }
            }
            outputs.append(.object(members))
        }
        return .object([
            ("model_name", .string(response.modelName)), ("model_version", .string(response.modelVersion)),
            ("id", .string(response.id)), ("parameters", parameterJSON(response.parameters)),
            ("outputs", .array(outputs)),
        ])
    }

    /// Human-readable lines: a header, then per output its name, datatype, shape and values.
    static func lines(_ response: ModelInferResponse, bytesWrittenTo: (name: String, path: String)? = nil) throws -> [String] {
        var lines: [String] = []
        var header = "model \(response.modelName)"
        if !response.modelVersion.isEmpty { header += " version \(response.modelVersion)" }
        if !response.id.isEmpty { header += " id \(response.id)" }
        if !response.parameters.isEmpty { header += " parameters: \(parameterText(response.parameters))" }
        lines.append(header)
        for (index, output) in response.outputs.enumerated() {
            var line = "output \(output.name) \(output.datatype) [\(output.shape.map(String.init).joined(separator: ", "))]"
            if !output.parameters.isEmpty { line += " \(parameterText(output.parameters))" }
            lines.append(line)
            if let written = bytesWrittenTo, written.name == output.name {
                lines.append("  (bytes written to \(written.path))")
                continue
            }
            switch try elements(of: response, output: index) {
            case .bytes(let values):
                for (number, value) in values.enumerated() {
                    if let text = text(value) {
                        lines.append("  [\(number)] \(text)")
                    } else {
                        lines.append("  [\(number)] <\(value.count) bytes>")
                    }
                }
            case .numbers(let values):
                lines.append("  " + values.map { value in
                    if case .double(let double) = value { return "\(double)" }
                    return value.serialized()
                }.joined(separator: " "))
            }
        }
        return lines
    }
}
