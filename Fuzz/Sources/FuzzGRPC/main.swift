@testable import GRPCDoor
import GRPCCore
import NIOCore
import NIOEmbedded
import NIOHTTP2

// libFuzzer entry point over the gRPC door's transport: a client's HTTP/2 frames into
// swift-nio-http2's handler and `GRPCConnectionHandler` (streams, gRPC messages, window
// updates, answers, resets), and the same bytes into `GRPCMessageReader` alone.
//
// Byte 0: bits 0–2 seed the chunking, bit 3 sets a 1 KiB message limit (else 64 KiB), bits 4–5
// say how open streams are answered after each chunk (a message and OK; a status only; a
// reset; not at all), bit 7 leaves the preface out. The rest is what the client sends.
//
// The target traps unless
//   - the reader yields the same messages and the same end (failure code, or waiting for more)
//     whole and chunked, and no message is over the limit;
//   - the connection never holds more open streams than MAX_CONCURRENT_STREAMS;
//   - once the connection is closed, no stream is left open.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzGRPC invariant violated: \(what); input: \(input.prefix(256))")
}

enum ReaderEnd: Equatable {
    case waiting(partial: Bool)
    case failed(RPCError.Code)
}

/// What the reader makes of `bytes` fed in chunks: its messages, and how it ended.
func read(_ bytes: [UInt8], limit: Int, chunk: (Int) -> Int) -> ([[UInt8]], ReaderEnd) {
    var reader = GRPCMessageReader(maxMessageBytes: limit)
    var messages: [[UInt8]] = []
    var offset = 0
    var step = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + max(1, chunk(step)))
        reader.append(ByteBuffer(bytes: bytes[offset..<end]))
        loop: while true {
            switch reader.next() {
            case .message(let message): messages.append(Array(message.readableBytesView))
            case .needMore: break loop
            case .failed(let error): return (messages, .failed(error.code))
            }
        }
        offset = end
        step += 1
    }
    return (messages, .waiting(partial: reader.hasPartialMessage))
}

let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
let maxStreams = 8

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGRPC(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let shape = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let limit = shape & 8 != 0 ? 1024 : 64 << 10
    let seed = Int(shape & 7)
    let unit = max(1, body.count / 64)
    let chunk = { (step: Int) in unit * (1 + (step * 7 + seed * 3) % 13) }

    // The message reader alone: whole and chunked agree.
    let whole = read(body, limit: limit) { _ in body.count }
    let chunked = read(body, limit: limit, chunk: chunk)
    if whole.0 != chunked.0 || whole.1 != chunked.1 { violation("the reader differs whole and chunked", input) }
    if whole.0.contains(where: { $0.count > limit }) { violation("a message over the limit", input) }

    // The connection.
    let settings = GRPCConnectionHandler.Settings(
        maxMessageBytes: limit, idleTimeout: .seconds(60), connectionWindow: 1 << 16, streamWindow: 1 << 16,
        singleResponseMethods: ["inference.GRPCInferenceService/ModelInfer"], methods: [:])
    let handler = GRPCConnectionHandler(settings: settings, accept: { _ in })
    let http2 = NIOHTTP2Handler(mode: .server, initialSettings: [HTTP2Setting(parameter: .maxConcurrentStreams, value: maxStreams)])
    let channel = EmbeddedChannel()
    do {
        try channel.pipeline.syncOperations.addHandlers([http2, handler])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8081)).wait()
    } catch {
        violation("the pipeline did not start: \(error)", input)
    }
    let bytes = (shape & 0x80 == 0 ? preface : []) + body
    var offset = 0
    var step = 0
    let answer = Int(shape >> 4) & 3
    while offset < bytes.count, channel.isActive {
        let end = min(bytes.count, offset + max(1, chunk(step)))
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
        } catch {
            break  // a connection error: the handler closes the channel
        }
        let open = handler.openStreamIDs
        if open.count > maxStreams { violation("\(open.count) streams open, over the limit of \(maxStreams)", input) }
        for id in open.sorted() {
            switch answer {
            case 0: handler.respond(streamID: id, metadata: [:], messages: [GRPCBytes([1, 2, 3])], status: (Status(code: .ok, message: ""), [:]))
            case 1: handler.respond(streamID: id, metadata: nil, messages: [], status: (Status(code: .notFound, message: "no ✓ model"), [:]))
            case 2: handler.reset(streamID: id)
            default: break
            }
        }
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: IOData.self)) != nil {}
        offset = end
        step += 1
    }
    _ = try? channel.close().wait()
    channel.embeddedEventLoop.run()
    if !handler.openStreamIDs.isEmpty { violation("streams left open after the close: \(handler.openStreamIDs)", input) }
    _ = try? channel.finish()
    return 0
}
