import Foundation
import InferWireCore
import InferenceService
import NIOCore
import ProtoWire
import V2JSON

/// One V2 REST inference call from its HTTP pieces (route, a few headers, the body) to the bytes
/// of its answer. Both ways into the HTTP door use it: Hummingbird's routes (`V2Routes`) and the
/// infer fast path (`FastInferHandler`), so the two cannot answer differently.
struct V2InferCall {
    /// The HTTP pieces of an infer request.
    struct Input {
        var model: String
        var version: String
        var body: ByteBuffer
        /// Triton's binary tensor extension: the JSON header's length; the binary tensors follow.
        var inferenceHeaderLength: String?
        var authorization: String
        var requestIDHeader: String?
    }

    /// The answer's body and what describes it.
    struct Answer {
        var body: ByteBuffer
        /// `application/json`, or `application/octet-stream` when binary tensors follow the JSON.
        var contentType: String
        /// The JSON part's length when binary tensors follow it.
        var inferenceHeaderLength: Int?
    }

    static let inferenceHeaderLengthName = "Inference-Header-Content-Length"

    /// The request message and its context.
    static func request(_ input: Input) throws(InferenceError) -> (ModelInferRequest, InferWireCore.RequestContext) {
        var buffer = input.body
        var binary: ByteBuffer?
        if let field = input.inferenceHeaderLength {
            guard let length = Int(field), length >= 0, length <= buffer.readableBytes else {
                throw InferenceError(.invalidArgument, "\(inferenceHeaderLengthName) \(field) is not a length within the body's \(buffer.readableBytes) bytes")
            }
            let header = buffer.readSlice(length: length)!
            binary = buffer
            buffer = header
        }
        var message = ModelInferRequest()
        try V2RequestDecoder.decode(try parse(buffer), binary: binary, into: &message)
        // Base64 media in the chat convention are decoded here, once, into raw bytes.
        try Base64MediaInputs.decode(in: &message)
        let context = Self.context(
            model: input.model, version: input.version, authorization: input.authorization, requestIDHeader: input.requestIDHeader, id: message.id)
        return (message, context)
    }

    /// A V2 call's context: the route's model and version, the caller's token, a request id (the
    /// body's `id`, else the `x-request-id` header, else a new UUID, as MLServer makes one).
    static func context(model: String, version: String, authorization: String, requestIDHeader: String?, id: String = "") -> InferWireCore.RequestContext {
        let requestID = id.isEmpty ? (requestIDHeader ?? UUID().uuidString.lowercased()) : id
        return InferWireCore.RequestContext(requestID: requestID, authorization: authorization, routedModel: model, routedVersion: version)
    }

    /// The body as JSON, or INVALID_ARGUMENT saying where it broke.
    static func parse(_ buffer: ByteBuffer) throws(InferenceError) -> JSONDocument {
        do {
            return try JSONDocument.parse(buffer)
        } catch {
            throw InferenceError(.invalidArgument, "the body is not valid JSON: \(error.message)")
        }
    }

    /// Parses, calls the data plane, writes the answer.
    static func answer(_ input: Input, dataPlane: DataPlane) async throws(InferenceError) -> Answer {
        let (message, context) = try request(input)
        let response = try await dataPlane.infer(message, context: context)
        return try encode(response, for: message)
    }

    /// The response as JSON, with the outputs the request asked for as binary after it.
    static func encode(_ response: ModelInferResponse, for message: ModelInferRequest) throws(InferenceError) -> Answer {
        let allBinary = message.parameters["binary_data_output"]?.value == .bool(true)
        var binaryOutputs: [String: Bool] = [:]
        for output in message.outputs {
            if case .bool(let wanted)? = output.parameters["binary_data"]?.value { binaryOutputs[output.name] = wanted }
        }
        var writer = JSONWriter(capacity: 512)
        let blobs = try V2ResponseEncoder.write(response, binaryOutputs: { binaryOutputs[$0] ?? allBinary }, to: &writer)
        var out = writer.buffer
        guard !blobs.isEmpty else { return Answer(body: out, contentType: "application/json") }
        let headerLength = out.readableBytes
        for var blob in blobs { out.writeBuffer(&blob) }
        return Answer(body: out, contentType: "application/octet-stream", inferenceHeaderLength: headerLength)
    }

    /// V2's error body, `{"error": "<message>"}`.
    static func errorBody(_ message: String) -> ByteBuffer {
        var body = ByteBufferAllocator().buffer(capacity: message.utf8.count + 16)
        body.writeStaticString("{\"error\":")
        JSONString.appendQuoted(message, to: &body)
        body.writeStaticString("}")
        return body
    }

    /// The HTTP status of a failed call, as Triton maps gRPC codes (INTERNAL 500, NOT_FOUND 404,
    /// UNAVAILABLE 503, UNIMPLEMENTED 501, the rest 400), refined where HTTP has a better word:
    /// 401 and 403 for credentials, 429 for RESOURCE_EXHAUSTED, 504 for DEADLINE_EXCEEDED
    /// (docs/CONVENTIONS.md §3).
    static func httpStatus(_ code: StatusCode) -> Int {
        switch code {
        case .notFound: 404
        case .unavailable: 503
        case .unimplemented: 501
        case .internal, .unknown, .dataLoss: 500
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .resourceExhausted: 429
        case .deadlineExceeded: 504
        case .alreadyExists: 409
        default: 400
        }
    }
}
