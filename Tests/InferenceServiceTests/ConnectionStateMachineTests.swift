import InferWireCore
import InferWireProtocol
import NIOCore
import ProtoWire
import Testing

@testable import InferenceService

/// The binary connection's state machine alone: frames and events in, actions out; no channel,
/// no clock, no tasks.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine

    static func opened(maxConcurrentStreams: UInt32 = 8) -> Machine {
        var machine = Machine(settings: ConnectionSettings(maxFrameSize: 1 << 20, maxConcurrentStreams: maxConcurrentStreams))
        let action = machine.received(Frame(type: .settings, streamID: 0, payload: ConnectionSettings(maxFrameSize: 32 << 10, maxConcurrentStreams: 4).encode()))
        #expect(action == .write(Frame(type: .settings, flags: .ack, streamID: 0), handshakeDone: true))
        #expect(machine.peerMaxFrameSize == 32 << 10)
        return machine
    }

    static func headers(_ id: UInt32, model: String = "echo") -> Frame {
        Frame(type: .headers, streamID: id, payload: ByteBuffer(bytes: RequestHeaders(method: .modelInfer, modelName: model, requestID: "r\(id)").serializedBytes()))
    }

    static func message(_ id: UInt32, end: Bool = true) -> Frame {
        Frame(type: .message, flags: end ? .endStream : [], streamID: id, payload: ByteBuffer(bytes: [1, 2]))
    }

    @Test("before SETTINGS anything else fails the connection; a second SETTINGS is acknowledged without ending the handshake again")
    func handshake() {
        var machine = Machine(settings: .default)
        guard case .fail(let violation, let ended) = machine.received(Self.headers(1)) else {
            Issue.record("HEADERS before SETTINGS was accepted")
            return
        }
        #expect(violation.code == .settingsError && ended.isEmpty && machine.phase == .failed)
        #expect(machine.received(Frame(type: .ping, streamID: 0, payload: ByteBuffer(repeating: 0, count: 8))) == .none, "a failed connection ignores the rest")

        var again = Self.opened()
        #expect(again.received(Frame(type: .settings, streamID: 0)) == .write(Frame(type: .settings, flags: .ack, streamID: 0), handshakeDone: false))
    }

    @Test("a stream: HEADERS opens, MESSAGE with END_STREAM starts the call, its end answers; ids must be odd and rising")
    func streamLifecycle() throws {
        var machine = Self.opened()
        guard case .openStream(1, let headers) = machine.received(Self.headers(1)) else {
            Issue.record("not opened")
            return
        }
        #expect(headers.modelName == "echo" && machine.openStreams == 1)
        #expect(machine.received(Self.message(1)) == .startCall(1, headers, ByteBuffer(bytes: [1, 2])))
        #expect(machine.callFinished(1, nil) == .endStream(1, headers, nil, answer: true, closeConnection: false))
        #expect(machine.openStreams == 0)
        #expect(machine.callFinished(1, nil) == .none, "a stream ends once")
        // A late MESSAGE for an ended stream is ignored; one for a stream never opened is a violation.
        #expect(machine.received(Self.message(1)) == .none)
        guard case .fail(let violation, _) = machine.received(Self.message(9)) else {
            Issue.record("MESSAGE on an unopened stream was accepted")
            return
        }
        #expect(violation.code == .protocolError)

        var downwards = Self.opened()
        _ = downwards.received(Self.headers(5))
        guard case .fail(let reused, let ended) = downwards.received(Self.headers(3)) else {
            Issue.record("a lower stream id was accepted")
            return
        }
        #expect(reused.code == .protocolError && ended == [5])
    }

    @Test("per-stream refusals keep the connection: too many streams, malformed headers, no END_STREAM, a second message")
    func refusals() {
        var machine = Self.opened(maxConcurrentStreams: 1)
        _ = machine.received(Self.headers(1))
        guard case .refuse(3, _, let busy) = machine.received(Self.headers(3)) else {
            Issue.record("the second stream was not refused")
            return
        }
        #expect(busy.code == .resourceExhausted)
        guard case .refuse(5, _, let malformed) = machine.received(Frame(type: .headers, streamID: 5, payload: ByteBuffer(bytes: [0xFF]))) else {
            Issue.record("malformed headers were not refused")
            return
        }
        #expect(malformed.code == .invalidArgument)
        guard case .endStream(1, _, let open?, answer: true, closeConnection: false) = machine.received(Self.message(1, end: false)) else {
            Issue.record("a MESSAGE without END_STREAM did not end the stream")
            return
        }
        #expect(open.code == .invalidArgument && open.message.contains("END_STREAM"))
        #expect(machine.phase == .open && machine.openStreams == 0)
    }

    @Test("CANCEL ends the stream without an answer; deadlines and late request messages end it with their status")
    func cancelAndExpiry() {
        var machine = Self.opened()
        _ = machine.received(Self.headers(1))
        guard case .endStream(1, _, let cancelled?, answer: false, closeConnection: false) = machine.received(
            Frame(type: .cancel, streamID: 1, payload: ByteBuffer(bytes: [0, 0, 0, 1]))) else {
            Issue.record("CANCEL did not end the stream quietly")
            return
        }
        #expect(cancelled.code == .cancelled)
        _ = machine.received(Self.headers(3))
        let late = InferenceError(.deadlineExceeded, "no request message")
        guard case .endStream(3, _, late?, answer: true, closeConnection: false) = machine.expired(3, late) else {
            Issue.record("expiry did not end the stream")
            return
        }
        #expect(machine.expired(3, late) == .none)
    }

    @Test("drain: one GOAWAY, new streams refused UNAVAILABLE, the last stream's end closes the connection")
    func drain() {
        var machine = Self.opened()
        _ = machine.received(Self.headers(1))
        let (goAway, closeNow) = machine.drain()
        #expect(goAway == GoAway(lastStreamID: 1, code: .noError, message: "server shutting down") && !closeNow)
        #expect(machine.drain().goAway == nil, "GOAWAY goes once")
        guard case .refuse(3, _, let refused) = machine.received(Self.headers(3)) else {
            Issue.record("a stream opened while draining")
            return
        }
        #expect(refused.code == .unavailable)
        guard case .endStream(1, _, nil, answer: true, closeConnection: true) = machine.callFinished(1, nil) else {
            Issue.record("the last stream's end did not close the drained connection")
            return
        }
        var idle = Self.opened()
        #expect(idle.drain().closeNow)
    }

    @Test("the client's GOAWAY: close at once when idle, else after the open streams; abortAll ends every stream UNAVAILABLE")
    func clientGoAwayAndAbort() {
        var idle = Self.opened()
        #expect(idle.received(Frame(type: .goAway, streamID: 0, payload: GoAway(lastStreamID: 0, code: .noError).encode())) == .close)

        var busy = Self.opened()
        _ = busy.received(Self.headers(1))
        _ = busy.received(Self.headers(3))
        #expect(busy.received(Frame(type: .goAway, streamID: 0, payload: GoAway(lastStreamID: 0, code: .noError).encode())) == .none)
        let aborted = busy.abortAll()
        #expect(aborted.count == 2)
        for action in aborted {
            guard case .endStream(_, _, let error?, answer: true, _) = action else {
                Issue.record("not ended: \(action)")
                continue
            }
            #expect(error.code == .unavailable)
        }
        #expect(busy.openStreams == 0)
    }
}
