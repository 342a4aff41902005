import NIOCore
import ProtoWire

#if canImport(Glibc)
import Glibc
#endif

// libFuzzer entry point over the ProtoWire decoders.
//
// Input layout: byte 0 selects the message type (its low 4 bits, modulo `Selector`'s case count)
// and the limits (bit 7 set: `tightLimits`, so that the limit checks run; clear: `fuzzLimits`);
// the rest is the encoded message. Decoding errors are expected; what must never happen is a
// crash, a hang, a sanitizer report, or a broken invariant (which traps through `fatalError`):
//   1. decode(encode(m)) == m (unless m holds a NaN, which is unequal to itself),
//   2. encode(decode(encode(m))) == encode(m) (the encoding is stable),
//   3. encodedSize == serializedBytes().count == encode(into:)'s byte count, same bytes,
//   4. decoding from a buffer whose reader index is not 0 gives the same message,
//   5. BytesElements.encode(BytesElements.split(raw)) == raw when split succeeds.
// Tensor checks (validateTensorData, BytesElements.split, RawTensorView) may throw, not crash.

/// Decoding bounds for fuzzing: small enough that one input cannot take seconds. (Maps are
/// re-encoded with an insertion sort, quadratic in the entry count: 4096 entries already take
/// about 5 s per input in this debug + ASan build.)
let fuzzLimits = DecodingLimits(maxMessageSize: 1 << 17, maxDepth: 16, maxRepeatedCount: 4096, maxTensorCount: 64)
/// Bounds that fuzzed inputs reach easily, so that every limit check runs and must hold.
let tightLimits = DecodingLimits(maxMessageSize: 1 << 12, maxDepth: 2, maxRepeatedCount: 3, maxTensorCount: 2)

/// For re-decoding our own encoding: the same counts and depth, but room for growth in bytes (a
/// 1-byte varint read into an Int32 field is re-encoded sign-extended in 10 bytes).
func roundTripLimits(_ limits: DecodingLimits) -> DecodingLimits {
    var relaxed = limits
    relaxed.maxMessageSize = 1 << 24
    return relaxed
}

enum Selector: UInt8, CaseIterable {
    case inferRequest = 0
    case inferResponse = 1
    case streamInferResponse = 2
    case modelMetadataResponse = 3
    case repositoryModelLoadRequest = 4
    case serverMetadataResponse = 5
    case repositoryIndexResponse = 6
    case repositoryModelUnloadRequest = 7
    case repositoryIndexRequest = 8
    case modelMetadataRequest = 9
    case serverLiveResponse = 10
    case serverLiveRequest = 11
    case requestHeaders = 12
    case status = 13

    init(byte: UInt8) {
        self = Selector(rawValue: (byte & 0x0F) % UInt8(Selector.allCases.count))!
    }
}

/// Keeps computed values alive so that the optimizer cannot drop the reads.
nonisolated(unsafe) var sink: UInt64 = 0

func hex(_ bytes: some Sequence<UInt8>, limit: Int = 512) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    var count = 0
    for byte in bytes {
        if count == limit { out += "..."; break }
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
        count += 1
    }
    return out
}

func violation(_ what: String, _ bytes: [UInt8]) -> Never {
    fatalError("FuzzDecode invariant violated: \(what); encoding (\(bytes.count) bytes): \(hex(bytes))")
}

/// Decodes `input` (readable bytes of a buffer whose reader index is past the selector byte).
func decode<M: ProtoMessage>(_ type: M.Type, _ input: ByteBuffer, _ limits: DecodingLimits) -> M? {
    let message: M
    do {
        message = try M(decoding: input, limits: limits)
    } catch {
        sink &+= UInt64(truncatingIfNeeded: error.description.utf8.count &+ error.offset)
        sink &+= UInt64(truncatingIfNeeded: error.fieldPath.utf8.count)
        return nil
    }
    // Same bytes, fresh buffer with reader index 0: same message (zero-copy slices must use
    // the reader index correctly).
    let fresh = ByteBuffer(bytes: input.readableBytesView)
    guard let again = try? M(decoding: fresh, limits: limits) else {
        violation("decoding at reader index 0 failed, at \(input.readerIndex) succeeded", Array(input.readableBytesView))
    }
    let comparable = checkRoundTrip(message, limits)
    if comparable, again != message {
        violation("decoding depends on the buffer's reader index", Array(input.readableBytesView))
    }
    guard again.serializedBytes() == message.serializedBytes() else {
        violation("decoding depends on the buffer's reader index (encodings differ)", Array(input.readableBytesView))
    }
    return message
}

