import Foundation
import InferWireCore
import InferWireProtocol
import InferenceService
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtoWire
import Testing

/// docs/PROTOCOL.md against the real server, over a raw socket: the worked example's bytes must
/// be exactly what the server sends, and its protocol errors must happen as written.
@Suite("docs/PROTOCOL.md", .timeLimit(.minutes(1)))
struct ProtocolDocumentTests {
    func startServer() async throws -> (BinaryServer, Int) {
        let registry = ModelRegistry()
        await registry.register(name: "echo", runtime: EchoRuntime(name: "echo"))
        try await registry.load(name: "echo")
        let server = try await BinaryServer.start(host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry)))
        return (server, try #require(server.localAddress?.port))
    }

    /// The unannotated hex of the worked example: (client's first write, server's bytes).
    func workedExample() throws -> (client: [UInt8], server: [UInt8]) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md").path
        let document = try String(contentsOfFile: path, encoding: .utf8)
        let marker = try #require(document.range(of: "The same bytes unannotated"))
        let rest = document[marker.upperBound...]
        let open = try #require(rest.range(of: "```\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        let block = rest[open.upperBound..<close.lowerBound]
        let parts = block.components(separatedBy: "\n\n")
        try #require(parts.count == 2)
        func bytes(_ text: String) -> [UInt8] {
            let digits = Array(text.filter(\.isHexDigit))
            return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
        }
        return (bytes(parts[0]), bytes(parts[1]))
    }

    @Test("the worked ModelInfer exchange: the server sends exactly the documented bytes")
    func workedExampleIsTrue() async throws {
        let (client, expected) = try workedExample()
        #expect(client.count == 103)
        #expect(expected.count == 125)
        let (server, port) = try await startServer()
        let connection = try await RawConnection.open(port: port)
        try await connection.send(client)
        let received = try await connection.received(atLeast: expected.count)
        #expect(received == expected)
        try await connection.channel.close()
        await server.shutdown(timeout: .seconds(1))
    }

    @Test("a first frame other than SETTINGS: GOAWAY SETTINGS_ERROR and close")
    func settingsFirst() async throws {
        let (server, port) = try await startServer()
        let connection = try await RawConnection.open(port: port)
        var ping = ByteBuffer(bytes: ConnectionPreface.bytes)
        Frame(type: .ping, streamID: 0, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8])).writeHeader(into: &ping)
        ping.writeBytes([1, 2, 3, 4, 5, 6, 7, 8])
        try await connection.send(Array(ping.readableBytesView))
        #expect(try await connection.waitClosed())
        let frames = try connection.serverFrames()
        let goAway = try #require(frames.last { $0.type == .goAway })
        #expect(try GoAway.decode(goAway.payload).code == .settingsError)
        await server.shutdown(timeout: .seconds(1))
    }

    @Test("a frame over MAX_FRAME_SIZE: GOAWAY FRAME_TOO_LARGE and close; other connections are untouched")
    func frameTooLarge() async throws {
        let (server, port) = try await startServer()
        let other = try await RawConnection.open(port: port)
        let connection = try await RawConnection.open(port: port)
        var bytes = ByteBuffer(bytes: ConnectionPreface.bytes)
        Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode()).writeHeader(into: &bytes)
        bytes.writeBytes(ConnectionSettings.default.encode().readableBytesView)
        // The other connection does its handshake (else the handshake timeout would end it) and stays.
        try await other.send(Array(bytes.readableBytesView))
        // Only the header of a frame one byte over the default 64 MiB limit.
        var header = ByteBuffer()
        Frame(type: .message, flags: .endStream, streamID: 1).writeHeader(into: &header)
        header.setInteger(ConnectionSettings.default.maxFrameSize + 1, at: 0, endianness: .big)
        bytes.writeBuffer(&header)
        try await connection.send(Array(bytes.readableBytesView))
        #expect(try await connection.waitClosed())
        let goAway = try #require(try connection.serverFrames().last { $0.type == .goAway })
        #expect(try GoAway.decode(goAway.payload).code == .frameTooLarge)
        #expect(!other.collector.closed.withLockedValue { $0 })
        try await other.channel.close()
        await server.shutdown(timeout: .seconds(1))
    }

    @Test("a request MESSAGE without END_STREAM: that stream gets INVALID_ARGUMENT, the connection lives")
    func endStreamRequired() async throws {
        let (server, port) = try await startServer()
        let connection = try await RawConnection.open(port: port)
        var bytes = ByteBuffer(bytes: ConnectionPreface.bytes)
        for frame in [
            Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode()),
            Frame(type: .headers, streamID: 1, payload: ByteBuffer(bytes: RequestHeaders(method: .serverLive).serializedBytes())),
            Frame(type: .message, streamID: 1),
            Frame(type: .headers, streamID: 3, payload: ByteBuffer(bytes: RequestHeaders(method: .serverLive).serializedBytes())),
            Frame(type: .message, flags: .endStream, streamID: 3),
        ] {
            frame.writeHeader(into: &bytes)
            var payload = frame.payload
            bytes.writeBuffer(&payload)
        }
        try await connection.send(Array(bytes.readableBytesView))
        var statuses: [UInt32: WireStatus] = [:]
        let deadline = ContinuousClock.now + .seconds(10)
        while statuses.count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            for frame in try connection.serverFrames() where frame.type == .status {
                statuses[frame.streamID] = try WireStatus(decoding: frame.payload)
            }
        }
        #expect(statuses[1]?.code == StatusCode.invalidArgument.rawValue)
        #expect(statuses[3]?.code == StatusCode.ok.rawValue)
        try await connection.channel.close()
        await server.shutdown(timeout: .seconds(1))
    }

    /// Splits what the server sent (preface, then frames) into frames.
}
