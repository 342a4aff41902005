import Foundation
import NIOHTTP1

/// An answer the simulator writes: one JSON body, or a stream written piece by piece (SSE
/// events, or the pieces of Gemini's JSON-array stream).
enum SimulatedResponse {
    case json(HTTPResponseStatus, String, headers: [(String, String)] = [])
    case stream(contentType: String, pieces: [String])
    /// Bytes that are not JSON (a file's content).
    case body(HTTPResponseStatus, contentType: String, Data)
}

/// A fault injected into a request, by header `x-simulator-fault` or by configuration.
public enum SimulatedFault: String, Sendable, CaseIterable {
    /// 429 with `retry-after: 1` (and `retry-after-ms` for OpenAI, as the real API sends both).
    case rateLimited = "429"
    case internalError = "500"
    case unavailable = "503"
    /// 200 with a body that is not JSON.
    case invalidJSON = "invalid-json"
    /// A stream cut inside an event; the connection then ends normally.
    case truncate
    /// The connection closed after half of a stream's events.
    case reset
    /// Gemini: `promptFeedback.blockReason: SAFETY`, no candidates; OpenAI: `content_filter`.
    case block

    /// The error answer for the faults that replace the whole response.
    func response(for api: ReceivedRequest.API, retryAfter: Int = 1) -> SimulatedResponse? {
        let openAI = api != .gemini
        switch self {
        case .rateLimited:
            if retryAfter != 1 {
                let body = openAI
                    ? #"{"error":{"message":"Rate limit reached for requests. Please try again in \#(retryAfter)s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
                    : #"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"\#(retryAfter)s"}]}}"#
                return .json(.tooManyRequests, body, headers: openAI ? [("retry-after", "\(retryAfter)"), ("retry-after-ms", "\(retryAfter * 1000)")] : [("retry-after", "\(retryAfter)")])
            }
            let body = openAI
                ? #"{"error":{"message":"Rate limit reached for requests. Please try again in 1s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
                : #"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1s"}]}}"#
            return .json(.tooManyRequests, body, headers: openAI ? [("retry-after", "1"), ("retry-after-ms", "1000")] : [("retry-after", "1")])
        case .internalError:
            return .json(.internalServerError, openAI
                ? #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#
                : #"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#)
        case .unavailable:
            return .json(.serviceUnavailable, openAI
                ? #"{"error":{"message":"The engine is currently overloaded, please try again later.","type":"server_error","param":null,"code":null}}"#
                : #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#)
        case .invalidJSON:
            return .json(.ok, #"{"choices": ["#)
        case .truncate, .reset, .block:
            return nil
        }
    }
}

/// Error bodies in each provider's shape.
enum ProviderErrorBody {
    static func openAI(_ status: HTTPResponseStatus, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) -> SimulatedResponse {
        let body: [String: Any] = ["error": ["message": message, "type": type, "param": param.map { $0 as Any } ?? NSNull(), "code": code.map { $0 as Any } ?? NSNull()] as [String: Any]]
        return .json(status, JSONText.encode(body))
    }

    static func gemini(_ status: HTTPResponseStatus, _ message: String, details: [[String: Any]]? = nil, headers: [(String, String)] = [],
                       googleStatus named: String? = nil) -> SimulatedResponse {
        var error: [String: Any] = ["code": Int(status.code), "message": message, "status": named ?? googleStatus(status)]
        if let details { error["details"] = details }
        return .json(status, JSONText.encode(["error": error], pretty: true), headers: headers)
    }

    private static func googleStatus(_ status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ALREADY_EXISTS"
        case 429: "RESOURCE_EXHAUSTED"
        case 503: "UNAVAILABLE"
        default: "INTERNAL"
        }
    }
}

/// JSON text for answers (Foundation's serializer, keys sorted so answers are deterministic).
enum JSONText {
    static func encode(_ object: Any, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func string(_ text: String) -> String { encode(text) }
}