/// Checks the round trip and stable re-encoding of `message`; returns whether `==` is
/// meaningful for it (false when it holds a NaN, which is unequal to itself).
@discardableResult
func checkRoundTrip<M: ProtoMessage>(_ message: M, _ limits: DecodingLimits) -> Bool {
    let bytes = message.serializedBytes()
    guard bytes.count == message.encodedSize else {
        violation("encodedSize \(message.encodedSize) != serializedBytes().count \(bytes.count)", bytes)
    }
    var appended = ByteBuffer(bytes: [0xA5, 0x5A, 0xC3])
    message.encode(into: &appended)
    guard appended.readableBytes == 3 + bytes.count,
        appended.getBytes(at: 0, length: 3)! == [0xA5, 0x5A, 0xC3],
        appended.getBytes(at: 3, length: bytes.count)! == bytes
    else {
        violation("encode(into:) differs from serializedBytes()", bytes)
    }
    let decoded: M
    let probe: M
    do {
        decoded = try M(decoding: ByteBuffer(bytes: bytes), limits: roundTripLimits(limits))
        probe = try M(decoding: ByteBuffer(bytes: bytes), limits: roundTripLimits(limits))
    } catch {
        violation("own encoding does not decode: \(error)", bytes)
    }
    // `message == message` is no test for NaNs: Array's == returns true at once for two
    // references to one storage. Two separate decodings share no storage, so they compare
    // unequal exactly when the message holds a NaN (a difference of any other kind shows in
    // the byte comparisons).
    let comparable = decoded == probe
    if comparable, decoded != message {
        violation("decode(encode(m)) != m", bytes)
    }
    let reencoded = decoded.serializedBytes()
    guard reencoded == bytes else {
        violation("encode(decode(encode(m))) != encode(m); second encoding: \(hex(reencoded))", bytes)
    }
    return comparable
}

// MARK: Tensor data

func checkBytesElements(_ raw: ByteBuffer) {
    guard let elements = try? BytesElements.split(raw) else { return }
    var total = 0
    for element in elements { total += 4 + element.readableBytes }
    guard total == raw.readableBytes else {
        violation("BytesElements.split covers \(total) of \(raw.readableBytes) bytes", Array(raw.readableBytesView))
    }
    guard BytesElements.encode(elements.map(\.readableBytesView)) == raw else {
        violation("BytesElements.encode(split(raw)) != raw", Array(raw.readableBytesView))
    }
    sink &+= UInt64(elements.count)
}

func view<T: RawTensorElement>(_ raw: ByteBuffer, _ datatype: Datatype, as type: T.Type) {
    guard let view = try? RawTensorView<T>(raw, datatype: datatype) else { return }
    guard view.count * MemoryLayout<T>.size == raw.readableBytes else {
        violation("RawTensorView<\(T.self)> has \(view.count) elements for \(raw.readableBytes) bytes", Array(raw.readableBytesView))
    }
    let values = view.values
    guard values.count == view.count else {
        violation("RawTensorView<\(T.self)>.values has \(values.count) of \(view.count)", Array(raw.readableBytesView))
    }
    for index in view.indices {
        let element = view[index]
        withUnsafeBytes(of: element) { sink &+= UInt64($0.first ?? 0) }
        // Bitwise equality: the view and the copy must hold the same bits (NaNs included).
        let same = withUnsafeBytes(of: element) { a in withUnsafeBytes(of: values[index]) { b in a.elementsEqual(b) } }
        guard same else {
            violation("RawTensorView<\(T.self)>[\(index)] differs from values[\(index)]", Array(raw.readableBytesView))
        }
    }
}

func checkRaw(_ raw: ByteBuffer, datatype: String) {
    checkBytesElements(raw)
    // Every element type, with the tensor's datatype when it is one and with a matching one
    // otherwise, so that both the accepting and the refusing paths run.
    let declared = Datatype(rawValue: datatype)
    for type in declared.map({ [$0] }) ?? [.fp32, .bytes] {
        view(raw, type, as: UInt8.self)
        view(raw, type, as: Int8.self)
        view(raw, type, as: UInt16.self)
        view(raw, type, as: Int16.self)
        view(raw, type, as: UInt32.self)
        view(raw, type, as: Int32.self)
        view(raw, type, as: UInt64.self)
        view(raw, type, as: Int64.self)
        view(raw, type, as: Float.self)
        view(raw, type, as: Double.self)
    }
}

