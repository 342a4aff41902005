import NIOCore

/// Checks that a tensor's data matches its declared datatype and shape. Separate from wire
/// decoding: a message can be well-formed protobuf and still carry a wrong-sized tensor.
public enum TensorValidation {
    /// How strictly a BYTES tensor's element count must follow its shape. MLServer reads BYTES
    /// tensors by their elements and ignores the shape (seed 002 sends two elements with shape
    /// [1]); `.elementsDecide` accepts that, still checking every element's framing.
    public enum BytesShapeRule: Sendable {
        case exact
        case elementsDecide
    }

    /// The number of elements a shape declares.
    public static func elementCount(_ shape: [Int64], tensor: String = "") throws(TensorDataError) -> Int {
        var count = 1
        for (index, dimension) in shape.enumerated() {
            guard dimension >= 0 else {
                throw TensorDataError(.negativeDimension(index: index, value: dimension), tensor: tensor)
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow else { throw TensorDataError(.shapeTooLarge, tensor: tensor) }
            count = product
        }
        return count
    }

    /// Validates raw contents against datatype and shape: fixed-width types must hold exactly
    /// shape × element size bytes; BYTES must split into exactly shape elements.
    public static func validateRaw(
        _ raw: ByteBuffer, datatype: String, shape: [Int64], tensor: String, bytesShape: BytesShapeRule = .exact
    ) throws(TensorDataError) {
        guard let type = Datatype(rawValue: datatype) else {
            throw TensorDataError(.unknownDatatype(datatype), tensor: tensor)
        }
        let count = try elementCount(shape, tensor: tensor)
        if let size = type.elementSize {
            let (expected, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw TensorDataError(.shapeTooLarge, tensor: tensor) }
            guard raw.readableBytes == expected else {
                throw TensorDataError(.rawSizeMismatch(expected: expected, actual: raw.readableBytes), tensor: tensor)
            }
        } else {
            let elements = try BytesElements.split(raw, tensor: tensor)
            guard elements.count == count || bytesShape == .elementsDecide else {
                throw TensorDataError(.elementCountMismatch(expected: count, actual: elements.count), tensor: tensor)
            }
        }
    }

    /// Validates typed contents: only the member matching the datatype may be used, with
    /// shape-many elements.
    public static func validateContents(
        _ contents: InferTensorContents, datatype: String, shape: [Int64], tensor: String, bytesShape: BytesShapeRule = .exact
    ) throws(TensorDataError) {
        guard let type = Datatype(rawValue: datatype) else {
            throw TensorDataError(.unknownDatatype(datatype), tensor: tensor)
        }
        let count = try elementCount(shape, tensor: tensor)
        let members: [(String, Int, Set<Datatype>)] = [
            ("bool_contents", contents.boolContents.count, [.bool]),
            ("int_contents", contents.intContents.count, [.int8, .int16, .int32]),
            ("int64_contents", contents.int64Contents.count, [.int64]),
            ("uint_contents", contents.uintContents.count, [.uint8, .uint16, .uint32]),
            ("uint64_contents", contents.uint64Contents.count, [.uint64]),
            ("fp32_contents", contents.fp32Contents.count, [.fp32]),
            ("fp64_contents", contents.fp64Contents.count, [.fp64]),
            ("bytes_contents", contents.bytesContents.count, [.bytes]),
        ]
        var actual = 0
        for (member, memberCount, types) in members where memberCount > 0 {
            guard types.contains(type) else {
                throw TensorDataError(.contentsDatatypeMismatch(member: member), tensor: tensor)
            }
            actual = memberCount
        }
        guard actual == count || (type == .bytes && bytesShape == .elementsDecide) else {
            throw TensorDataError(.elementCountMismatch(expected: count, actual: actual), tensor: tensor)
        }
    }

    static func validate(
        tensors: [(name: String, datatype: String, shape: [Int64], contents: InferTensorContents?)],
        raw: [ByteBuffer], bytesShape: BytesShapeRule
    ) throws(TensorDataError) {
        guard raw.isEmpty || raw.count == tensors.count else {
            throw TensorDataError(.rawContentsCountMismatch(tensors: tensors.count, rawContents: raw.count), tensor: "")
        }
        for (index, tensor) in tensors.enumerated() {
            if raw.isEmpty {
                try validateContents(
                    tensor.contents ?? InferTensorContents(), datatype: tensor.datatype, shape: tensor.shape,
                    tensor: tensor.name, bytesShape: bytesShape)
            } else {
                guard tensor.contents == nil else {
                    throw TensorDataError(.contentsAndRawContents, tensor: tensor.name)
                }
                try validateRaw(raw[index], datatype: tensor.datatype, shape: tensor.shape, tensor: tensor.name, bytesShape: bytesShape)
            }
        }
    }
}

extension ModelInferRequest {
    /// Checks every input's data against its datatype and shape (raw or typed contents).
    public func validateTensorData(bytesShape: TensorValidation.BytesShapeRule = .exact) throws(TensorDataError) {
        try TensorValidation.validate(
            tensors: inputs.map { ($0.name, $0.datatype, $0.shape, $0.contents) }, raw: rawInputContents, bytesShape: bytesShape)
    }
}

extension ModelInferResponse {
    /// Checks every output's data against its datatype and shape (raw or typed contents).
    public func validateTensorData() throws(TensorDataError) {
        try TensorValidation.validate(
            tensors: outputs.map { ($0.name, $0.datatype, $0.shape, $0.contents) }, raw: rawOutputContents, bytesShape: .exact)
    }
}
