import InferWireProtocol
import NIOCore
import NIOEmbedded
import ProtoWire
import Testing

/// The framing layer on an EmbeddedChannel: preface, frame decoding across arbitrary read
/// boundaries, limits enforced from the header alone, and the encoder's output.
@Suite("Framing")
struct FramingTests {
    func makeChannel(maxFrameSize: UInt32 = ConnectionSettings.default.maxFrameSize) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)),
            FrameEncoder(),
        ])
        return channel
    }

    func bytes(_ frame: Frame) -> [UInt8] {
        var buffer = ByteBuffer()
        frame.writeHeader(into: &buffer)
        var payload = frame.payload
        buffer.writeBuffer(&payload)
        return Array(buffer.readableBytesView)
    }

    @Test("frame header layout: big-endian length, type, flags, zero reserved, stream id")
    func headerLayout() {
        let frame = Frame(type: .message, flags: .endStream, streamID: 0x0102_0304, payload: ByteBuffer(bytes: [0xAA, 0xBB]))
        #expect(bytes(frame) == [0, 0, 0, 2, 0x02, 0x01, 0, 0, 1, 2, 3, 4, 0xAA, 0xBB])
        #expect(ConnectionPreface.bytes == [0x49, 0x57, 0x49, 0x52, 0x45, 0x01, 0x0D, 0x0A])
    }

    @Test("preface, then frames, delivered whatever the read boundaries")
    func decodesAcrossReadBoundaries() throws {
        var request = ModelInferRequest()
        request.modelName = "echo"
        request.rawInputContents = [ByteBuffer(repeating: 7, count: 70_000)]
        let headers = RequestHeaders(method: .modelInfer, modelName: "echo", requestID: "r1")
        let frames = [
            Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode()),
            Frame(type: .headers, streamID: 1, payload: ByteBuffer(bytes: headers.serializedBytes())),
            Frame(type: .message, flags: .endStream, streamID: 1, payload: ByteBuffer(bytes: request.serializedBytes())),
            Frame(type: .ping, streamID: 0, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8])),
        ]
        let stream = ConnectionPreface.bytes + frames.flatMap(bytes)
        for chunkSize in [1, 5, 12, 13, 4096, stream.count] {
            let channel = try makeChannel()
            var offset = 0
            while offset < stream.count {
                let end = min(offset + chunkSize, stream.count)
                try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
                offset = end
            }
            var received: [Frame] = []
            while let frame = try channel.readInbound(as: Frame.self) { received.append(frame) }
            #expect(received == frames, "chunk size \(chunkSize)")
            #expect(try RequestHeaders(decoding: received[1].payload) == headers)
            #expect(try ModelInferRequest(decoding: received[2].payload) == request)
            _ = try channel.finish()
        }
    }

    @Test("a frame over MAX_FRAME_SIZE is refused from its header, before its payload arrives")
    func oversizedFrame() throws {
        let channel = try makeChannel(maxFrameSize: 16 << 10)
        try channel.writeInbound(ByteBuffer(bytes: ConnectionPreface.bytes))
        // Only the header of a 1 GiB frame: the decoder must not wait for (or buffer) the payload.
        var header = ByteBuffer()
        Frame(type: .message, streamID: 1, payload: ByteBuffer()).writeHeader(into: &header)
        header.setInteger(UInt32(1 << 30), at: 0, endianness: .big)
        #expect(throws: ProtocolViolation(.frameTooLarge, "frame of 1073741824 bytes exceeds MAX_FRAME_SIZE 16384")) {
            try channel.writeInbound(header)
        }
    }

    @Test("a frame of exactly MAX_FRAME_SIZE is accepted")
    func frameAtLimit() throws {
        let channel = try makeChannel(maxFrameSize: 16 << 10)
        let frame = Frame(type: .message, streamID: 3, payload: ByteBuffer(repeating: 1, count: 16 << 10))
        try channel.writeInbound(ByteBuffer(bytes: ConnectionPreface.bytes + bytes(frame)))
        #expect(try channel.readInbound(as: Frame.self) == frame)
    }

    @Test("a large payload arriving in pieces is gathered in a buffer of its own; frames around it intact")
    func largePayloadInItsOwnBuffer() throws {
        let before = Frame(type: .ping, streamID: 0, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8]))
        let large = Frame(type: .message, flags: .endStream, streamID: 1,
                          payload: ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        let after = Frame(type: .message, streamID: 3, payload: ByteBuffer(bytes: [9, 9]))
        let stream = ConnectionPreface.bytes + bytes(before) + bytes(large) + bytes(after)
        for chunkSize in [1_000, 65_536, 100_003, stream.count - 1] {
            let channel = try makeChannel()
            var offset = 0
            while offset < stream.count {
                let end = min(offset + chunkSize, stream.count)
                try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
                offset = end
            }
            var received: [Frame] = []
            while let frame = try channel.readInbound(as: Frame.self) { received.append(frame) }
            #expect(received == [before, large, after], "chunk size \(chunkSize)")
            _ = try channel.finish()
        }
        // The header is checked before the payload is gathered.
        let channel = try makeChannel()
        var header = ByteBuffer()
        large.writeHeader(into: &header)
        header.setInteger(UInt16(1), at: 6, endianness: .big)
        var input = ByteBuffer(bytes: ConnectionPreface.bytes)
        input.writeBuffer(&header)
        #expect(throws: ProtocolViolation.self) { try channel.writeInbound(input) }
    }

    @Test("a small payload read after a large frame does not keep the large buffer alive")
    func smallPayloadsAreCompacted() throws {
        let channel = try makeChannel()
        let large = Frame(type: .message, streamID: 1, payload: ByteBuffer(repeating: 1, count: 4 << 20))
        let small = Frame(type: .message, streamID: 3, payload: ByteBuffer(bytes: Array(repeating: 2, count: 10)))
        let stream = ConnectionPreface.bytes + bytes(large) + bytes(small)
        // Split so that the small frame arrives in two reads, behind the large one.
        try channel.writeInbound(ByteBuffer(bytes: stream[0..<(stream.count - 5)]))
        let first = try #require(try channel.readInbound(as: Frame.self))
        try channel.writeInbound(ByteBuffer(bytes: stream[(stream.count - 5)...]))
        let second = try #require(try channel.readInbound(as: Frame.self))
        #expect(first == large)
        #expect(second == small)
        #expect(second.payload.capacity < 1 << 16, "a 10-byte payload holds \(second.payload.capacity) bytes of storage")
    }

    @Test("anything but the IWIRE preface is refused at once", arguments: [
        ("GET / HTTP/1.1\r\n", GoAwayCode.badPreface),
        ("IWIRX\u{1}\r\n", .badPreface),
        ("IWIRE\u{2}\r\n", .unsupportedVersion),
    ])
    func badPreface(_ input: String, _ code: GoAwayCode) throws {
        let channel = try makeChannel()
        #expect {
            try channel.writeInbound(ByteBuffer(string: input))
        } throws: { error in
            (error as? ProtocolViolation)?.code == code
        }
    }

    @Test("reserved header bits must be zero")
    func reservedBits() throws {
        let channel = try makeChannel()
        var frame = ByteBuffer(bytes: ConnectionPreface.bytes)
        Frame(type: .ping, streamID: 0, payload: ByteBuffer()).writeHeader(into: &frame)
        frame.setInteger(UInt16(0x8000), at: 8 + 6, endianness: .big)
        #expect(throws: ProtocolViolation.self) { try channel.writeInbound(frame) }
    }

    @Test("the encoder writes header and payload as separate buffers: the payload is not copied")
    func encoderDoesNotCopyPayload() throws {
        let channel = try makeChannel()
        let payload = ByteBuffer(repeating: 9, count: 1 << 20)
        try channel.writeOutbound(Frame(type: .message, streamID: 5, payload: payload))
        let header = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let body = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(header.readableBytesView) == [0, 0x10, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 5])
        let sent = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let original = payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(sent == original)
        // An empty payload is a header alone.
        try channel.writeOutbound(Frame(type: .settings, flags: .ack, streamID: 0))
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.readableBytes == Frame.headerSize)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("the preface writer sends the preface once, first")
    func prefaceWriter() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(PrefaceWriter())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == ConnectionPreface.bytes)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("SETTINGS and GOAWAY payloads round-trip; bad ones are protocol errors")
    func settingsAndGoAway() throws {
        let settings = ConnectionSettings(maxFrameSize: 1 << 20, maxConcurrentStreams: 7)
        #expect(try ConnectionSettings.decode(settings.encode()) == settings)
        // Unknown identifiers are ignored; missing ones keep their defaults.
        #expect(try ConnectionSettings.decode(ByteBuffer(bytes: [0, 9, 0, 0, 0, 1])) == .default)
        #expect(throws: ProtocolViolation.self) { try ConnectionSettings.decode(ByteBuffer(bytes: [0, 1, 0, 0])) }
        #expect(throws: ProtocolViolation.self) { try ConnectionSettings.decode(ByteBuffer(bytes: [0, 1, 0, 0, 0, 1])) }
        let goAway = GoAway(lastStreamID: 41, code: .noError, message: "draining")
        #expect(try GoAway.decode(goAway.encode()) == goAway)
        #expect(throws: ProtocolViolation.self) { try GoAway.decode(ByteBuffer(bytes: [0, 0, 0])) }
    }
}
