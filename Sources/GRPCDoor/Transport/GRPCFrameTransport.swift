import GRPCCore
import InferenceService
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOPosix

/// The gRPC door's transport for grpc-swift 2's core (`GRPCServer`, the router, our services
/// stay grpc-swift's): HTTP/2 from swift-nio-http2 with streams handled at the frame level by
/// `GRPCConnectionHandler`. Accepts connections (TLS with ALPN h2 when configured), hands
/// every stream to the core as it opens, and on a graceful shutdown stops accepting, sends
/// GOAWAY on every connection and returns once the last stream has ended.
final class GRPCFrameTransport: ServerTransport, Sendable {
    typealias Bytes = GRPCBytes

    struct Settings: Sendable {
        var host: String
        var port: Int
        var maxMessageBytes: Int
        var idleTimeout: Duration
        var maxConcurrentStreams: Int
        var handshakeTimeout: Duration
        /// Methods answering with one message (sent in one write: see `GRPCStreamWriter`).
        var singleResponseMethods: Set<String>
        /// Unary methods the transport runs itself, by path (see `GRPCDirectMethod`).
        var direct: [String: GRPCDirectMethod]
    }

    private struct State {
        var server: (any Channel)?
        var connections: [ObjectIdentifier: NIOLoopBound<GRPCConnectionHandler>] = [:]
        var running = 0
        var stopping = false
        var stopped: CheckedContinuation<Void, Never>?
        var methods: [String: MethodDescriptor] = [:]
        var port: Result<Int, any Error>?
        var portWaiters: [CheckedContinuation<Int, any Error>] = []

        /// Settles the listening port once; returns who was waiting for it.
        mutating func settlePort(_ result: Result<Int, any Error>) -> [CheckedContinuation<Int, any Error>] {
            guard port == nil else { return [] }
            port = result
            defer { portWaiters = [] }
            return portWaiters
        }

        /// `listen` returns once stopping, with no connection and no RPC left.
        mutating func takeStoppedIfDone() -> CheckedContinuation<Void, Never>? {
            guard stopping, connections.isEmpty, running == 0 else { return nil }
            defer { stopped = nil }
            return stopped
        }
    }

    /// Changes the state and, when that leaves nothing to wait for, lets `listen` return.
    @discardableResult
    private static func change<Value>(_ state: NIOLockedValueBox<State>, _ body: (inout State) -> Value) -> Value {
        let (value, stopped) = state.withLockedValue { state in
            let value = body(&state)
            return (value, state.takeStoppedIfDone())
        }
        stopped?.resume()
        return value
    }

    private let settings: Settings
    private let tls: TLSFiles?
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    init(settings: Settings, tls: TLSFiles?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.tls = tls
        self.group = group
    }

    /// The port listened on, once listening (fails if listening failed or never began).
    var listeningPort: Int {
        get async throws {
            try await withCheckedThrowingContinuation { waiter in
                let known = state.withLockedValue { state -> Result<Int, any Error>? in
                    if state.port == nil { state.portWaiters.append(waiter) }
                    return state.port
                }
                if let known { waiter.resume(with: known) }
            }
        }
    }

    /// Listening is over (or never began): waiters for the port get an error.
    func stopReportingPort() {
        settlePort(.failure(CancellationError()))
    }

    private func settlePort(_ result: Result<Int, any Error>) {
        for waiter in state.withLockedValue({ $0.settlePort(result) }) { waiter.resume(with: result) }
    }

    /// The server's methods by path, so a stream's path finds its descriptor without parsing.
    func configure(context: GRPCServerContext) {
        let methods = Dictionary(context.methods.map { ("/\($0.fullyQualifiedMethod)", $0) }, uniquingKeysWith: { first, _ in first })
        state.withLockedValue { $0.methods = methods }
    }

