import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire

/// A request ready to send: headers and message serialized once.
struct WirePayload {
    var headers: ByteBuffer
    var message: ByteBuffer
    var bytes: Int { headers.readableBytes + message.readableBytes }
}

/// The schedule every connection shares, in the event loops' clock (`NIODeadline` nanoseconds).
struct LoadSchedule {
    /// Calls due from here on are recorded; earlier ones are the warm-up.
    var measureFrom: UInt64
    /// No call due at or after this starts.
    var end: UInt64
}

/// Drives calls on one connection from its event loop: keeps `concurrency` in flight (closed
/// loop) or starts them when due (open loop), and records each into the loop's recorder.
/// Every method runs on the connection's event loop.
final class ConnectionDriver {
    private let client: InferWireClient
    private let payloads: [WirePayload]
    private let recorder: LoadRecorder
    private let plan: LoadPlan
    private let schedule: LoadSchedule
    /// Measured calls this connection may start (`.count` plans), nil for a timed plan.
    private let quota: Int?
    /// Open loop: nanoseconds between this connection's calls.
    private let interval: UInt64
    private var nextDue: UInt64
    private var nextPayload: Int
    private var measuredStarted = 0
    private var inFlight: [UInt32: Void] = [:]
    private var inFlightCount = 0
    private var stopped = false
    private var pumping = false
    private var timer: Scheduled<Void>?
    private let done: EventLoopPromise<Void>
    private var isDone = false

    var finished: EventLoopFuture<Void> { done.futureResult }

    init(client: InferWireClient, payloads: [WirePayload], firstPayload: Int, recorder: LoadRecorder, plan: LoadPlan,
         schedule: LoadSchedule, start: UInt64, quota: Int?, interval: UInt64) {
        self.client = client
        self.payloads = payloads
        self.nextPayload = firstPayload % payloads.count
        self.recorder = recorder
        self.plan = plan
        self.schedule = schedule
        self.quota = quota
        self.interval = interval
        self.nextDue = start
        self.done = client.eventLoop.makePromise()
    }

    func begin() {
        if plan.isOpenLoop { armTimer() } else { pump() }
    }

    /// Stops starting calls and cancels those in flight (the drain timeout ran out).
    func abort() {
        stopped = true
        timer?.cancel()
        recorder.totals.unfinished += inFlightCount
        for id in inFlight.keys { client.cancelCall(id) }
        inFlight.removeAll()
        inFlightCount = 0
        complete()
    }

    private func complete() {
        guard !isDone else { return }
        isDone = true
        done.succeed()
    }

    private var now: UInt64 { NIODeadline.now().uptimeNanoseconds }

    private func mayStart(dueAt due: UInt64) -> Bool {
        guard !stopped, due < schedule.end else { return false }
        if let quota, due >= schedule.measureFrom, measuredStarted >= quota { return false }
        return true
    }

    /// Starts every call that may start now. Re-entrant calls (a call that failed at once)
    /// return: the outer loop carries on.
    private func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        if plan.isOpenLoop {
            while inFlightCount < plan.concurrency, nextDue <= now, mayStart(dueAt: nextDue) {
                let due = nextDue
                nextDue += interval
                send(due: due)
            }
            if !mayStart(dueAt: nextDue) {
                finishIfIdle()
            } else if inFlightCount < plan.concurrency {
                armTimer()
            }
            // Otherwise the next call to end pumps again; the waiting calls keep their due time.
        } else {
            while inFlightCount < plan.concurrency {
                let due = now
                guard mayStart(dueAt: due) else { break }
                send(due: due)
            }
            finishIfIdle()
        }
    }

    private func armTimer() {
        timer?.cancel()
        timer = client.eventLoop.assumeIsolated().scheduleTask(deadline: NIODeadline.uptimeNanoseconds(nextDue)) { [self] in
            timer = nil
            pump()
        }
    }

    private func finishIfIdle() {
        guard inFlightCount == 0, !mayStart(dueAt: plan.isOpenLoop ? nextDue : now) else { return }
        stopped = true
        complete()
    }

    private func send(due: UInt64) {
        let payload = payloads[nextPayload]
        nextPayload = nextPayload + 1 == payloads.count ? 0 : nextPayload + 1
        let measured = due >= schedule.measureFrom
        if measured { measuredStarted += 1 }
        inFlightCount += 1
        let sentAt = now
        var received = 0
        var messages = 0
        var lastMessageAt: UInt64 = 0
        var streamError: String?
        let streaming = plan.streaming
        let recorder = self.recorder
        var id: UInt32?
        var ended = false
        id = client.startCall(headers: payload.headers, message: payload.message) { [self] event in
            switch event {
            case .message(let message):
                let at = now
                received += message.readableBytes
                messages += 1
                if streaming {
                    if measured {
                        if messages == 1 {
                            recorder.totals.firstMessage.record(nanoseconds: at &- due)
                        } else {
                            recorder.totals.betweenMessages.record(nanoseconds: at &- lastMessageAt)
                        }
                    }
                    lastMessageAt = at
                    // A stream reports a failed response in-band, as error_message.
                    if streamError == nil, let decoded = try? ModelStreamInferResponse(decoding: message), !decoded.errorMessage.isEmpty {
                        streamError = decoded.errorMessage
                    }
                }
            case .end(let error):
                ended = true
                let at = now
                if let id { inFlight[id] = nil }
                inFlightCount -= 1
                if measured {
                    recorder.totals.bytesReceived += received
                    recorder.totals.messagesReceived += messages
                }
                if let error {
                    recorder.intervalErrors += 1
                    if measured { recorder.recordError(error.code.description, error.message) }
                    // A dead connection fails every later call at once: stop using it.
                    if error.isConnectionFailure { stopped = true; timer?.cancel() }
                } else if let streamError {
                    recorder.intervalErrors += 1
                    if measured { recorder.recordError("STREAM_ERROR", streamError) }
                } else {
                    recorder.interval.record(nanoseconds: at &- due)
                    if measured {
                        recorder.totals.ok += 1
                        recorder.totals.latency.record(nanoseconds: at &- due)
                        recorder.totals.serviceTime.record(nanoseconds: at &- sentAt)
                    }
                }
                pump()
            }
        }
        if measured { recorder.totals.bytesSent += payload.bytes }
        if let id, !ended { inFlight[id] = () }
    }
}
