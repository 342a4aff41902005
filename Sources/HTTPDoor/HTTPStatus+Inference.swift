import Hummingbird
import InferWireCore

extension HTTPResponse.Status {
    /// The HTTP status of a failed call, as Triton maps gRPC codes (INTERNAL 500, NOT_FOUND 404,
    /// UNAVAILABLE 503, UNIMPLEMENTED 501, the rest 400), refined where HTTP has a better word:
    /// 401 and 403 for credentials, 429 for RESOURCE_EXHAUSTED, 504 for DEADLINE_EXCEEDED
    /// (docs/CONVENTIONS.md §3).
    init(_ code: StatusCode) {
        self = switch code {
        case .notFound: .notFound
        case .unavailable: .serviceUnavailable
        case .unimplemented: .notImplemented
        case .internal, .unknown, .dataLoss: .internalServerError
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .resourceExhausted: .tooManyRequests
        case .deadlineExceeded: .gatewayTimeout
        case .alreadyExists: .conflict
        default: .badRequest
        }
    }
}
