import InferWireCore
import InferWireProtocol
import Logging
import NIOCore
import ProtoWire

/// The server side of one connection, on its event loop: feeds frames to the
/// `ConnectionStateMachine` and does what it decides. Each call runs in its own Task (preferring
/// this event loop) through the `BinaryDispatcher`; its messages and its end hop back here. This
/// class owns what the state machine does not: the tasks, the timers, backpressure, flush
/// batching, metrics and logs.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    /// What a running stream holds besides its protocol state.
    private struct Call {
        var task: Task<Void, Never>?
        var deadline: Scheduled<Void>?
        /// Ends the stream if the request message does not come in time.
        var requestWait: Scheduled<Void>?
        var started: NIODeadline
    }

    private let dispatcher: BinaryDispatcher
    private let metrics: ServerMetrics
    private let timeouts: ConnectionTimeouts
    private var logger: Logger
    private var state: ConnectionStateMachine
    private var calls: [UInt32: Call] = [:]
    private var settingsSent = false
    private var context: ChannelHandlerContext?
    private var handshakeTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var lastActivity = NIODeadline.now()

    init(dispatcher: BinaryDispatcher, settings: ConnectionSettings, timeouts: ConnectionTimeouts = .default, metrics: ServerMetrics, logger: Logger) {
        self.dispatcher = dispatcher
        self.state = ConnectionStateMachine(settings: settings)
        self.timeouts = timeouts
        self.metrics = metrics
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress?.description ?? "?")"
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    /// The server speaks first (SETTINGS); the client has `handshake` to answer.
    private func start(context: ChannelHandlerContext) {
        guard !settingsSent else { return }
        settingsSent = true
        context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, streamID: 0, payload: state.settings.encode())), promise: nil)
        if timeouts.handshake > .zero {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let limit = timeouts.handshake
            handshakeTimer = context.eventLoop.scheduleTask(in: limit) {
                loopBound.value.failNow(ProtocolViolation(.timeout, "no preface and SETTINGS within \(limit.nanoseconds / 1_000_000) ms"))
            }
        }
        lastActivity = context.eventLoop.now
        scheduleIdleCheck(in: timeouts.idle, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        resumeWaiters()
        handshakeTimer?.cancel()
        idleTimer?.cancel()
        for id in state.connectionClosed() {
            stop(calls.removeValue(forKey: id))
            metrics.streamClosed()
        }
        context.fireChannelInactive()
    }

    /// Backpressure: stop reading requests while responses cannot be written.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        if context.channel.isWritable { resumeWaiters() }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        flushes.readStarted()
        let frame = unwrapInboundIn(data)
        lastActivity = context.eventLoop.now
        metrics.bytesReceived(Frame.headerSize + frame.payload.readableBytes)
        perform(state.received(frame), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        perform(state.fail(error), context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushes.readEnded(context: context)
        context.fireChannelReadComplete()
    }

    // MARK: Doing what the state machine says

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .write(let frame, let handshakeDone):
            if handshakeDone {
                handshakeTimer?.cancel()
                handshakeTimer = nil
            }
            context.write(wrapOutboundOut(frame), promise: nil)
            scheduleFlush(context: context)
        case .openStream(let id, let headers):
            open(id, headers, context: context)
        case .refuse(let id, let headers, let error):
            writeStatus(id, error, requestID: headers.requestID, context: context)
            record(headers, error.code, since: .now(), stream: false, message: error.message)
        case .startCall(let id, let headers, let payload):
            startCall(id, headers, payload, context: context)
        case .endStream(let id, let headers, let error, let answer, let closeConnection):
            let call = calls.removeValue(forKey: id)
            stop(call)
            lastActivity = context.eventLoop.now  // idle counts from the last answer too
            if answer { writeStatus(id, error, requestID: headers.requestID, context: context) }
            record(headers, error?.code ?? .ok, since: call?.started ?? .now(), stream: true, message: error?.message)
            if closeConnection { closeAfterLastWrite(context: context) }
        case .close:
            closeAfterLastWrite(context: context)
        case .fail(let violation, let ended):
            for id in ended {
                stop(calls.removeValue(forKey: id))
                metrics.streamClosed()
            }
            goAwayAndClose(violation, context: context)
        }
    }

    private func open(_ id: UInt32, _ headers: RequestHeaders, context: ChannelHandlerContext) {
        var call = Call(started: .now())
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // The deadline runs from HEADERS (docs/PROTOCOL.md §6), so a stream whose message never
        // comes still ends.
        if headers.timeoutMilliseconds > 0 {
            let milliseconds = headers.timeoutMilliseconds
            call.deadline = context.eventLoop.scheduleTask(in: .milliseconds(Int64(clamping: milliseconds))) {
                loopBound.value.expire(id, InferenceError(.deadlineExceeded, "deadline of \(milliseconds) ms exceeded"))
            }
        }
        if timeouts.requestMessage > .zero {
            let limit = timeouts.requestMessage
            call.requestWait = context.eventLoop.scheduleTask(in: limit) {
                loopBound.value.expire(id, InferenceError(.deadlineExceeded, "no request message within \(limit.nanoseconds / 1_000_000) ms of HEADERS"))
            }
        }
        calls[id] = call
        metrics.streamOpened()
    }

    private func startCall(_ id: UInt32, _ headers: RequestHeaders, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        calls[id]?.requestWait?.cancel()
        calls[id]?.requestWait = nil
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let dispatcher = self.dispatcher
        calls[id]?.task = Task(executorPreference: callExecutor(context.eventLoop)) {
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
    }

    private func stop(_ call: Call?) {
        call?.task?.cancel()
        call?.deadline?.cancel()
        call?.requestWait?.cancel()
    }

    private func finish(_ id: UInt32, _ error: InferenceError?) {
        guard let context else { return }
        perform(state.callFinished(id, error), context: context)
    }

    private func expire(_ id: UInt32, _ error: InferenceError) {
        guard let context else { return }
        perform(state.expired(id, error), context: context)
    }

    private var executor: EventLoopTaskExecutor?

    /// The executor calls on this connection prefer: its event loop (see EventLoopTaskExecutor).
    private func callExecutor(_ eventLoop: EventLoop) -> EventLoopTaskExecutor {
        if let executor { return executor }
        let made = EventLoopTaskExecutor(eventLoop)
        executor = made
        return made
    }

    // MARK: Writing

    /// Continuations of calls waiting for the socket to become writable again.
    private var writabilityWaiters: [CheckedContinuation<Void, Never>] = []

    private func resumeWaiters() {
        let waiters = writabilityWaiters
        writabilityWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    private func writeMessage(_ id: UInt32, _ message: ByteBuffer, then resume: CheckedContinuation<Void, Never>) {
        defer {
            if let context, context.channel.isActive, !context.channel.isWritable {
                writabilityWaiters.append(resume)
            } else {
                resume.resume()
            }
        }
        guard let context, state.headers(of: id) != nil else { return }
        let limit = state.peerMaxFrameSize
        guard message.readableBytes <= limit else {
            let error = InferenceError(.resourceExhausted, "response of \(message.readableBytes) bytes exceeds the client's MAX_FRAME_SIZE \(limit)")
            perform(state.callFinished(id, error), context: context)
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

    /// Metrics and a debug log line for every finished stream (warnings for server-side faults).
    private func record(_ headers: RequestHeaders, _ code: StatusCode, since started: NIODeadline, stream: Bool, message: String? = nil) {
        if stream { metrics.streamClosed() }
        let duration = NIODeadline.now() - started
        // Only registered models and known methods become label values: clients must not be
        // able to grow the metrics without bound.
        let model = dispatcher.dataPlane.registry.isRegistered(headers.modelName) ? headers.modelName : (headers.modelName.isEmpty ? "" : "_other")
        let method = Method.all.contains(headers.method) ? headers.method : .unspecified
        metrics.finished(method: method, model: model, code: code, duration: duration)
        let level: Logger.Level = code == .internal || code == .unknown || code == .dataLoss ? .warning : .debug
        logger.log(level: level, "stream finished", metadata: [
            "request_id": "\(headers.requestID)", "method": "\(headers.method)", "model": "\(headers.modelName)",
            "code": "\(code)", "ms": "\(duration.nanoseconds / 1_000_000)",
        ].merging(message.map { ["message": "\($0)"] } ?? [:]) { first, _ in first })
    }

    // MARK: Ending the connection

    /// Graceful shutdown: GOAWAY, no new streams, close once the running ones are done.
    func drain() {
        guard let context else { return }
        let (goAway, closeNow) = state.drain()
        guard let goAway else { return }
        lastWrite = context.writeAndFlush(wrapOutboundOut(Frame(type: .goAway, streamID: 0, payload: goAway.encode())))
        if closeNow { closeAfterLastWrite(context: context) }
    }

    /// The drain timeout passed: the streams still running end with UNAVAILABLE, then the
    /// connection closes.
    func abortRemaining() {
        guard let context else { return }
        for action in state.abortAll() { perform(action, context: context) }
        context.close(promise: nil)
    }

    private func closeAfterLastWrite(context: ChannelHandlerContext) {
        let channel = context.channel
        if let lastWrite {
            lastWrite.whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }

    /// Checks, when due, whether the connection has been idle (no open stream, no frame) for
    /// the whole idle timeout; one scheduled task per period, not one per frame.
    private func scheduleIdleCheck(in delay: TimeAmount, context: ChannelHandlerContext) {
        guard timeouts.idle > .zero else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: delay) { loopBound.value.checkIdle() }
    }

    private func checkIdle() {
        guard let context, context.channel.isActive else { return }
        let quiet = context.eventLoop.now - lastActivity
        guard state.openStreams == 0, quiet >= timeouts.idle else {
            scheduleIdleCheck(in: state.openStreams == 0 ? timeouts.idle - quiet : timeouts.idle, context: context)
            return
        }
        let seconds = timeouts.idle.nanoseconds / 1_000_000_000
        logger.debug("closing an idle connection")
        let goAway = GoAway(lastStreamID: state.lastStreamID, code: .noError, message: "idle for \(seconds) s")
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(Frame(type: .goAway, streamID: 0, payload: goAway.encode())))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func failNow(_ violation: ProtocolViolation) {
        guard let context else { return }
        perform(state.fail(violation), context: context)
    }

    /// A protocol violation ends the connection: GOAWAY with the reason, then close. Other
    /// connections are untouched.
    private func goAwayAndClose(_ violation: ProtocolViolation, context: ChannelHandlerContext) {
        logger.notice("closing connection: \(violation)")
        handshakeTimer?.cancel()
        idleTimer?.cancel()
        let goAway = GoAway(lastStreamID: state.lastStreamID, code: violation.code, message: violation.message)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(Frame(type: .goAway, streamID: 0, payload: goAway.encode())))
            .whenComplete { _ in channel.close(promise: nil) }
        // A peer that does not read would keep the GOAWAY (and the connection) pending forever.
        context.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }
}