func checkContents(_ contents: InferTensorContents?) {
    guard let contents else { return }
    for element in contents.bytesContents {
        checkBytesElements(element)
    }
}

func checkShape(_ shape: [Int64]) {
    if let count = try? TensorValidation.elementCount(shape) {
        sink &+= UInt64(truncatingIfNeeded: count)
    }
}

func checkTensors(_ request: ModelInferRequest) {
    do {
        try request.validateTensorData()
    } catch {
        sink &+= UInt64(truncatingIfNeeded: error.description.utf8.count)
    }
    for (index, raw) in request.rawInputContents.enumerated() {
        checkRaw(raw, datatype: index < request.inputs.count ? request.inputs[index].datatype : "")
    }
    for input in request.inputs {
        checkShape(input.shape)
        checkContents(input.contents)
    }
}

func checkTensors(_ response: ModelInferResponse) {
    do {
        try response.validateTensorData()
    } catch {
        sink &+= UInt64(truncatingIfNeeded: error.description.utf8.count)
    }
    for (index, raw) in response.rawOutputContents.enumerated() {
        checkRaw(raw, datatype: index < response.outputs.count ? response.outputs[index].datatype : "")
    }
    for output in response.outputs {
        checkShape(output.shape)
        checkContents(output.contents)
    }
}

// MARK: Entry points

func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    guard let first = bytes.first else { return }
    // The whole input, reader index moved past the selector: the decoder must honour it.
    var buffer = ByteBuffer(bytes: bytes)
    buffer.moveReaderIndex(forwardBy: 1)
    let limits = first & 0x80 != 0 ? tightLimits : fuzzLimits
    switch Selector(byte: first) {
    case .inferRequest:
        if let request = decode(ModelInferRequest.self, buffer, limits) {
            checkTensors(request)
            // BYTES access by tensor, raw or typed: may throw, must not crash.
            for index in request.inputs.indices {
                sink &+= UInt64((try? request.bytesElements(ofInput: index))?.count ?? 0)
            }
        }
    case .inferResponse:
        if let response = decode(ModelInferResponse.self, buffer, limits) { checkTensors(response) }
    case .streamInferResponse:
        if let stream = decode(ModelStreamInferResponse.self, buffer, limits), let response = stream.inferResponse {
            checkRoundTrip(response, limits)
            checkTensors(response)
        }
    case .modelMetadataResponse:
        if let metadata = decode(ModelMetadataResponse.self, buffer, limits) {
            for tensor in metadata.inputs + metadata.outputs { checkShape(tensor.shape) }
        }
    case .repositoryModelLoadRequest:
        if let load = decode(RepositoryModelLoadRequest.self, buffer, limits) {
            for case .bytes(let value) in load.parameters.values.compactMap(\.value) { checkBytesElements(value) }
        }
    case .serverMetadataResponse:
        _ = decode(ServerMetadataResponse.self, buffer, limits)
    case .repositoryIndexResponse:
        _ = decode(RepositoryIndexResponse.self, buffer, limits)
    case .repositoryModelUnloadRequest:
        _ = decode(RepositoryModelUnloadRequest.self, buffer, limits)
    case .repositoryIndexRequest:
        _ = decode(RepositoryIndexRequest.self, buffer, limits)
    case .modelMetadataRequest:
        _ = decode(ModelMetadataRequest.self, buffer, limits)
    case .serverLiveResponse:
        _ = decode(ServerLiveResponse.self, buffer, limits)
    case .serverLiveRequest:
        _ = decode(ServerLiveRequest.self, buffer, limits)
    case .requestHeaders:
        _ = decode(RequestHeaders.self, buffer, limits)
    case .status:
        _ = decode(WireStatus.self, buffer, limits)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
    return 0
}

/// With FUZZ_WRITE_SEEDS=DIR in the environment, writes the seed inputs into DIR and exits
/// (before libFuzzer reads any corpus).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    if let directory = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }), !directory.isEmpty {
        exit(writeSeeds(to: directory))
    }
    return 0
}
