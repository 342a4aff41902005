/// An upstream HTTP request, as the providers build it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    /// Sent as is: curl reads it from this array's storage, which the transfer keeps alive.
    public var body: [UInt8]?
    /// Time to establish the connection (TCP + TLS).
    public var connectTimeout: Duration?
    /// Time for the whole transfer, body included.
    public var totalTimeout: Duration?
    /// The transfer fails when no byte arrives for this long (whole seconds).
    public var idleTimeout: Duration?
    /// A long-lived answer (a stream). Over plain `http://` (HTTP/1.1: one transfer per
    /// connection) it gets a connection of its own, closed when it ends, instead of a search of
    /// curl's pool: libcurl 7.88 walks every connection to the host for that search, so with
    /// 10,000 streams open each new one cost 10,000 steps. Over https, HTTP/2 streams share
    /// connections and the pool stays small: nothing changes there.
    public var longLived = false

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        connectTimeout: Duration? = .seconds(10), totalTimeout: Duration? = nil, idleTimeout: Duration? = .seconds(300)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.idleTimeout = idleTimeout
    }
}

/// Status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a transfer failed. Messages come from curl and never contain request headers (keys).
public struct HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case connect
        case timeout
        case cancelled
        case transfer
        case invalidRequest
        case shutdown
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
