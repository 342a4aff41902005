/// A stream that ended with a non-OK status: the error type of the whole call path, from runtime
/// to client. `message` says what was wrong; it never holds secrets.
public struct InferenceError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    public var details: [String: String]

    public init(_ code: StatusCode, _ message: String, details: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    /// The `details` key that marks an error the client raised itself (the connection failed or
    /// closed, GOAWAY), as opposed to a status the server sent.
    public static let connectionOriginKey = "inferwire-origin"

    /// The `details` key of a RESOURCE_EXHAUSTED that says when to come back: whole seconds,
    /// as HTTP's `Retry-After` (the HTTP door sends it as that header, gRPC as metadata).
    public static let retryAfterKey = "retry-after"

    /// An UNAVAILABLE raised by the client because the connection failed, closed or is going away.
    public static func connectionLost(_ message: String) -> InferenceError {
        InferenceError(.unavailable, message, details: [connectionOriginKey: "client"])
    }

    /// True when the client raised this error for a connection problem; the server never sent it.
    public var isConnectionFailure: Bool { details[Self.connectionOriginKey] == "client" }
}
