/// An upstream failure, with the gRPC-style code the server reports for it and the provider's
/// own message (never the API key).
public struct ProviderError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidArgument = "INVALID_ARGUMENT"
        case unauthenticated = "UNAUTHENTICATED"
        case permissionDenied = "PERMISSION_DENIED"
        case notFound = "NOT_FOUND"
        case resourceExhausted = "RESOURCE_EXHAUSTED"
        case unavailable = "UNAVAILABLE"
        case deadlineExceeded = "DEADLINE_EXCEEDED"
        case `internal` = "INTERNAL"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// How an upstream HTTP status maps to a code.
    public static func code(forHTTPStatus status: Int) -> Code {
        switch status {
        case 400, 422: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 408, 504: .deadlineExceeded
        case 429: .resourceExhausted
        case 500...599: .unavailable
        default: .internal
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The longest provider message quoted in an error, in characters: what a provider says
    /// goes on to callers and logs, so a huge one is cut (found by FuzzProviderAnswers).
    public static let maxQuotedMessage = 1000

    /// A provider's own message, as quoted in an error: at most `maxQuotedMessage` characters.
    public static func quoted(_ message: String) -> String {
        message.count <= maxQuotedMessage ? message : message.prefix(maxQuotedMessage) + "… (cut)"
    }
}
