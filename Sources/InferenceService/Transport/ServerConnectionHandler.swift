import InferWireProtocol
import Logging
import NIOCore
import ProtoWire

/// The server side of one connection: settings, the stream state machine, deadlines, cancel,
/// backpressure and GOAWAY (docs/PROTOCOL.md). Runs on the connection's event loop; each call
/// runs in its own Task through the `Dispatcher`, whose results hop back to the loop.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private struct Stream {
        var headers: RequestHeaders
        var task: Task<Void, Never>?
        var deadline: Scheduled<Void>?
        var started: NIODeadline
    }

    private let dispatcher: Dispatcher
    private let settings: ConnectionSettings
    private let metrics: ServerMetrics
    private var logger: Logger
    private var streams: [UInt32: Stream] = [:]
    private var lastStreamID: UInt32 = 0
    private var draining = false
    private var settingsSent = false
    /// The client's SETTINGS; its first frame must be SETTINGS.
    private var peerSettings: ConnectionSettings?
    private var context: ChannelHandlerContext?

    init(dispatcher: Dispatcher, settings: ConnectionSettings, metrics: ServerMetrics, logger: Logger) {
        self.dispatcher = dispatcher
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress?.description ?? "?")"
        if context.channel.isActive { sendSettings(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sendSettings(context: context)
        context.fireChannelActive()
    }

    private func resumeWaiters() {
        let waiters = writabilityWaiters
        writabilityWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resumeWaiters()
        for stream in streams.values {
            stream.task?.cancel()
            stream.deadline?.cancel()
            metrics.streamClosed()
        }
        streams.removeAll()
        context.fireChannelInactive()
    }

    /// Backpressure: stop reading requests while responses cannot be written.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        if context.channel.isWritable { resumeWaiters() }
        context.fireChannelWritabilityChanged()
    }

    private func sendSettings(context: ChannelHandlerContext) {
        guard !settingsSent else { return }
        settingsSent = true
        context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, streamID: 0, payload: settings.encode())), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        flushes.readStarted()
        let frame = unwrapInboundIn(data)
        metrics.bytesReceived(Frame.headerSize + frame.payload.readableBytes)
        do {
            try handle(frame, context: context)
        } catch {
            fail(error, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error, context: context)
    }

    private func handle(_ frame: Frame, context: ChannelHandlerContext) throws(ProtocolViolation) {
        if peerSettings == nil, frame.type != .settings || frame.flags.contains(.ack) {
            throw ProtocolViolation(.settingsError, "the first frame must be SETTINGS, got \(frame.type)")
        }
        switch frame.type {
        case .settings:
            guard frame.streamID == 0 else { throw ProtocolViolation(.protocolError, "SETTINGS on stream \(frame.streamID)") }
            if frame.flags.contains(.ack) {
                guard frame.payload.readableBytes == 0 else {
                    throw ProtocolViolation(.settingsError, "SETTINGS ACK with a payload")
                }
                return
            }
            peerSettings = try ConnectionSettings.decode(frame.payload)
            context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, flags: .ack, streamID: 0)), promise: nil)
        case .ping:
            guard frame.streamID == 0, frame.payload.readableBytes == 8 else {
                throw ProtocolViolation(.protocolError, "PING must be 8 bytes on stream 0")
            }
            if !frame.flags.contains(.ack) {
                context.writeAndFlush(wrapOutboundOut(Frame(type: .ping, flags: .ack, streamID: 0, payload: frame.payload)), promise: nil)
            }
        case .goAway:
            guard frame.streamID == 0 else { throw ProtocolViolation(.protocolError, "GOAWAY on stream \(frame.streamID)") }
            // The client is leaving: finish what runs, then close.
            draining = true
            closeIfDrained(context: context)
        case .headers:
            try openStream(frame, context: context)
        case .message:
            try startCall(frame, context: context)
        case .cancel:
            guard frame.streamID != 0, frame.payload.readableBytes == 4 else {
                throw ProtocolViolation(.protocolError, "CANCEL needs a stream and a 4-byte code")
            }
            if let stream = streams.removeValue(forKey: frame.streamID) {
                // The client has given up on it: no STATUS goes back.
                end(frame.streamID, stream, InferenceError(.cancelled, "cancelled by the client"), answer: false, context: context)
            }
        case .status:
            throw ProtocolViolation(.protocolError, "STATUS frames go from server to client")
        default:
            return  // Unknown frame types are ignored, so that later versions can add some.
        }
    }

    private func openStream(_ frame: Frame, context: ChannelHandlerContext) throws(ProtocolViolation) {
        let id = frame.streamID
        guard id % 2 == 1, id > lastStreamID else {
            throw ProtocolViolation(.protocolError, "stream id \(id) is not odd and above \(lastStreamID)")
        }
        lastStreamID = id
        var headers: RequestHeaders
        do {
            headers = try RequestHeaders(decoding: frame.payload)
        } catch {
            refuse(id, RequestHeaders(), InferenceError(.invalidArgument, "malformed RequestHeaders: \(error)"), context: context)
            return
        }
        if headers.requestID.isEmpty {
            headers.requestID = String(UInt64.random(in: 1 ... .max), radix: 16)
        }
        if draining {
            refuse(id, headers, InferenceError(.unavailable, "server is shutting down"), context: context)
            return
        }
        guard streams.count < Int(settings.maxConcurrentStreams) else {
            refuse(id, headers, InferenceError(.resourceExhausted, "more than \(settings.maxConcurrentStreams) concurrent streams"), context: context)
            return
        }
        var stream = Stream(headers: headers, started: .now())
        // The deadline runs from HEADERS (docs/PROTOCOL.md §6), so a stream whose message never
        // comes still ends.
        if headers.timeoutMilliseconds > 0 {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let timeout = TimeAmount.milliseconds(Int64(clamping: headers.timeoutMilliseconds))
            stream.deadline = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.expire(id)
            }
        }
        streams[id] = stream
        metrics.streamOpened()
    }

    private func startCall(_ frame: Frame, context: ChannelHandlerContext) throws(ProtocolViolation) {
        let id = frame.streamID
        guard var stream = streams[id] else {
            // A stream that already ended (deadline, refusal, cancel): late frames are normal.
            guard id <= lastStreamID, id != 0 else {
                throw ProtocolViolation(.protocolError, "MESSAGE on stream \(id), which was never opened")
            }
            return
        }
        guard stream.task == nil else {
            streams[id] = nil
            end(id, stream, InferenceError(.invalidArgument, "a stream carries exactly one request message"), context: context)
            return
        }
        guard frame.flags.contains(.endStream) else {
            streams[id] = nil
            end(id, stream, InferenceError(.invalidArgument, "the request message must carry END_STREAM: v1 has no client streaming"), context: context)
            return
        }
        let headers = stream.headers
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let dispatcher = self.dispatcher
        let payload = frame.payload
        stream.task = Task(executorPreference: callExecutor(context.eventLoop)) {
            let status: InferenceError?
            do throws(InferenceError) {
                try await dispatcher.dispatch(headers: headers, payload: payload) { message in
                    // Hands the message to the loop, and waits while the socket is not writable:
                    // a streaming call cannot queue more than one message past the watermark.
                    await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
                        eventLoop.execute { loopBound.value.writeMessage(id, message, then: resume) }
                    }
                }
                status = nil
            } catch {
                status = error
            }
            eventLoop.execute { loopBound.value.finish(id, status) }
        }
        streams[id] = stream
    }

    private var executor: EventLoopTaskExecutor?

    /// The executor calls on this connection prefer: its event loop (see EventLoopTaskExecutor).
    private func callExecutor(_ eventLoop: EventLoop) -> EventLoopTaskExecutor {
        if let executor { return executor }
        let made = EventLoopTaskExecutor(eventLoop)
        executor = made
        return made
    }

    /// Continuations of calls waiting for the socket to become writable again.
    private var writabilityWaiters: [CheckedContinuation<Void, Never>] = []

    private func writeMessage(_ id: UInt32, _ message: ByteBuffer, then resume: CheckedContinuation<Void, Never>) {
        defer {
            if let context, context.channel.isActive, !context.channel.isWritable {
                writabilityWaiters.append(resume)
            } else {
                resume.resume()
            }
        }
        guard let context, let stream = streams[id] else { return }
        let limit = peerSettings?.maxFrameSize ?? ConnectionSettings.default.maxFrameSize
        guard message.readableBytes <= limit else {
            streams[id] = nil
            let error = InferenceError(.resourceExhausted, "response of \(message.readableBytes) bytes exceeds the client's MAX_FRAME_SIZE \(limit)")
            end(id, stream, error, context: context)
            return
        }
        metrics.bytesSent(Frame.headerSize + message.readableBytes)
        context.write(wrapOutboundOut(Frame(type: .message, streamID: id, payload: message)), promise: nil)
        scheduleFlush(context: context)
    }

    /// Whether a flush is already queued on the event loop.
    private var flushScheduled = false
    private var flushes = ReadBatchedFlush()

    /// Responses written during one turn of the event loop leave in one flush (one writev), not
    /// one each: at 45,000 calls/s two flushes per call were a third of the server's CPU.
    /// Frames written while reading (refusals, errors) go when the read is over.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !flushes.deferredToEndOfRead(), !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { loopBound.value.flushNow() }
    }

    private func flushNow() {
        flushScheduled = false
        context?.flush()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushes.readEnded(context: context)
        context.fireChannelReadComplete()
    }

    private func finish(_ id: UInt32, _ error: InferenceError?) {
        guard let context, let stream = streams.removeValue(forKey: id) else { return }
        end(id, stream, error, context: context)
    }

    /// Ends an open stream, already taken out of `streams`: stops its work and deadline,
    /// answers STATUS (not to a client's CANCEL), records it, and closes a drained connection.
    private func end(_ id: UInt32, _ stream: Stream, _ error: InferenceError?, answer: Bool = true, context: ChannelHandlerContext) {
        stream.task?.cancel()
        stream.deadline?.cancel()
        if answer { writeStatus(id, error, requestID: stream.headers.requestID, context: context) }
        record(stream.headers, error?.code ?? .ok, since: stream.started, stream: true, message: error?.message)
        closeIfDrained(context: context)
    }

    /// Refuses a stream before it was opened: STATUS and a record, nothing to stop.
    private func refuse(_ id: UInt32, _ headers: RequestHeaders, _ error: InferenceError, context: ChannelHandlerContext) {
        writeStatus(id, error, requestID: headers.requestID, context: context)
        record(headers, error.code, since: .now(), stream: false, message: error.message)
    }

    /// Metrics and a debug log line for every finished stream (warnings for server-side faults).
    private func record(_ headers: RequestHeaders, _ code: StatusCode, since started: NIODeadline, stream: Bool, message: String? = nil) {
        if stream { metrics.streamClosed() }
        let duration = NIODeadline.now() - started
        // Only registered models and known methods become label values: clients must not be
        // able to grow the metrics without bound.
        let model = dispatcher.registry.isRegistered(headers.modelName) ? headers.modelName : (headers.modelName.isEmpty ? "" : "_other")
        let method = Method.all.contains(headers.method) ? headers.method : .unspecified
        metrics.finished(method: method, model: model, code: code, duration: duration)
        let level: Logger.Level = code == .internal || code == .unknown || code == .dataLoss ? .warning : .debug
        logger.log(level: level, "stream finished", metadata: [
            "request_id": "\(headers.requestID)", "method": "\(headers.method)", "model": "\(headers.modelName)",
            "code": "\(code)", "ms": "\(duration.nanoseconds / 1_000_000)",
        ].merging(message.map { ["message": "\($0)"] } ?? [:]) { first, _ in first })
    }

    private func expire(_ id: UInt32) {
        guard let context, let stream = streams.removeValue(forKey: id) else { return }
        end(id, stream, InferenceError(.deadlineExceeded, "deadline of \(stream.headers.timeoutMilliseconds) ms exceeded"), context: context)
    }

    /// The last write's future: a drain closes the connection only once it has completed, so
    /// that a finished response is not thrown away with the pending writes.
    private var lastWrite: EventLoopFuture<Void>?

    private func writeStatus(_ id: UInt32, _ error: InferenceError?, requestID: String, context: ChannelHandlerContext) {
        // Messages echo client-chosen strings (model names, ids): bounded, so that a STATUS stays
        // far below any client's MAX_FRAME_SIZE (at least 16 KiB).
        var status = WireStatus(
            code: error?.code.rawValue ?? 0, message: String((error?.message ?? "").utf8.prefix(4096)) ?? "",
            details: (error?.details ?? [:]).mapValues { String($0.utf8.prefix(1024)) ?? "" })
        if !requestID.isEmpty { status.details["request_id"] = String(requestID.utf8.prefix(1024)) ?? "" }
        metrics.bytesSent(Frame.headerSize + status.encodedSize)
        lastWrite = context.write(
            wrapOutboundOut(Frame(type: .status, streamID: id, payload: ByteBuffer(bytes: status.serializedBytes()))))
        scheduleFlush(context: context)
    }

    /// Graceful shutdown: GOAWAY, no new streams, close once the running ones are done.
    func drain() {
        guard let context, !draining else { return }
        draining = true
        let goAway = GoAway(lastStreamID: lastStreamID, code: .noError, message: "server shutting down")
        lastWrite = context.writeAndFlush(wrapOutboundOut(Frame(type: .goAway, streamID: 0, payload: goAway.encode())))
        closeIfDrained(context: context)
    }

    /// The drain timeout passed: the streams still running end with UNAVAILABLE, then the
    /// connection closes.
    func abortRemaining() {
        guard let context else { return }
        let open = streams
        streams.removeAll()
        for (id, stream) in open {
            end(id, stream, InferenceError(.unavailable, "server shut down before the call finished"), context: context)
        }
        context.close(promise: nil)
    }

    private func closeIfDrained(context: ChannelHandlerContext) {
        guard draining && streams.isEmpty else { return }
        let channel = context.channel
        if let lastWrite {
            lastWrite.whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }

    /// A protocol violation ends the connection: GOAWAY with the reason, then close. Other
    /// connections are untouched.
    private func fail(_ error: Error, context: ChannelHandlerContext) {
        let violation = error as? ProtocolViolation ?? ProtocolViolation(.internalError, "\(error)")
        logger.notice("closing connection: \(violation)")
        let goAway = GoAway(lastStreamID: lastStreamID, code: violation.code, message: violation.message)
        for stream in streams.values {
            stream.task?.cancel()
            stream.deadline?.cancel()
            metrics.streamClosed()
        }
        streams.removeAll()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(Frame(type: .goAway, streamID: 0, payload: goAway.encode())))
            .whenComplete { _ in channel.close(promise: nil) }
        // A peer that does not read would keep the GOAWAY (and the connection) pending forever.
        context.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }
}
