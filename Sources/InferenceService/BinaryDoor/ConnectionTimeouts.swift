import NIOCore

/// How long a binary connection may sit without doing its part, so that a peer cannot hold a
/// slot forever: a connection that sends the preface and nothing, a stream opened by HEADERS
/// whose request message never comes, a connection with nothing to do. Zero disables one.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From accept to the client's preface and SETTINGS; GOAWAY TIMEOUT when it passes.
    public var handshake: TimeAmount
    /// From HEADERS to the request MESSAGE; the stream ends DEADLINE_EXCEEDED when it passes.
    public var requestMessage: TimeAmount
    /// No open stream and no frame for this long: GOAWAY NO_ERROR ("idle") and close.
    public var idle: TimeAmount

    public static let `default` = ConnectionTimeouts(handshake: .seconds(10), requestMessage: .seconds(30), idle: .seconds(300))

    public init(handshake: TimeAmount, requestMessage: TimeAmount, idle: TimeAmount) {
        self.handshake = handshake
        self.requestMessage = requestMessage
        self.idle = idle
    }
}