    func listen(streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void) async throws {
        let state = self.state
        // A task `listen` waits for before it returns: each RPC's, started from the event loop
        // as its stream opens (a direct method's too).
        let runCounted: @Sendable (@escaping @Sendable () async -> Void) -> Task<Void, Never> = { body in
            Self.change(state) { $0.running += 1 }
            return Task {
                await body()
                Self.change(state) { $0.running -= 1 }
            }
        }
        let accept: @Sendable (GRPCConnectionHandler.Accepted) -> Void = { rpc in
            let task = runCounted {
                await withServerContextRPCCancellationHandle { handle in
                    let context = ServerContext(descriptor: rpc.stream.descriptor, remotePeer: rpc.remotePeer, localPeer: rpc.localPeer, cancellation: handle)
                    // The core's deadline cancels the RPC's handle: that cancels the task too.
                    await withRPCCancellationHandler {
                        await streamHandler(rpc.stream, context)
                    } onCancelRPC: {
                        rpc.cancellation.cancel()
                    }
                }
            }
            rpc.cancellation.start(task)
        }
        let server: any Channel
        do {
            server = try await bootstrap(accept: accept, runDirect: runCounted).bind(host: settings.host, port: settings.port).get()
        } catch {
            settlePort(.failure(error))
            throw error
        }
        let stoppedEarly = state.withLockedValue {
            $0.server = server
            return $0.stopping
        }
        if stoppedEarly { beginGracefulShutdown() }
        settlePort(.success(server.localAddress?.port ?? settings.port))
        await withTaskCancellationHandler {
            await withCheckedContinuation { stopped in
                Self.change(state) { $0.stopped = stopped }
            }
        } onCancel: {
            self.closeAll()
        }
        try? await server.closeFuture.get()
    }

    func beginGracefulShutdown() {
        let (server, connections) = Self.change(state) {
            $0.stopping = true
            return ($0.server, Array($0.connections.values))
        }
        server?.close(promise: nil)
        for connection in connections {
            connection.eventLoop.execute { connection.value.drain() }
        }
    }

    private func closeAll() {
        let (server, connections) = Self.change(state) {
            $0.stopping = true
            return ($0.server, Array($0.connections.values))
        }
        server?.close(promise: nil)
        stopReportingPort()
        // Connections close with their pipelines; the group's event loops outlive this transport.
        for connection in connections {
            connection.eventLoop.execute { connection.value.close() }
        }
    }

    private func bootstrap(
        accept: @escaping @Sendable (GRPCConnectionHandler.Accepted) -> Void,
        runDirect: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Task<Void, Never>
    ) -> ServerBootstrap {
        let settings = self.settings
        let tls = self.tls
        let state = self.state
        let connectionSettings = GRPCConnectionHandler.Settings(
            maxMessageBytes: settings.maxMessageBytes, idleTimeout: TimeAmount(settings.idleTimeout), connectionWindow: 1 << 20, streamWindow: 1 << 20,
            singleResponseMethods: settings.singleResponseMethods, methods: state.withLockedValue { $0.methods }, direct: settings.direct)
        let http2Settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: settings.maxConcurrentStreams),
            HTTP2Setting(parameter: .initialWindowSize, value: connectionSettings.streamWindow),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 16 << 10),
        ]
        let handshake = TimeAmount(settings.handshakeTimeout)
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let tls { try operations.addHandler(tls.serverHandler(offeringHTTP2: true)) }
                    try operations.addHandler(PrefaceTimeoutHandler(timeout: handshake))
                    try operations.addHandler(NIOHTTP2Handler(mode: .server, initialSettings: http2Settings))
                    let handler = GRPCConnectionHandler(settings: connectionSettings, accept: accept, runDirect: runDirect)
                    try operations.addHandler(handler)
                    let key = ObjectIdentifier(channel)
                    let connection = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    let stopping = state.withLockedValue {
                        $0.connections[key] = connection
                        return $0.stopping
                    }
                    if stopping { handler.drain() }
                    channel.closeFuture.whenComplete { _ in
                        Self.change(state) { $0.connections[key] = nil }
                    }
                }
            }
    }
}
