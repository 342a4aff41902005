/// The HTTP door's own settings (the server's `http_port`, `max_body_size`, `http_idle_timeout`).
public struct HTTPDoorSettings: Sendable, Equatable {
    public var host: String
    /// MLServer's `http_port`; 0 picks a free one.
    public var port: Int
    /// Largest request body accepted, in bytes; larger ones get 413.
    public var maxBodyBytes: Int
    /// A connection that sends nothing for this long (idle, or stalled mid-request) is closed.
    public var idleTimeout: Duration
    /// A request must have all arrived (head and body) this long after its head: slow bodies get 408.
    public var requestTimeout: Duration

    public static let defaultPort = 8080

    public init(
        host: String = "0.0.0.0", port: Int = defaultPort, maxBodyBytes: Int = 64 << 20, idleTimeout: Duration = .seconds(60),
        requestTimeout: Duration = .seconds(120)
    ) {
        self.requestTimeout = requestTimeout
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
    }
}
