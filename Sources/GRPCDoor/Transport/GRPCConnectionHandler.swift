import Foundation
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// One HTTP/2 connection of the gRPC door, handled at the frame level: streams are entries in a
/// dictionary, not child channels with pipelines of their own (what made grpc-swift's transport
/// cost most of its 255 µs per call). Each new stream becomes an `RPCStream` for grpc-swift's
/// core: its request headers and messages flow into the stream's inbound sequence, what the
/// RPC writes comes back through `respond`. Also owns flow-control window updates, the idle
/// timeout and the drain (GOAWAY, then close once the last stream ends).
final class GRPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame
    typealias Inbound = AsyncThrowingStream<RPCRequestPart<GRPCBytes>, any Error>

    struct Settings {
        var maxMessageBytes: Int
        var idleTimeout: TimeAmount
        /// The inbound window kept open for the connection and for each stream.
        var connectionWindow: Int
        var streamWindow: Int
        /// Methods answering with one message, sent in one go (see `GRPCStreamWriter`).
        var singleResponseMethods: Set<String>
        /// The server's methods by path (`/package.Service/Method`).
        var methods: [String: MethodDescriptor]
        /// Unary methods run by the transport itself, by path (see `GRPCDirectMethod`).
        var direct: [String: GRPCDirectMethod] = [:]
    }

    /// An accepted RPC for the transport to run.
    struct Accepted: Sendable {
        let stream: RPCStream<GRPCFrameTransport.Inbound, GRPCFrameTransport.Outbound>
        let remotePeer: String
        let localPeer: String
        let cancellation: CancellationRelay
    }

    /// Where a stream's request goes: grpc-swift's core (an inbound sequence the RPC's task
    /// reads) or a direct method (its one message kept until the request ends).
    private enum Delivery {
        case core(Inbound.Continuation, InboundBudget)
        case direct(GRPCDirectMethod, Metadata, message: ByteBuffer?)
    }

    private struct Stream {
        var reader: GRPCMessageReader
        var delivery: Delivery
        let cancellation: CancellationRelay
        /// Messages still delivered to the RPC (not after a failed message or the request's end).
        var inboundOpen = true
        /// The client sent END_STREAM.
        var clientEnded = false
        var headersSent = false
        var ended = false
        /// A direct call's `grpc-timeout`.
        var deadline: Scheduled<Void>?
    }

    private let settings: Settings
    private let accept: @Sendable (Accepted) -> Void
    /// Starts a direct method's call in a task the transport counts (for its shutdown).
    private let runDirect: @Sendable (@escaping @Sendable () async -> Void) -> Task<Void, Never>
    private var streams: [HTTP2StreamID: Stream] = [:]
    /// The streams open now (for tests and the fuzz target).
    var openStreamIDs: [Int] { streams.keys.map { Int($0) } }
    private var context: ChannelHandlerContext?
    private var lastStreamID = HTTP2StreamID.rootStream
    private var draining = false
    private var idleTimer: Scheduled<Void>?
    private var flushScheduled = false
    /// Inbound window sizes seen while the socket could not take writes (see the window event).
    private var deferredWindows: [HTTP2StreamID: Int] = [:]
    private var remotePeer = "unknown"
    private var localPeer = "unknown"

    init(
        settings: Settings, accept: @escaping @Sendable (Accepted) -> Void,
        runDirect: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Task<Void, Never> = { body in Task { await body() } }
    ) {
        self.settings = settings
        self.accept = accept
        self.runDirect = runDirect
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remotePeer = Self.describe(context.channel.remoteAddress)
        localPeer = Self.describe(context.channel.localAddress)
        if context.channel.isActive { startIdleTimer() }
    }

    func channelActive(context: ChannelHandlerContext) {
        startIdleTimer()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        for (_, stream) in streams where !stream.ended {
            stream.cancellation.cancel()
            stream.deadline?.cancel()
            if case .core(let inbound, _) = stream.delivery { inbound.finish(throwing: RPCError(code: .unavailable, message: "the connection closed")) }
        }
        streams.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            if streams[frame.streamID] != nil {
                // Clients send no trailers; a second HEADERS can only end the request.
                if headers.endStream { endInbound(frame.streamID) }
            } else {
                open(frame.streamID, headers: headers.headers, endStream: headers.endStream)
            }
        case .data(let payload):
            guard case .byteBuffer(let bytes) = payload.data else { return }
            receive(bytes, on: frame.streamID)
            if payload.endStream { endInbound(frame.streamID) }
        default:
            break  // SETTINGS, PING, GOAWAY, RST_STREAM: NIOHTTP2Handler acts; closed streams arrive as events.
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let closed as StreamClosedEvent:
            deferredWindows[closed.streamID] = nil
            guard let stream = streams.removeValue(forKey: closed.streamID) else { break }
            if !stream.ended {
                // Reset by the client (it left, or its deadline passed) or by the protocol.
                stream.cancellation.cancel()
                stream.deadline?.cancel()
                if case .core(let inbound, _) = stream.delivery { inbound.finish(throwing: RPCError(code: .cancelled, message: "the client cancelled the call")) }
            }
            streamsChanged()
        case let window as NIOHTTP2WindowUpdatedEvent:
            guard let size = window.inboundWindowSize else { break }
            if context.channel.isWritable {
                grantWindow(window.streamID, size: size, context: context)
            } else {
                // An update written now would wait in swift-nio-http2's control-frame buffer,
                // the window it opens not yet counted: every DATA frame meanwhile would ask for
                // another. The latest size is kept and granted once the socket drains.
                deferredWindows[window.streamID] = size
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, !deferredWindows.isEmpty {
            let deferred = deferredWindows
            deferredWindows = [:]
            for (id, size) in deferred { grantWindow(id, size: size, context: context) }
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Tops a window back up to its target once it is down to half (the connection's, or a
    /// stream's whose client is still sending).
    private func grantWindow(_ id: HTTP2StreamID, size: Int, context: ChannelHandlerContext) {
        let target = id == .rootStream ? settings.connectionWindow : settings.streamWindow
        guard size < target / 2, id == .rootStream || streams[id]?.clientEnded == false else { return }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: target - size))), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // swift-nio-http2 has already acted on its own errors: a stream error reset that
        // stream (a close event follows), a connection error sent GOAWAY and closes. Anything
        // else (I/O, TLS) leaves the connection unusable.
        if error is any NIOHTTP2Error || error is NIOHTTP2Errors.StreamError { return }
        context.close(promise: nil)
    }

    // MARK: Requests in

    private func open(_ id: HTTP2StreamID, headers: HPACKHeaders, endStream: Bool) {
        guard !draining else { return refuse(id) }
        lastStreamID = id
        guard headers.first(name: ":method") == "POST", headers.first(name: "content-type")?.hasPrefix("application/grpc") == true else {
            return answerHTTP(id, status: "415")
        }
        let path = headers.first(name: ":path")
        guard let descriptor = path.flatMap({ settings.methods[$0] }) ?? Self.descriptor(path) else {
            return answerStatus(id, Status(code: .unimplemented, message: "no method at path \(path ?? "")"))
        }
        if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
            return answerStatus(id, Status(code: .unimplemented, message: "compression \(encoding) is not supported: send messages uncompressed"))
        }
        let metadata = Self.metadata(headers)
        let reader = GRPCMessageReader(maxMessageBytes: settings.maxMessageBytes)
        if let path, let method = settings.direct[path] {
            var stream = Stream(reader: reader, delivery: .direct(method, metadata, message: nil), cancellation: CancellationRelay())
            if let timeout = headers.first(name: "grpc-timeout").flatMap(Self.timeout) {
                let connection = NIOLoopBound(self, eventLoop: context!.eventLoop)
                stream.deadline = context!.eventLoop.scheduleTask(in: timeout) { connection.value.deadlinePassed(id) }
            }
            track(id, stream)
            if endStream { endInbound(id) }
            return
        }
        let (sequence, continuation) = Inbound.makeStream()
        continuation.yield(.metadata(metadata))
        let cancellation = CancellationRelay()
        let budget = InboundBudget(limit: settings.maxMessageBytes + (1 << 20))
        track(id, Stream(reader: reader, delivery: .core(continuation, budget), cancellation: cancellation))
        let writer = GRPCStreamWriter(
            connection: NIOLoopBound(self, eventLoop: context!.eventLoop), streamID: Int(id),
            holdsMessage: settings.singleResponseMethods.contains(descriptor.fullyQualifiedMethod))
        let stream = RPCStream(descriptor: descriptor, inbound: RPCAsyncSequence(wrapping: BudgetedInbound(base: sequence, budget: budget)), outbound: RPCWriter.Closable(wrapping: writer))
        accept(Accepted(stream: stream, remotePeer: remotePeer, localPeer: localPeer, cancellation: cancellation))
        if endStream { endInbound(id) }
    }

    /// A stream the connection now answers for: the connection is no longer idle.
    private func track(_ id: HTTP2StreamID, _ stream: Stream) {
        streams[id] = stream
        idleTimer?.cancel()
        idleTimer = nil
    }

    private func receive(_ bytes: ByteBuffer, on id: HTTP2StreamID) {
        guard var stream = streams[id], stream.inboundOpen else { return }
        stream.reader.append(bytes)
        var failure: RPCError?
        loop: while true {
            switch stream.reader.next() {
            case .message(let message):
                switch stream.delivery {
                case .core(let inbound, let budget):
                    guard budget.received(message.readableBytes) else {
                        failure = RPCError(
                            code: .resourceExhausted, message: "the client sent more than \(budget.limit) bytes that the call has not read yet")
                        break loop
                    }
                    inbound.yield(.message(GRPCBytes(message)))
                case .direct(let method, let metadata, nil):
                    stream.delivery = .direct(method, metadata, message: message)
                case .direct:
                    failure = RPCError(code: .internalError, message: "a unary call got more than one request message")
                    break loop
                }
            case .needMore:
                break loop
            case .failed(let error):
                failure = error
                break loop
            }
        }
        if let failure {
            // Over the size limit, compressed, or one message too many: the call fails with the
            // reason, and the rest of its bytes are dropped unread.
            stream.inboundOpen = false
            stream.reader = GRPCMessageReader(maxMessageBytes: 0)
            streams[id] = stream
            fail(id, failure)
        } else {
            streams[id] = stream
        }
    }

    private func endInbound(_ id: HTTP2StreamID) {
        guard var stream = streams[id], !stream.clientEnded else { return }
        stream.clientEnded = true
        let wasOpen = stream.inboundOpen
        stream.inboundOpen = false
        streams[id] = stream
        guard wasOpen else { return }  // already failed: the RPC has its error
        if stream.reader.hasPartialMessage {
            return fail(id, RPCError(code: .internalError, message: "the request ended inside a message"))
        }
        switch stream.delivery {
        case .core(let inbound, _):
            inbound.finish()
        case .direct(let method, let metadata, let message?):
            let connection = NIOLoopBound(self, eventLoop: context!.eventLoop)
            let streamID = Int(id)
            let task = runDirect {
                let answer = await method.call(message, metadata)
                connection.eventLoop.execute {
                    connection.value.respond(
                        streamID: streamID, metadata: nil, messages: answer.message.map { [$0] } ?? [], status: (answer.status, answer.trailers))
                }
            }
            stream.cancellation.start(task)
        case .direct(_, _, nil):
            fail(id, RPCError(code: .internalError, message: "a unary call needs one request message, got none"))
        }
    }

    /// The request cannot be read: a core RPC gets the error from its inbound sequence (and
    /// answers with it), a direct call is answered with it here.
    private func fail(_ id: HTTP2StreamID, _ error: RPCError) {
        guard let stream = streams[id] else { return }
        switch stream.delivery {
        case .core(let inbound, _):
            inbound.finish(throwing: error)
        case .direct:
            respond(streamID: Int(id), metadata: nil, messages: [], status: (Status(code: Status.Code(error.code), message: error.message), error.metadata))
        }
    }

    /// A direct call's `grpc-timeout` passed: its task is cancelled (the data plane and the
    /// provider call see it) and the client is told at once.
    func deadlinePassed(_ id: HTTP2StreamID) {
        guard let stream = streams[id], !stream.ended else { return }
        stream.cancellation.cancel()
        respond(streamID: Int(id), metadata: nil, messages: [], status: (Status(code: .deadlineExceeded, message: "the call's deadline passed"), [:]))
    }

    /// gRPC's timeout header: up to 8 digits and a unit (H, M, S, m, u, n).
    static func timeout(_ text: String) -> TimeAmount? {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0, text.count <= 9 else { return nil }
        switch unit {
        case "H": return .hours(amount)
        case "M": return .minutes(amount)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }

    // MARK: Answers out

    /// Called on the event loop with what an RPC wrote (see `GRPCStreamWriter`).
    func respond(streamID: Int, metadata: Metadata?, messages: [GRPCBytes], status: (Status, Metadata)?) {
        let id = HTTP2StreamID(streamID)
        guard let context, var stream = streams[id], !stream.ended else { return }
        if status != nil {
            // Ended before the trailers are written: writing them may close the stream at once.
            streams[id]?.ended = true
        }
        if !stream.headersSent, !messages.isEmpty || status == nil {
            var headers = Self.responseHeaders
            if let metadata { Self.add(metadata, to: &headers) }
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers)))), promise: nil)
            stream.headersSent = true
        }
        for message in messages {
            let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(Self.prefixed(message, allocator: context.channel.allocator)))
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(data))), promise: nil)
        }
        if let (status, trailers) = status {
            var headers = stream.headersSent ? HPACKHeaders() : Self.responseHeaders
            if !stream.headersSent, let metadata { Self.add(metadata, to: &headers) }
            Self.add(status, trailers, to: &headers)
            // Only a request still arriving needs to know when the trailers are out (below).
            let trailersWritten = stream.clientEnded ? nil : context.eventLoop.makePromise(of: Void.self)
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true)))), promise: trailersWritten)
            stream.ended = true
            stream.deadline?.cancel()
            if stream.inboundOpen, case .core(let inbound, _) = stream.delivery { inbound.finish() }
            stream.inboundOpen = false
            if !stream.clientEnded {
                // Answered before the request ended: the rest of it is not wanted. The reset
                // waits for the trailers to leave (it would overtake, and drop, answers still
                // queued for the client's flow-control window).
                stream.clientEnded = true
                let channel = context.channel
                trailersWritten?.futureResult.whenSuccess {
                    channel.writeAndFlush(HTTP2Frame(streamID: id, payload: .rstStream(.noError)), promise: nil)
                }
            }
        }
        // Kept only if still open: a close event may have removed it while its frames were written.
        if streams[id] != nil { streams[id] = stream }
        scheduleFlush()
    }

    /// Answers finished in one turn of the event loop leave in one write: the flush runs after
    /// the loop's queued work (other RPCs' answers among it).
    private func scheduleFlush() {
        guard let context, !flushScheduled else { return }
        flushScheduled = true
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            connection.value.flushScheduled = false
            connection.value.context?.flush()
        }
    }

    /// The RPC failed below the status (the core could not write one): the stream is reset.
    func reset(streamID: Int) {
        let id = HTTP2StreamID(streamID)
        guard let context, var stream = streams[id], !stream.ended else { return }
        stream.ended = true
        streams[id] = stream
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.internalError))), promise: nil)
    }

    private func answerStatus(_ id: HTTP2StreamID, _ status: Status) {
        var headers = Self.responseHeaders
        Self.add(status, Metadata(), to: &headers)
        context?.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true)))), promise: nil)
    }

    private func answerHTTP(_ id: HTTP2StreamID, status: String) {
        let headers = HPACKHeaders([(":status", status)])
        context?.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true)))), promise: nil)
    }

    private func refuse(_ id: HTTP2StreamID) {
        context?.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.refusedStream))), promise: nil)
    }

    // MARK: Idle and drain

    /// Stops taking new streams (GOAWAY names the last one taken); closes once none is left.
    func drain() {
        guard let context, !draining else { return }
        draining = true
        idleTimer?.cancel()
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
        if streams.isEmpty { closeWhenWritten() }
    }

    private var goAway: HTTP2Frame {
        HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
    }

    /// Closes once every answer written so far has left: a last GOAWAY (the same one again, as
    /// HTTP/2 allows), written and flushed behind them, closes the connection when it is out.
    private func closeWhenWritten() {
        guard let context else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(goAway)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Closes the connection at once (the transport's task was cancelled).
    func close() {
        context?.close(promise: nil)
    }

    private func streamsChanged() {
        guard streams.isEmpty else { return }
        if draining {
            closeWhenWritten()
        } else {
            startIdleTimer()
        }
    }

    private func startIdleTimer() {
        guard let context, idleTimer == nil, streams.isEmpty else { return }
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: settings.idleTimeout) {
            connection.value.idleTimer = nil
            connection.value.drain()
        }
    }

    // MARK: Headers, metadata and messages

    static let responseHeaders = HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])

    /// `/package.Service/Method` as grpc-swift's descriptor.
    static func descriptor(_ path: String?) -> MethodDescriptor? {
        guard let path, path.first == "/" else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return MethodDescriptor(fullyQualifiedService: String(parts[0]), method: String(parts[1]))
    }

    /// Request headers but HTTP/2's own as gRPC metadata (`-bin` values are base64 on the wire).
    static func metadata(_ headers: HPACKHeaders) -> Metadata {
        var metadata = Metadata()
        for (name, value, _) in headers where !name.hasPrefix(":") {
            if name.hasSuffix("-bin") {
                if let bytes = Data(base64Encoded: value.padded) { metadata.addBinary(Array(bytes), forKey: name) }
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    static func add(_ metadata: Metadata, to headers: inout HPACKHeaders) {
        for (key, value) in metadata {
            switch value {
            case .string(let text): headers.add(name: key.lowercased(), value: text)
            case .binary(let bytes): headers.add(name: key.lowercased(), value: Data(bytes).base64EncodedString())
            }
        }
    }

    static func add(_ status: Status, _ trailers: Metadata, to headers: inout HPACKHeaders) {
        headers.add(name: "grpc-status", value: String(status.code.rawValue))
        if !status.message.isEmpty { headers.add(name: "grpc-message", value: percentEncoded(status.message)) }
        add(trailers, to: &headers)
    }

    /// grpc-message's encoding: printable ASCII but `%` as is, every other byte as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 < 0x20 || $0 > 0x7E || $0 == UInt8(ascii: "%") }) else { return text }
        var out = ""
        out.reserveCapacity(utf8.count * 3)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in utf8 {
            if byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "%") {
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// The message with gRPC's 5-byte prefix (uncompressed, big-endian length), written into
    /// the room ProtoWire's serializer left in front of it when there is some.
    static func prefixed(_ message: GRPCBytes, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = message.buffer
        let length = UInt32(buffer.readableBytes)
        if buffer.readerIndex >= GRPCMessageReader.prefixLength {
            buffer.moveReaderIndex(to: buffer.readerIndex - GRPCMessageReader.prefixLength)
            buffer.setInteger(UInt8(0), at: buffer.readerIndex)
            buffer.setInteger(length, at: buffer.readerIndex + 1)
            return buffer
        }
        var out = allocator.buffer(capacity: GRPCMessageReader.prefixLength + Int(length))
        out.writeInteger(UInt8(0))
        out.writeInteger(length)
        out.writeImmutableBuffer(buffer)
        return out
    }

    static func describe(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?: "ipv4:\(v4.host):\(address?.port ?? 0)"
        case .v6(let v6)?: "ipv6:[\(v6.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: "unix:\(address?.pathname ?? "")"
        default: "unknown"
        }
    }
}

extension String {
    /// Base64 as gRPC sends it (unpadded) padded for Foundation's decoder.
    fileprivate var padded: String {
        let remainder = utf8.count % 4
        return remainder == 0 ? self : self + String(repeating: "=", count: 4 - remainder)
    }
}
