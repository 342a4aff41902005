import InferWireCore
import InferWireProtocol
import NIOCore
import ProtoWire

/// The server side of one binary-protocol connection as a value: frames and events in, actions
/// out (docs/PROTOCOL.md §4–§10). It holds the protocol's state (the peer's settings, stream
/// ids, which streams are open and whether their request has come, draining) and decides what
/// each frame means; `ServerConnectionHandler` does what it says (tasks, timers, writes,
/// metrics). No channel, no clock: tested alone, frame by frame.
struct ConnectionStateMachine {
    enum Phase: Equatable {
        /// Until the client's SETTINGS, the only frame allowed.
        case awaitingSettings
        case open
        /// GOAWAY sent or received: no new streams, close once the open ones end.
        case draining
        /// A protocol violation ended the connection.
        case failed
    }

    enum Action: Equatable {
        case none
        /// Send this frame (SETTINGS ACK, PING ACK); `handshakeDone` the first SETTINGS came.
        case write(Frame, handshakeDone: Bool = false)
        /// A stream opened: start its deadline and its wait for the request message.
        case openStream(UInt32, RequestHeaders)
        /// Answer STATUS on a stream that never opened.
        case refuse(UInt32, RequestHeaders, InferenceError)
        /// The request message came: run the call.
        case startCall(UInt32, RequestHeaders, ByteBuffer)
        /// A stream ended: stop its work and timers, answer STATUS unless `answer` is false (a
        /// client's CANCEL), record it; `closeConnection` when it was the last one of a drain.
        case endStream(UInt32, RequestHeaders, InferenceError?, answer: Bool, closeConnection: Bool)
        /// The client said GOAWAY and nothing is open: close.
        case close
        /// A protocol violation: GOAWAY with the reason, close. Open streams are in `ended`.
        case fail(ProtocolViolation, ended: [UInt32])
    }

    private struct Stream {
        var headers: RequestHeaders
        var hasRequest = false
    }

    let settings: ConnectionSettings
    private(set) var phase = Phase.awaitingSettings
    private(set) var lastStreamID: UInt32 = 0
    private(set) var peerSettings: ConnectionSettings?
    private var streams: [UInt32: Stream] = [:]

    init(settings: ConnectionSettings) {
        self.settings = settings
    }

    var openStreams: Int { streams.count }
    var isDraining: Bool { phase == .draining }
    /// The largest message the client accepts.
    var peerMaxFrameSize: UInt32 { peerSettings?.maxFrameSize ?? ConnectionSettings.default.maxFrameSize }

    func headers(of id: UInt32) -> RequestHeaders? { streams[id]?.headers }

    // MARK: Frames in

    mutating func received(_ frame: Frame) -> Action {
        guard phase != .failed else { return .none }
        do {
            return try handle(frame)
        } catch {
            return fail(error)
        }
    }

    private mutating func handle(_ frame: Frame) throws(ProtocolViolation) -> Action {
        if phase == .awaitingSettings, frame.type != .settings || frame.flags.contains(.ack) {
            throw ProtocolViolation(.settingsError, "the first frame must be SETTINGS, got \(frame.type)")
        }
        switch frame.type {
        case .settings:
            guard frame.streamID == 0 else { throw ProtocolViolation(.protocolError, "SETTINGS on stream \(frame.streamID)") }
            if frame.flags.contains(.ack) {
                guard frame.payload.readableBytes == 0 else { throw ProtocolViolation(.settingsError, "SETTINGS ACK with a payload") }
                return .none
            }
            peerSettings = try ConnectionSettings.decode(frame.payload)
            let first = phase == .awaitingSettings
            if first { phase = .open }
            return .write(Frame(type: .settings, flags: .ack, streamID: 0), handshakeDone: first)
        case .ping:
            guard frame.streamID == 0, frame.payload.readableBytes == 8 else {
                throw ProtocolViolation(.protocolError, "PING must be 8 bytes on stream 0")
            }
            return frame.flags.contains(.ack) ? .none : .write(Frame(type: .ping, flags: .ack, streamID: 0, payload: frame.payload))
        case .goAway:
            guard frame.streamID == 0 else { throw ProtocolViolation(.protocolError, "GOAWAY on stream \(frame.streamID)") }
            // The client is leaving: finish what runs, then close.
            phase = .draining
            return streams.isEmpty ? .close : .none
        case .headers:
            return try open(frame)
        case .message:
            return try request(frame)
        case .cancel:
            guard frame.streamID != 0, frame.payload.readableBytes == 4 else {
                throw ProtocolViolation(.protocolError, "CANCEL needs a stream and a 4-byte code")
            }
            // The client has given up on it: no STATUS goes back.
            return end(frame.streamID, InferenceError(.cancelled, "cancelled by the client"), answer: false)
        case .status:
            throw ProtocolViolation(.protocolError, "STATUS frames go from server to client")
        default:
            return .none  // Unknown frame types are ignored, so that later versions can add some.
        }
    }

