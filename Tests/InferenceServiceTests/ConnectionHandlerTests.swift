import InferWireCore
import InferWireProtocol
import Logging
import NIOCore
import NIOEmbedded
import ProtoWire
import Testing

@testable import InferenceService

/// The server's connection handler on an EmbeddedChannel: frames in, frames out, timers on the
/// embedded loop's clock, no sockets and no runtimes (only paths that answer without running a
/// call). The state machine alone: ConnectionStateMachineTests.
@Suite("Server connection handler")
struct ConnectionHandlerTests {
    func makeChannel(maxConcurrentStreams: UInt32 = 1024, timeouts: ConnectionTimeouts = .default) async throws -> EmbeddedChannel {
        let registry = ModelRegistry()
        let handler = ServerConnectionHandler(
            dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry)),
            settings: ConnectionSettings(maxFrameSize: 1 << 20, maxConcurrentStreams: maxConcurrentStreams),
            timeouts: timeouts, metrics: ServerMetrics(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel(handler: handler)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        // The server speaks first: its SETTINGS.
        let settings = try #require(try channel.readOutbound(as: Frame.self))
        #expect(settings.type == .settings && !settings.flags.contains(.ack))
        #expect(try ConnectionSettings.decode(settings.payload).maxConcurrentStreams == maxConcurrentStreams)
        return channel
    }

