import Foundation
import NIOCore
import NIOHTTP1

/// One request as the simulations see it.
struct SimulatorRequest {
    var method: HTTPMethod
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: Data
    /// `x-simulator-fault`, else the configured fault.
    var fault: SimulatedFault?

    /// Seconds a 429 asks the client to wait (`x-simulator-retry-after`, default 1).
    var retryAfter: Int { Int(headers.first(name: "x-simulator-retry-after") ?? "") ?? 1 }
}

/// One connection of the simulator: collects a request, waits the configured latency, routes it
/// to the OpenAI or Gemini simulation, and writes the answer (streams event by event, with the
/// configured delay between events and the truncate / reset faults applied).
final class SimulatorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: ProviderSimulator.Configuration
    private let log: RequestLog
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// A request has arrived and its answer has not been fully written yet.
    private var answering = false

    init(configuration: ProviderSimulator.Configuration, log: RequestLog) {
        self.configuration = configuration
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        log.connectionOpened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.connectionClosed(midResponse: answering)
        answering = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            answering = true
            log.arrived()
            let latency = Int64(head.headers.first(name: "x-simulator-latency-ms") ?? "") ?? configuration.latencyMilliseconds
            let request = makeRequest(head)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(latency)) {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return }
                handler.write(handler.route(request), request: request, context: context)
            }
        }
    }

    private func makeRequest(_ head: HTTPRequestHead) -> SimulatorRequest {
        let components = URLComponents(string: head.uri)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let fault = head.headers.first(name: "x-simulator-fault").flatMap(SimulatedFault.init(rawValue:)) ?? configuration.fault
        return SimulatorRequest(method: head.method, path: components?.path ?? head.uri, query: query, headers: head.headers,
                                body: Data(body.readableBytesView), fault: fault)
    }

    // MARK: Routing

    private func route(_ request: SimulatorRequest) -> SimulatedResponse {
        let path = request.path
        let fault = request.fault
        if path == "/_simulator/requests" {
            if request.method == .DELETE { log.clear() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(log.requests)) ?? Data("[]".utf8)
            return .json(.ok, String(decoding: data, as: UTF8.self))
        }
        guard request.method == .POST else {
            return ProviderErrorBody.openAI(.methodNotAllowed, "Method \(request.method.rawValue) is not allowed on \(path).")
        }
        if path == "/v1/chat/completions" {
            return OpenAISimulation(request: request, api: .openAI, configuration: configuration).answer(fault: fault, log: log)
        }
        let segments = path.split(separator: "/").map(String.init)
        if segments.count == 5, segments[0] == "openai", segments[1] == "deployments", segments[3] == "chat", segments[4] == "completions" {
            return OpenAISimulation(request: request, api: .azure, configuration: configuration, deployment: segments[2]).answer(fault: fault, log: log)
        }
        if segments.count == 3, segments[0] == "v1" || segments[0] == "v1beta", segments[1] == "models" {
            let method = segments[2].split(separator: ":", maxSplits: 1).map(String.init)
            if method.count == 2, method[1] == "generateContent" || method[1] == "streamGenerateContent" {
                return GeminiSimulation(request: request, model: method[0], streaming: method[1] == "streamGenerateContent", configuration: configuration)
                    .answer(fault: fault, log: log)
            }
        }
        return .json(.notFound, #"{"error":{"code":404,"message":"Requested entity was not found: \#(path)","status":"NOT_FOUND"}}"#)
    }

    // MARK: Writing

    private func write(_ response: SimulatedResponse, request: SimulatorRequest, context: ChannelHandlerContext) {
        switch response {
        case .json(let status, let body, let extra):
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json; charset=UTF-8")
            headers.add(name: "content-length", value: "\(body.utf8.count)")
            for (name, value) in extra { headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            answering = false
        case .stream(let contentType, let pieces):
            let delay = Int64(request.headers.first(name: "x-simulator-chunk-delay-ms") ?? "") ?? configuration.chunkDelayMilliseconds
            stream(pieces, contentType: contentType, fault: request.fault, delay: delay, context: context)
        }
    }

    private func stream(_ events: [String], contentType: String, fault: SimulatedFault?, delay: Int64, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "transfer-encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        var cut = events
        if fault == .truncate || fault == .reset, cut.count > 1 {
            cut = Array(cut.prefix(cut.count / 2))
            if fault == .truncate, let last = cut.popLast() { cut.append(String(last.prefix(last.count / 2))) }
        }
        let pieces = cut
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        @Sendable func write(_ index: Int) {
            let (handler, context) = bound.value
            guard context.channel.isActive else { return }
            guard index < pieces.count else {
                handler.answering = false
                if fault == .reset {
                    context.close(promise: nil)
                } else {
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                }
                return
            }
            context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: pieces[index])))), promise: nil)
            if delay > 0 {
                context.eventLoop.scheduleTask(in: .milliseconds(delay)) { write(index + 1) }
            } else {
                write(index + 1)
            }
        }
        write(0)
    }
}