    private mutating func open(_ frame: Frame) throws(ProtocolViolation) -> Action {
        let id = frame.streamID
        guard id % 2 == 1, id > lastStreamID else {
            throw ProtocolViolation(.protocolError, "stream id \(id) is not odd and above \(lastStreamID)")
        }
        lastStreamID = id
        var headers: RequestHeaders
        do {
            headers = try RequestHeaders(decoding: frame.payload)
        } catch {
            return .refuse(id, RequestHeaders(), InferenceError(.invalidArgument, "malformed RequestHeaders: \(error)"))
        }
        if headers.requestID.isEmpty {
            headers.requestID = String(UInt64.random(in: 1 ... .max), radix: 16)
        }
        if phase == .draining {
            return .refuse(id, headers, InferenceError(.unavailable, "server is shutting down"))
        }
        guard streams.count < Int(settings.maxConcurrentStreams) else {
            return .refuse(id, headers, InferenceError(.resourceExhausted, "more than \(settings.maxConcurrentStreams) concurrent streams"))
        }
        streams[id] = Stream(headers: headers)
        return .openStream(id, headers)
    }

    private mutating func request(_ frame: Frame) throws(ProtocolViolation) -> Action {
        let id = frame.streamID
        guard let stream = streams[id] else {
            // A stream that already ended (deadline, refusal, cancel): late frames are normal.
            guard id <= lastStreamID, id != 0 else {
                throw ProtocolViolation(.protocolError, "MESSAGE on stream \(id), which was never opened")
            }
            return .none
        }
        guard !stream.hasRequest else {
            return end(id, InferenceError(.invalidArgument, "a stream carries exactly one request message"))
        }
        guard frame.flags.contains(.endStream) else {
            return end(id, InferenceError(.invalidArgument, "the request message must carry END_STREAM: v1 has no client streaming"))
        }
        streams[id]!.hasRequest = true
        return .startCall(id, stream.headers, frame.payload)
    }

    // MARK: Events

    /// The call's work ended, OK (nil) or with a status.
    mutating func callFinished(_ id: UInt32, _ error: InferenceError?) -> Action {
        end(id, error)
    }

    /// A stream's deadline passed, or its request message did not come in time.
    mutating func expired(_ id: UInt32, _ error: InferenceError) -> Action {
        end(id, error)
    }

    /// Graceful shutdown: the GOAWAY to send (nil when already draining), and whether the
    /// connection can close at once.
    mutating func drain() -> (goAway: GoAway?, closeNow: Bool) {
        guard phase != .draining, phase != .failed else { return (nil, false) }
        phase = .draining
        return (GoAway(lastStreamID: lastStreamID, code: .noError, message: "server shutting down"), streams.isEmpty)
    }

    /// The drain timeout passed: every open stream ends with UNAVAILABLE.
    mutating func abortAll() -> [Action] {
        streams.keys.sorted().map { end($0, InferenceError(.unavailable, "server shut down before the call finished")) }
    }

    /// The connection closed: the streams whose work must stop (no answers can go).
    mutating func connectionClosed() -> [UInt32] {
        defer { streams.removeAll() }
        return streams.keys.sorted()
    }

    /// A protocol violation (or an error in the pipeline) ends the connection.
    mutating func fail(_ error: Error) -> Action {
        guard phase != .failed else { return .none }
        let violation = error as? ProtocolViolation ?? ProtocolViolation(.internalError, "\(error)")
        phase = .failed
        let ended = streams.keys.sorted()
        streams.removeAll()
        return .fail(violation, ended: ended)
    }

    private mutating func end(_ id: UInt32, _ error: InferenceError?, answer: Bool = true) -> Action {
        guard let stream = streams.removeValue(forKey: id) else { return .none }
        return .endStream(id, stream.headers, error, answer: answer, closeConnection: phase == .draining && streams.isEmpty)
    }
}
