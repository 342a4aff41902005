import Foundation
import InferWireCore
import NIOCore
import ProtoWire

/// Writes a `ModelInferResponse` as V2 REST JSON: {"model_name", "model_version", "id",
/// "parameters", "outputs": [{"name", "datatype", "shape", "parameters", "data"}]}, data flat
/// and row-major. BYTES elements are strings when every element of the output is UTF-8;
/// otherwise all its elements are base64 and the output carries "data_encoding": "base64".
///
/// Outputs named in `binaryOutputs` (Triton's binary tensor extension) carry
/// `"binary_data_size"` instead of `data`; their bytes, in the raw layout, are returned in order.
public enum V2ResponseEncoder {
    /// One output's elements, decoded.
    public enum Elements {
        case bytes([[UInt8]])
        case numbers([JSONDocument])
    }

    /// Writes the response's JSON into `writer` and returns the binary outputs' bytes, in
    /// order (their JSON carries `binary_data_size`). Text goes from the tensors' bytes to the
    /// writer's buffer through the escaper, binary BYTES elements as base64 encoded in place.
    public static func write(
        _ response: ModelInferResponse, binaryOutputs: (String) -> Bool = { _ in false }, to writer: inout JSONWriter
    ) throws(InferenceError) -> [ByteBuffer] {
        var binary: [ByteBuffer] = []
        // Room for the largest case (every output's bytes as base64) up front: a 5 MiB image
        // must not be copied again each time the buffer doubles.
        let rawTotal = response.rawOutputContents.reduce(0) { $0 + $1.readableBytes }
        writer.buffer.reserveCapacity(minimumWritableBytes: rawTotal / 3 * 4 + 1024)
        writer.raw(#"{"model_name":"#)
        writer.string(response.modelName)
        writer.raw(#","model_version":"#)
        writer.string(response.modelVersion)
        writer.raw(#","id":"#)
        writer.string(response.id)
        writer.raw(#","parameters":"#)
        writer.document(parameterJSON(response.parameters))
        writer.raw(#","outputs":["#)
        for (index, output) in response.outputs.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw(#"{"name":"#)
            writer.string(output.name)
            writer.raw(#","datatype":"#)
            writer.string(output.datatype)
            writer.raw(#","shape":["#)
            for (position, dimension) in output.shape.enumerated() {
                if position > 0 { writer.raw(",") }
                writer.int(dimension)
            }
            writer.raw("]")
            if binaryOutputs(output.name) {
                let raw = try rawBytes(of: response, output: index)
                var parameters = output.parameters
                parameters["binary_data_size"] = .int64(Int64(raw.readableBytes))
                writer.raw(#","parameters":"#)
                writer.document(parameterJSON(parameters))
                binary.append(raw)
            } else {
                if !output.parameters.isEmpty {
                    writer.raw(#","parameters":"#)
                    writer.document(parameterJSON(output.parameters))
                }
                try writeData(of: response, output: index, to: &writer)
            }
            writer.raw("}")
        }
        writer.raw("]}")
        return binary
    }

    /// The response as a `JSONDocument` (members in the order the HTTP door writes them).
    public static func json(_ response: ModelInferResponse, binaryOutputs: (String) -> Bool = { _ in false }) throws(InferenceError) -> (json: JSONDocument, binary: [ByteBuffer]) {
        var writer = JSONWriter()
        let binary = try write(response, binaryOutputs: binaryOutputs, to: &writer)
        do {
            return (try JSONDocument.parse(writer.buffer, keepingKeyOrder: true), binary)
        } catch {
            throw InferenceError(.internal, "the response's JSON does not read back: \(error.message)")
        }
    }

    /// `,"data":[...]`: BYTES elements as strings when every element of the output is UTF-8,
    /// otherwise all as base64 after `"data_encoding":"base64"`; numbers as numbers.
    private static func writeData(of response: ModelInferResponse, output index: Int, to writer: inout JSONWriter) throws(InferenceError) {
        let output = response.outputs[index]
        guard output.datatype == Datatype.bytes.rawValue else {
            guard case .numbers(let values) = try elements(of: response, output: index) else { return }
            writer.raw(#","data":["#)
            for (position, value) in values.enumerated() {
                if position > 0 { writer.raw(",") }
                writer.document(value)
            }
            writer.raw("]")
            return
        }
        let values: [ByteBuffer]
        do {
            values = try response.bytesElements(ofOutput: index)
        } catch {
            throw InferenceError(.internal, "output \(output.name): \(error)")
        }
        let text = values.allSatisfy(isUTF8)
        writer.raw(text ? #","data":["# : #","data_encoding":"base64","data":["#)
        for (position, value) in values.enumerated() {
            if position > 0 { writer.raw(",") }
            if text { writer.string(utf8: value) } else { writer.base64(value) }
        }
        writer.raw("]")
    }

    private static func isUTF8(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            let elements = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return (try? UTF8Span(validating: Span(_unsafeElements: elements))) != nil
        }
    }

    public static func parameterJSON(_ parameters: [String: InferParameter]) -> JSONDocument {
        .object(parameters.keys.sorted().map { key in
            let value: JSONDocument = switch parameters[key]!.value {
            case .bool(let bool)?: .bool(bool)
            case .int64(let int)?: .int(int)
            case .uint64(let uint)?: .uint(uint)
            case .double(let double)?: .double(double)
            case .string(let string)?: .string(string)
            case nil: .null
            }
            return (key, value)
        })
    }

    /// Output `index` in the raw layout (little-endian, row-major; BYTES length-prefixed),
    /// whether the runtime answered raw or typed.
    public static func rawBytes(of response: ModelInferResponse, output index: Int) throws(InferenceError) -> ByteBuffer {
        if index < response.rawOutputContents.count { return response.rawOutputContents[index] }
        let output = response.outputs[index]
        let contents = output.contents ?? InferTensorContents()
        guard let datatype = Datatype(rawValue: output.datatype) else {
            throw InferenceError(.internal, "output \(output.name) has unknown datatype \(output.datatype)")
        }
        switch datatype {
        case .bytes: return BytesElements.encode(contents.bytesContents.map { Array($0.readableBytesView) })
        case .bool: return RawTensorView<UInt8>.encode(contents.boolContents.map { $0 ? 1 : 0 })
        case .int8: return RawTensorView<Int8>.encode(contents.intContents.map { Int8(truncatingIfNeeded: $0) })
        case .int16: return RawTensorView<Int16>.encode(contents.intContents.map { Int16(truncatingIfNeeded: $0) })
        case .int32: return RawTensorView<Int32>.encode(contents.intContents)
        case .int64: return RawTensorView<Int64>.encode(contents.int64Contents)
        case .uint8: return RawTensorView<UInt8>.encode(contents.uintContents.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16: return RawTensorView<UInt16>.encode(contents.uintContents.map { UInt16(truncatingIfNeeded: $0) })
        case .uint32: return RawTensorView<UInt32>.encode(contents.uintContents)
        case .uint64: return RawTensorView<UInt64>.encode(contents.uint64Contents)
        case .fp32: return RawTensorView<Float>.encode(contents.fp32Contents)
        case .fp64: return RawTensorView<Double>.encode(contents.fp64Contents)
        case .fp16, .bf16: return ByteBuffer()  // only ever raw
        }
    }

    public static func elements(of response: ModelInferResponse, output index: Int) throws(InferenceError) -> Elements {
        let output = response.outputs[index]
        if output.datatype == Datatype.bytes.rawValue {
            do {
                return .bytes(try response.bytesElements(ofOutput: index).map { Array($0.readableBytesView) })
            } catch {
                throw InferenceError(.internal, "output \(output.name): \(error)")
            }
        }
        guard let datatype = Datatype(rawValue: output.datatype) else {
            throw InferenceError(.internal, "output \(output.name) has unknown datatype \(output.datatype)")
        }
        if index < response.rawOutputContents.count {
            let raw = response.rawOutputContents[index]
            func view<T: RawTensorElement>(_ type: T.Type, _ convert: (T) -> JSONDocument) throws(InferenceError) -> Elements {
                do {
                    return .numbers(try RawTensorView<T>(raw, datatype: datatype, tensor: output.name).values.map(convert))
                } catch {
                    throw InferenceError(.internal, "output \(output.name): \(error)")
                }
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
        let values: [JSONDocument] = contents.boolContents.map { .bool($0) }
            + contents.intContents.map { .int(Int64($0)) } + contents.int64Contents.map { .int($0) }
            + contents.uintContents.map { .uint(UInt64($0)) } + contents.uint64Contents.map { .uint($0) }
            + contents.fp32Contents.map { .double(Double($0)) } + contents.fp64Contents.map { .double($0) }
        return .numbers(values)
    }
}
