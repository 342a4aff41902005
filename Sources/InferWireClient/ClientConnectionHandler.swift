import InferWireCore
import InferWireProtocol
import NIOCore
import ProtoWire

/// The client side of one connection: assigns stream ids, routes MESSAGE and STATUS frames to
/// the waiting calls, answers PING and SETTINGS, and fails open calls when the connection ends.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame
    typealias Continuation = AsyncThrowingStream<ByteBuffer, Error>.Continuation

    /// Where a call's messages and end go: an async stream, or a callback run on the event loop
    /// (the load generator's path: no task or stream per call).
    enum Sink {
        case stream(Continuation)
        case callback((CallEvent) -> Void)

        func message(_ payload: ByteBuffer) {
            switch self {
            case .stream(let continuation): continuation.yield(payload)
            case .callback(let onEvent): onEvent(.message(payload))
            }
        }

        func finish(_ error: InferenceError?) {
            switch self {
            case .stream(let continuation):
                if let error { continuation.finish(throwing: error) } else { continuation.finish() }
            case .callback(let onEvent): onEvent(.end(error))
            }
        }
    }

    private var context: ChannelHandlerContext?
    private var calls: [UInt32: Sink] = [:]
    private var nextStreamID: UInt32 = 1
    private var goAwayLastStreamID: UInt32?
    private let settings: ConnectionSettings
    /// The server's SETTINGS; `connect` waits for them, so that no message is sent before the
    /// server's limits are known.
    private(set) var peerSettings: ConnectionSettings?
    let handshake: EventLoopPromise<ConnectionSettings>
    private var handshakeDone = false

    /// Completes the handshake once; later outcomes are ignored.
    func completeHandshake(_ result: Result<ConnectionSettings, Error>) {
        guard !handshakeDone else { return }
        handshakeDone = true
        handshake.completeWith(result)
    }

    init(settings: ConnectionSettings, handshake: EventLoopPromise<ConnectionSettings>) {
        self.settings = settings
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { sendSettings(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendSettings(context: context)
        context.fireChannelActive()
    }

    private var settingsSent = false
    private func sendSettings(context: ChannelHandlerContext) {
        guard !settingsSent else { return }
        settingsSent = true
        context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, streamID: 0, payload: settings.encode())), promise: nil)
    }

    /// Opens a stream and sends its request (headers already serialized); returns the stream
    /// id, or nil when the call ended at once (its sink has been told why).
    func start(headers: ByteBuffer, message: ByteBuffer, sink: Sink) -> UInt32? {
        guard let context, context.channel.isActive else {
            sink.finish(InferenceError.connectionLost("connection closed"))
            return nil
        }
        if goAwayLastStreamID != nil {
            sink.finish(InferenceError.connectionLost("server is shutting down (GOAWAY)"))
            return nil
        }
        // A message over the server's MAX_FRAME_SIZE would cost the whole connection (GOAWAY
        // FRAME_TOO_LARGE): refuse it here, for this call only.
        let limit = peerSettings?.maxFrameSize ?? ConnectionSettings.minimumFrameSize
        guard message.readableBytes <= limit else {
            sink.finish(InferenceError(
                .resourceExhausted, "request of \(message.readableBytes) bytes exceeds the server's MAX_FRAME_SIZE \(limit)"))
            return nil
        }
        // Stream ids are odd and rise; when they run out the connection is done (reconnect).
        guard nextStreamID < UInt32.max - 2 else {
            sink.finish(InferenceError.connectionLost("stream ids exhausted on this connection: reconnect"))
            return nil
        }
        let id = nextStreamID
        nextStreamID += 2
        calls[id] = sink
        context.write(wrapOutboundOut(Frame(type: .headers, streamID: id, payload: headers)), promise: nil)
        context.write(wrapOutboundOut(Frame(type: .message, flags: .endStream, streamID: id, payload: message)), promise: nil)
        // Calls started while responses are being read (the load generator starts the next
        // call from the last one's end) leave together, in one flush when the read is over.
        if !flushes.deferredToEndOfRead() { context.flush() }
        return id
    }

    private var flushes = ReadBatchedFlush()

    func channelReadComplete(context: ChannelHandlerContext) {
        flushes.readEnded(context: context)
        context.fireChannelReadComplete()
    }

    /// The caller gave up: tell the server to stop, and forget the call.
    func cancel(_ id: UInt32) {
        guard let context, calls.removeValue(forKey: id) != nil else { return }
        var payload = ByteBuffer()
        payload.writeInteger(UInt32(StatusCode.cancelled.rawValue), endianness: .big)
        context.writeAndFlush(wrapOutboundOut(Frame(type: .cancel, streamID: id, payload: payload)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        flushes.readStarted()
        let frame = unwrapInboundIn(data)
        switch frame.type {
        case .message:
            calls[frame.streamID]?.message(frame.payload)
        case .status:
            guard let call = calls.removeValue(forKey: frame.streamID) else { return }
            do {
                let status = try WireStatus(decoding: frame.payload)
                call.finish(status.code == 0
                    ? nil : InferenceError(StatusCode(rawValue: status.code), status.message, details: status.details))
            } catch {
                call.finish(InferenceError(.internal, "malformed STATUS from server: \(error)"))
            }
        case .settings:
            if !frame.flags.contains(.ack) {
                do {
                    let received = try ConnectionSettings.decode(frame.payload)
                    peerSettings = received
                    completeHandshake(.success(received))
                } catch {
                    completeHandshake(.failure(error))
                    failAll(InferenceError.connectionLost("server sent bad SETTINGS: \(error)"))
                    context.close(promise: nil)
                    return
                }
                context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, flags: .ack, streamID: 0)), promise: nil)
            }
        case .ping:
            if !frame.flags.contains(.ack) {
                context.writeAndFlush(wrapOutboundOut(Frame(type: .ping, flags: .ack, streamID: 0, payload: frame.payload)), promise: nil)
            }
        case .cancel:
            // v1 servers end streams with STATUS; a CANCEL still ends the call, with its code.
            guard let call = calls.removeValue(forKey: frame.streamID) else { return }
            var payload = frame.payload
            let code = payload.readInteger(endianness: .big, as: UInt32.self).map { Int32(truncatingIfNeeded: $0) } ?? 1
            call.finish(InferenceError(StatusCode(rawValue: code), "server cancelled the stream"))
        case .goAway:
            let goAway = try? GoAway.decode(frame.payload)
            let last = goAway?.lastStreamID ?? 0
            goAwayLastStreamID = last
            // Streams the server will not finish fail now; the others run to their STATUS.
            for (id, call) in calls where id > last || goAway?.code != .noError {
                calls[id] = nil
                call.finish(InferenceError.connectionLost("server sent GOAWAY (\(goAway?.code.description ?? "?")): \(goAway?.message ?? "")"))
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        completeHandshake(.failure(InferenceError.connectionLost("connection closed before the server's SETTINGS")))
        failAll(InferenceError.connectionLost("connection closed"))
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        completeHandshake(.failure(InferenceError.connectionLost("connection failed: \(error)")))
        failAll(InferenceError.connectionLost("connection failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: InferenceError) {
        let open = calls
        calls.removeAll()
        for call in open.values { call.finish(error) }
    }
}
