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
    private let state: SimulatorState
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// A request has arrived and its answer has not been fully written yet.
    private var answering = false

    init(configuration: ProviderSimulator.Configuration, log: RequestLog, state: SimulatorState) {
        self.configuration = configuration
        self.log = log
        self.state = state
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
            let state = self.state
            let eventLoop = context.eventLoop
            context.eventLoop.scheduleTask(in: .milliseconds(latency)) {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return }
                // The first key file needs an RSA key: made off the event loop, which other
                // connections share.
                if request.path == "/_simulator/service-account", state.ownAccount() == nil {
                    DispatchQueue.global().async {
                        _ = try? state.serviceAccount()
                        eventLoop.execute {
                            let (handler, context) = bound.value
                            guard context.channel.isActive else { return }
                            handler.write(handler.route(request), request: request, context: context)
                        }
                    }
                    return
                }
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
        let segments = path.split(separator: "/").map(String.init)
        if path == "/_simulator/requests" {
            if request.method == .DELETE { log.clear() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(log.requests)) ?? Data("[]".utf8)
            return .json(.ok, String(decoding: data, as: UTF8.self))
        }
        if path == "/_simulator/service-account" {
            guard let account = try? state.serviceAccount() else {
                return .json(.internalServerError, #"{"error":"could not make a key"}"#)
            }
            let host = request.headers.first(name: "host") ?? "127.0.0.1"
            return .json(.ok, JSONText.encode(account.keyFile(tokenURI: "http://\(host)/token"), pretty: true))
        }
        if path == "/token" {
            guard request.method == .POST else { return .json(.methodNotAllowed, #"{"error":"invalid_request"}"#) }
            return GoogleOAuthSimulation(request: request, state: state, configuration: configuration).answer()
        }
        if segments.count >= 2, segments[0] == "v1", segments[1] == "files" || segments[1] == "fine_tuning"
            || (segments[1] == "models" && request.method == .DELETE) {
            return OpenAIFineTuningSimulation(request: request, state: state, configuration: configuration).answer(Array(segments.dropFirst()))
        }
        if segments.count >= 2, segments[0] == "v1" || segments[0] == "v1beta", segments[1].hasPrefix("tunedModels") {
            let rest = Array(segments.dropFirst())
            // tunedModels/{id}:generateContent is generation; everything else is the tuning API.
            if rest.count == 2, let colon = rest[1].firstIndex(of: ":") {
                let id = String(rest[1][..<colon])
                if let refusal = GeminiTuningSimulation.generationRefusal(id, state: state) { return refusal }
                return generate(request, model: "tunedModels/\(id)", method: String(rest[1][rest[1].index(after: colon)...]))
            }
            return GeminiTuningSimulation(request: request, state: state, configuration: configuration).answer(rest)
        }
        guard request.method == .POST else {
            return ProviderErrorBody.openAI(.methodNotAllowed, "Method \(request.method.rawValue) is not allowed on \(path).")
        }
        if path == "/v1/chat/completions" {
            return OpenAISimulation(request: request, api: .openAI, configuration: configuration).answer(fault: fault, log: log)
        }
        if segments.count == 5, segments[0] == "openai", segments[1] == "deployments", segments[3] == "chat", segments[4] == "completions" {
            return OpenAISimulation(request: request, api: .azure, configuration: configuration, deployment: segments[2]).answer(fault: fault, log: log)
        }
        if segments.count == 3, segments[0] == "v1" || segments[0] == "v1beta", segments[1] == "models" {
            let method = segments[2].split(separator: ":", maxSplits: 1).map(String.init)
            if method.count == 2 { return generate(request, model: method[0], method: method[1]) }
        }
        // Vertex AI: /v1|v1beta1/projects/{p}/locations/{l}/publishers/google/models/{m}:method
        if segments.count == 9, segments[0].hasPrefix("v1"), segments[1] == "projects", segments[3] == "locations",
            segments[5] == "publishers", segments[6] == "google", segments[7] == "models" {
            let method = segments[8].split(separator: ":", maxSplits: 1).map(String.init)
            if method.count == 2 { return generate(request, model: method[0], method: method[1], vertex: true) }
        }
        return .json(.notFound, #"{"error":{"code":404,"message":"Requested entity was not found: \#(path)","status":"NOT_FOUND"}}"#)
    }

    private func generate(_ request: SimulatorRequest, model: String, method: String, vertex: Bool = false) -> SimulatedResponse {
        guard request.method == .POST, method == "generateContent" || method == "streamGenerateContent" else {
            return .json(.notFound, #"{"error":{"code":404,"message":"Requested entity was not found: \#(request.path)","status":"NOT_FOUND"}}"#)
        }
        return GeminiSimulation(request: request, model: model, streaming: method == "streamGenerateContent", configuration: configuration,
                                state: state, vertex: vertex).answer(fault: request.fault, log: log)
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
        case .body(let status, let contentType, let bytes):
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: contentType)
            headers.add(name: "content-length", value: "\(bytes.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            answering = false
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