    func open(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode()))
        let ack = try #require(try channel.readOutbound(as: Frame.self))
        #expect(ack.type == .settings && ack.flags.contains(.ack) && ack.payload.readableBytes == 0)
    }

    func headers(_ id: UInt32, _ method: Method = .modelInfer) -> Frame {
        Frame(type: .headers, streamID: id, payload: ByteBuffer(bytes: RequestHeaders(method: method, requestID: "r\(id)").serializedBytes()))
    }

    func expectGoAway(_ channel: EmbeddedChannel, _ code: GoAwayCode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var frame = try channel.readOutbound(as: Frame.self)
        while let current = frame, current.type != .goAway { frame = try channel.readOutbound(as: Frame.self) }
        let goAway = try #require(frame, "no GOAWAY", sourceLocation: sourceLocation)
        #expect(try GoAway.decode(goAway.payload).code == code, sourceLocation: sourceLocation)
        #expect(!channel.isActive, "connection still open", sourceLocation: sourceLocation)
    }

    func status(_ frame: Frame?) throws -> (UInt32, StatusCode)? {
        guard let frame, frame.type == .status else { return nil }
        return (frame.streamID, StatusCode(rawValue: try WireStatus(decoding: frame.payload).code))
    }

    @Test("SETTINGS must come first")
    func settingsFirst() async throws {
        let channel = try await makeChannel()
        try channel.writeInbound(Frame(type: .ping, streamID: 0, payload: ByteBuffer(repeating: 0, count: 8)))
        try expectGoAway(channel, .settingsError)
    }

    @Test("SETTINGS is acknowledged, PING echoed, unknown frame types ignored")
    func settingsPingUnknown() async throws {
        let channel = try await makeChannel()
        try open(channel)
        try channel.writeInbound(Frame(type: FrameType(rawValue: 0x7F), streamID: 9, payload: ByteBuffer(bytes: [1, 2, 3])))
        #expect(try channel.readOutbound(as: Frame.self) == nil)
        let payload = ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        try channel.writeInbound(Frame(type: .ping, streamID: 0, payload: payload))
        #expect(try channel.readOutbound(as: Frame.self) == Frame(type: .ping, flags: .ack, streamID: 0, payload: payload))
        #expect(channel.isActive)
    }

    @Test("protocol violations end the connection with GOAWAY PROTOCOL_ERROR", arguments: [
        "even stream id", "stream id going down", "STATUS from the client", "MESSAGE on a never-opened stream",
        "PING of 4 bytes", "CANCEL without a code", "GOAWAY on a stream",
    ])
    func violations(_ scenario: String) async throws {
        let channel = try await makeChannel()
        try open(channel)
        switch scenario {
        case "even stream id":
            try channel.writeInbound(headers(2))
        case "stream id going down":
            try channel.writeInbound(headers(5))
            try channel.writeInbound(headers(3))
        case "STATUS from the client":
            try channel.writeInbound(Frame(type: .status, streamID: 1))
        case "MESSAGE on a never-opened stream":
            try channel.writeInbound(Frame(type: .message, flags: .endStream, streamID: 7))
        case "PING of 4 bytes":
            try channel.writeInbound(Frame(type: .ping, streamID: 0, payload: ByteBuffer(bytes: [1, 2, 3, 4])))
        case "CANCEL without a code":
            try channel.writeInbound(headers(1))
            try channel.writeInbound(Frame(type: .cancel, streamID: 1))
        default:
            try channel.writeInbound(Frame(type: .goAway, streamID: 3, payload: GoAway(lastStreamID: 0, code: .noError).encode()))
        }
        try expectGoAway(channel, .protocolError)
    }

    @Test("stream-level refusals: too many streams, malformed headers; late frames for them are ignored")
    func streamRefusals() async throws {
        let channel = try await makeChannel(maxConcurrentStreams: 1)
        try open(channel)
        try channel.writeInbound(headers(1))  // open, waiting for its message
        try channel.writeInbound(headers(3))
        #expect(try status(channel.readOutbound(as: Frame.self))! == (3, .resourceExhausted))
        // The refused stream's message arrives late: ignored, no second STATUS, no GOAWAY.
        try channel.writeInbound(Frame(type: .message, flags: .endStream, streamID: 3))
        #expect(try channel.readOutbound(as: Frame.self) == nil)
        try channel.writeInbound(Frame(type: .cancel, streamID: 1, payload: ByteBuffer(bytes: [0, 0, 0, 1])))
        try channel.writeInbound(Frame(type: .headers, streamID: 5, payload: ByteBuffer(bytes: [0xFF])))
        #expect(try status(channel.readOutbound(as: Frame.self))! == (5, .invalidArgument))
        #expect(channel.isActive)
    }

    @Test("a request MESSAGE without END_STREAM is refused on its stream")
    func endStream() async throws {
        let channel = try await makeChannel()
        try open(channel)
        try channel.writeInbound(headers(1))
        try channel.writeInbound(Frame(type: .message, streamID: 1))
        #expect(try status(channel.readOutbound(as: Frame.self))! == (1, .invalidArgument))
        #expect(channel.isActive)
    }

    @Test("drain: GOAWAY NO_ERROR, later streams get UNAVAILABLE, the connection closes once idle")
    func drain() async throws {
        let channel = try await makeChannel()
        try open(channel)
        try channel.writeInbound(headers(1))  // opened, no message yet: keeps the connection busy
        let handler = try channel.pipeline.syncOperations.handler(type: ServerConnectionHandler.self)
        handler.drain()
        let goAway = try #require(try channel.readOutbound(as: Frame.self))
        #expect(goAway.type == .goAway)
        #expect(try GoAway.decode(goAway.payload) == GoAway(lastStreamID: 1, code: .noError, message: "server shutting down"))
        try channel.writeInbound(headers(3))
        #expect(try status(channel.readOutbound(as: Frame.self))! == (3, .unavailable))
        #expect(channel.isActive)
        try channel.writeInbound(Frame(type: .cancel, streamID: 1, payload: ByteBuffer(bytes: [0, 0, 0, 1])))
        #expect(!channel.isActive)
    }

    @Test("a peer that connects and never sends SETTINGS gets GOAWAY TIMEOUT once the handshake timeout passes")
    func handshakeTimeout() async throws {
        let channel = try await makeChannel(timeouts: ConnectionTimeouts(handshake: .seconds(10), requestMessage: .seconds(30), idle: .zero))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        try expectGoAway(channel, .timeout)
    }

    @Test("the handshake timeout stops once SETTINGS came")
    func handshakeDone() async throws {
        let channel = try await makeChannel(timeouts: ConnectionTimeouts(handshake: .seconds(10), requestMessage: .zero, idle: .zero))
        try open(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: Frame.self) == nil)
    }

    @Test("HEADERS whose request MESSAGE never comes: the stream ends DEADLINE_EXCEEDED after the request-message timeout, the connection stays")
    func requestMessageTimeout() async throws {
        let channel = try await makeChannel(timeouts: ConnectionTimeouts(handshake: .zero, requestMessage: .seconds(30), idle: .zero))
        try open(channel)
        try channel.writeInbound(headers(1))
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(try channel.readOutbound(as: Frame.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try status(channel.readOutbound(as: Frame.self))! == (1, .deadlineExceeded))
        #expect(channel.isActive)
    }

    @Test("idle: no open stream and no frame for the idle timeout closes with GOAWAY NO_ERROR; an open stream keeps it")
    func idleTimeout() async throws {
        let channel = try await makeChannel(timeouts: ConnectionTimeouts(handshake: .zero, requestMessage: .zero, idle: .seconds(100)))
        try open(channel)
        try channel.writeInbound(headers(1))  // open: the connection is not idle
        channel.embeddedEventLoop.advanceTime(by: .seconds(250))
        #expect(channel.isActive)
        try channel.writeInbound(Frame(type: .cancel, streamID: 1, payload: ByteBuffer(bytes: [0, 0, 0, 1])))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(200))
        let goAway = try #require(try channel.readOutbound(as: Frame.self))
        #expect(try GoAway.decode(goAway.payload).code == .noError)
        #expect(try GoAway.decode(goAway.payload).message.contains("idle"))
        #expect(!channel.isActive)
    }
}
