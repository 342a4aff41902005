import InferWireCore
import InferenceService
import NIOCore
import NIOHTTP1

/// The HTTP door's hot routes, `POST /v2/models/{m}[/versions/{v}]/infer` (and `generate`) and
/// plain (not streamed) `POST /v1/chat/completions`, answered in the channel's own callbacks,
/// right after NIO's HTTP/1 codec. Measured on this
/// machine under wrk: a bare NIO HTTP/1.1 answer costs 24 µs of server CPU, the same exchange
/// through Hummingbird's conversions, router and async channel 63–79 µs; this handler skips
/// that part for the routes that carry the load. Everything else (other routes, streams,
/// `Expect: 100-continue`, chunked bodies, bodies over the limit; a `/v1` body that asks for a
/// stream or does not parse is handed over whole once read) goes on to Hummingbird unchanged;
/// through `V2InferCall` and `OpenAIChatCall` the two answer a call alike.
///
/// The connection's promises are kept across the two ways in:
/// - **order**: a request is taken here only when nothing is pending in Hummingbird; while this
///   handler serves one, later requests wait (their bytes held, reading paused) and are
///   replayed after its answer, so pipelined answers leave in request order;
/// - **idle timeout**: kept here for the whole connection (Hummingbird's is off): a connection
///   with no traffic for the timeout (counted from the last bytes read or the last answer) while
///   idle or mid-request is closed, one waiting for an answer is not;
/// - **request timeout**: a request whose head and body have not all arrived this long after
///   its head did (a body trickled a byte at a time keeps a connection from being idle, not
///   from this) is answered 408 and the connection closed, on either way in;
/// - **drain**: on `ChannelShouldQuiesceEvent` a call in progress here finishes, its answer says
///   `connection: close`, then the connection closes; otherwise the event goes on to Hummingbird;
/// - **metrics**: the same `inferwire_http_requests_total` labels as the route would give.
final class FastInferHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Settings: Sendable {
        var dataPlane: DataPlane
        var metrics: ServerMetrics
        var maxBodyBytes: Int
        var idleTimeout: Duration
        var requestTimeout: Duration
    }

    private enum Kind {
        case v2(model: String, version: String)
        case openAIChat
    }

    private struct Call {
        var head: HTTPRequestHead
        var kind: Kind
        var route: String
        var body: ByteBuffer
        var started: ContinuousClock.Instant
    }

    /// What goes back: status, body and the headers that describe it.
    private struct Reply: Sendable {
        var status: Int
        var contentType: String
        var inferenceHeaderLength: Int?
        var body: ByteBuffer
        /// A rate limit's `Retry-After` seconds.
        var retryAfter: String?
    }

    private enum Mode {
        case idle
        case collecting(Call)
        case serving
    }

    private let settings: Settings
    private let executor: EventLoopTaskExecutor
    private var mode = Mode.idle
    /// Requests handed to Hummingbird whose answer has not ended yet.
    private var forwardedOpen = 0
    /// A handed-over request's body is still arriving.
    private var forwardedReading = false
    /// Parts that arrived while a call was being served here, in order.
    private var held: [HTTPServerRequestPart] = []
    private var readPending = false
    private var quiescing = false
    private var lastActivity = ContinuousClock.now
    private var idleCheck: Scheduled<Void>?
    /// When the head of the request being read arrived; nil between requests.
    private var readingSince: ContinuousClock.Instant?

    init(settings: Settings, eventLoop: EventLoop) {
        self.settings = settings
        executor = EventLoopTaskExecutor(eventLoop)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = .now
        scheduleIdleCheck(context, after: settings.idleTimeout)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context, after: settings.idleTimeout) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now
        let part = unwrapInboundIn(data)
        if case .serving = mode {
            held.append(part)
        } else {
            take(part, context: context)
        }
    }

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            readingSince = .now
            if idleCheck == nil || settings.requestTimeout < settings.idleTimeout { scheduleIdleCheck(context, after: settings.requestTimeout) }
            if forwardedOpen == 0, !quiescing, case .idle = mode, let (kind, route) = fastRoute(head) {
                var body = context.channel.allocator.buffer(capacity: 0)
                if let length = head.headers.first(name: "content-length").flatMap(Int.init) { body.reserveCapacity(length) }
                mode = .collecting(Call(head: head, kind: kind, route: route, body: body, started: .now))
            } else {
                forwardedOpen += 1
                forwardedReading = true
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body(var bytes):
            if case .collecting(var call) = mode {
                mode = .idle  // the buffer is uniquely held while it grows
                call.body.writeBuffer(&bytes)
                mode = .collecting(call)
            } else {
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .end:
            readingSince = nil
            if case .collecting(let call) = mode {
                serve(call, context: context)
            } else {
                forwardedReading = false
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    /// The route this handler answers, with the labels of the route Hummingbird would match;
    /// nil hands the request to Hummingbird.
    private func fastRoute(_ head: HTTPRequestHead) -> (kind: Kind, route: String)? {
        guard head.method == .POST, !head.headers.contains(name: "expect"), !head.headers.contains(name: "transfer-encoding"),
            let length = head.headers.first(name: "content-length").flatMap(Int.init), length <= settings.maxBodyBytes
        else { return nil }
        let path = head.uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { head.uri[..<$0] } ?? head.uri[...]
        // Percent-escapes and the like: Hummingbird's router decodes them.
        guard !path.utf8.contains(UInt8(ascii: "%")) else { return nil }
        if path == "/v1/chat/completions" { return (.openAIChat, "/v1/chat/completions") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 7, parts[0].isEmpty, parts[1] == "v2", parts[2] == "models", !parts[3].isEmpty,
            let action = parts.last, action == "infer" || action == "generate"
        else { return nil }
        if parts.count == 5 { return (.v2(model: String(parts[3]), version: ""), "/v2/models/{model}/\(action)") }
        guard parts[4] == "versions", !parts[5].isEmpty else { return nil }
        return (.v2(model: String(parts[3]), version: String(parts[5])), "/v2/models/{model}/versions/{version}/\(action)")
    }

    // MARK: Serving

    private func serve(_ call: Call, context: ChannelHandlerContext) {
        let dataPlane = settings.dataPlane
        let authorization = call.head.headers.first(name: "authorization") ?? ""
        let work: @Sendable () async -> Reply
        switch call.kind {
        case .v2(let model, let version):
            let input = V2InferCall.Input(
                model: model, version: version, body: call.body,
                inferenceHeaderLength: call.head.headers.first(name: V2InferCall.inferenceHeaderLengthName),
                authorization: authorization, requestIDHeader: call.head.headers.first(name: "x-request-id"))
            work = {
                do throws(InferenceError) {
                    let answer = try await V2InferCall.answer(input, dataPlane: dataPlane)
                    return Reply(status: 200, contentType: answer.contentType, inferenceHeaderLength: answer.inferenceHeaderLength, body: answer.body)
                } catch {
                    return Reply(
                        status: V2InferCall.httpStatus(error.code), contentType: "application/json", body: V2InferCall.errorBody(error.message),
                        retryAfter: error.details[InferenceError.retryAfterKey])
                }
            }
        case .openAIChat:
            // A stream, or a body that does not parse, is the route's to answer: handed over whole.
            guard let document = try? OpenAIChatCall.parse(call.body), document["stream"] != .bool(true) else {
                return handOver(call, context: context)
            }
            work = {
                do {
                    let prepared = try await OpenAIChatCall.prepare(document, authorization: authorization, dataPlane: dataPlane)
                    return Reply(status: 200, contentType: "application/json", body: try await prepared.complete(dataPlane: dataPlane))
                } catch {
                    let error = error as? InferenceError ?? InferenceError(.internal, "\(error)")
                    let failure = OpenAIChatCall.error(error)
                    return Reply(
                        status: failure.status, contentType: "application/json", body: failure.body,
                        retryAfter: error.details[InferenceError.retryAfterKey])
                }
            }
        }
        mode = .serving
        let promise = context.eventLoop.makePromise(of: Reply.self)
        // The call runs as a task on this connection's event loop, like the binary door's calls.
        Task(executorPreference: executor) { promise.succeed(await work()) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { reply in
            let (handler, context) = bound.value
            handler.answer(reply, to: call, context: context)
        }
    }

    /// A request read here that the route must answer after all: passed on as it came.
    private func handOver(_ call: Call, context: ChannelHandlerContext) {
        mode = .idle
        forwardedOpen += 1
        context.fireChannelRead(wrapInboundOut(.head(call.head)))
        context.fireChannelRead(wrapInboundOut(.body(call.body)))
        context.fireChannelRead(wrapInboundOut(.end(nil)))
        // A drain that began while it was read here was held back: the route must hear of it
        // now, or the connection stays open after its answer.
        if quiescing { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    private func answer(_ reply: Reply, to call: Call, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        let status = HTTPResponseStatus(statusCode: reply.status)
        headers.add(name: "content-type", value: reply.contentType)
        if let length = reply.inferenceHeaderLength { headers.add(name: V2InferCall.inferenceHeaderLengthName, value: String(length)) }
        if let seconds = reply.retryAfter { headers.add(name: "retry-after", value: seconds) }
        headers.add(name: "content-length", value: String(reply.body.readableBytes))
        headers.add(name: "server", value: "inferwire")
        let close = !call.head.isKeepAlive || quiescing
        if close { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: call.head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
        settings.metrics.httpFinished(route: call.route, method: "POST", status: reply.status, duration: .now - call.started)
        mode = .idle
        lastActivity = .now  // idleness counts from the answer, not from the request
        guard !close else {
            held.removeAll()
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // What arrived meanwhile, in order; another call taken here holds the rest again.
        let waiting = held
        held.removeAll()
        for (index, part) in waiting.enumerated() {
            if case .serving = mode {
                held.append(contentsOf: waiting[index...])
                break
            }
            take(part, context: context)
        }
        // Hummingbird's async channel delivers what it was handed at the end of a read cycle.
        if !waiting.isEmpty { context.fireChannelReadComplete() }
        if case .serving = mode { return }
        if readPending {
            readPending = false
            context.read()
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's answers pass by: count the ends to know when nothing is pending there.
        if case .end = unwrapOutboundIn(data) {
            forwardedOpen = max(0, forwardedOpen - 1)
            lastActivity = .now
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        // While a call is served here, later requests are not read (they would only pile up).
        if case .serving = mode {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Drain and idle

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        // Mid-call here, the connection closes after this handler's answer instead.
        if case .idle = mode { context.fireUserInboundEventTriggered(event) }
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, after delay: Duration) {
        idleCheck?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            let (handler, context) = bound.value
            handler.checkIdle(context)
        }
    }

    private func checkIdle(_ context: ChannelHandlerContext) {
        idleCheck = nil
        guard context.channel.isActive else { return }
        // Waiting for an answer (here or in Hummingbird) is not idleness: the runtime may be slow.
        let waiting: Bool = switch mode {
        case .serving: true
        case .collecting: false
        case .idle: forwardedOpen > 0 && !forwardedReading
        }
        let quiet = ContinuousClock.now - lastActivity
        if let readingSince, ContinuousClock.now - readingSince >= settings.requestTimeout {
            requestTimedOut(context)
        } else if waiting {
            scheduleIdleCheck(context, after: settings.idleTimeout)
        } else if quiet >= settings.idleTimeout {
            context.close(promise: nil)
        } else {
            let untilRequestTimeout = readingSince.map { settings.requestTimeout - (ContinuousClock.now - $0) } ?? settings.idleTimeout
            scheduleIdleCheck(context, after: min(settings.idleTimeout - quiet, untilRequestTimeout))
        }
    }

    /// 408 with V2's error body, then close: what was read of the request is dropped (the route
    /// it was forwarded to, if any, fails on the closed channel).
    private func requestTimedOut(_ context: ChannelHandlerContext) {
        let seconds = Double(settings.requestTimeout.components.seconds) + Double(settings.requestTimeout.components.attoseconds) / 1e18
        let body = V2InferCall.errorBody("the request was not received within \(seconds.formatted()) s (request timeout)")
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        headers.add(name: "server", value: "inferwire")
        settings.metrics.httpFinished(route: "request timeout", method: "", status: 408, duration: .zero)
        mode = .serving  // nothing more is read on this connection
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .requestTimeout, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
