import InferWireProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtoWire

/// The binary protocol's TCP server: accepts connections and gives each the framing handlers
/// and a `ServerConnectionHandler` over a shared `BinaryDispatcher`.
public final class BinaryServer: Sendable {
    /// The binary protocol's default port, next to MLServer's 8080 (REST), 8081 (gRPC), 8082 (metrics).
    public static let defaultPort = 8083

    private let channel: Channel
    private let connections: ConnectionSet

    /// The address the server listens on (port resolved when 0 was asked for).
    public var localAddress: SocketAddress? { channel.localAddress }

    private init(channel: Channel, connections: ConnectionSet) {
        self.channel = channel
        self.connections = connections
    }

    public static func start(
        host: String, port: Int, dispatcher: BinaryDispatcher, tls: TLSFiles? = nil,
        settings: ConnectionSettings = .default, timeouts: ConnectionTimeouts = .default, maxConnections: Int = 10_000,
        metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "inferwire.server"),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> BinaryServer {
        let connections = ConnectionSet()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard !connections.isClosed else { return channel.close() }
                guard connections.count() < maxConnections else {
                    logger.warning("refusing a connection: \(maxConnections) connections open")
                    let goAway = GoAway(lastStreamID: 0, code: .connectionLimit, message: "the server has \(maxConnections) connections open, its limit; try again later")
                    return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ConnectionRefuser(goAway)) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let handler = ServerConnectionHandler(
                        dispatcher: dispatcher, settings: settings, timeouts: timeouts, metrics: metrics, logger: logger)
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.serverHandler()) }
                    try channel.pipeline.syncOperations.addHandlers([
                        PrefaceWriter(),
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: settings.maxFrameSize)),
                        FrameEncoder(),
                        handler,
                    ])
                    connections.insert(channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                }
            }
            .bind(host: host, port: port).get()
        return BinaryServer(channel: channel, connections: connections)
    }

    /// Stops accepting, sends GOAWAY on every connection, lets running streams finish for up
    /// to `timeout`, then closes what is left.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        // Connections accepted from here on are closed at once; the rest are drained.
        connections.close()
        try? await channel.close()
        let open = connections.all()
        for (channel, handler) in open {
            channel.eventLoop.execute { handler.value.drain() }
        }
        let deadline = ContinuousClock.now + timeout
        for (channel, handler) in open {
            while channel.isActive, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if channel.isActive {
                try? await channel.eventLoop.submit { handler.value.abortRemaining() }.get()
            }
        }
    }
}

/// The open connections, for drain and the connection limit.
final class ConnectionSet: Sendable {
    private let lock = NIOLockedValueBox<[ObjectIdentifier: (Channel, NIOLoopBound<ServerConnectionHandler>)]>([:])

    func insert(_ channel: Channel, handler: NIOLoopBound<ServerConnectionHandler>) {
        lock.withLockedValue { $0[ObjectIdentifier(channel)] = (channel, handler) }
    }

    func remove(_ channel: Channel) {
        _ = lock.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func count() -> Int { lock.withLockedValue { $0.count } }

    private let closed = NIOLockedValueBox(false)
    var isClosed: Bool { closed.withLockedValue { $0 } }
    func close() { closed.withLockedValue { $0 = true } }

    func all() -> [(Channel, NIOLoopBound<ServerConnectionHandler>)] { lock.withLockedValue { Array($0.values) } }
}

/// Says why a connection is refused instead of a bare reset: the preface, GOAWAY with the
/// reason, close.
final class ConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let goAway: GoAway
    private var sent = false

    init(_ goAway: GoAway) {
        self.goAway = goAway
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    private func refuse(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        var bytes = context.channel.allocator.buffer(bytes: ConnectionPreface.bytes)
        let frame = Frame(type: .goAway, streamID: 0, payload: goAway.encode())
        frame.writeHeader(into: &bytes)
        bytes.writeImmutableBuffer(frame.payload)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}  // Whatever the peer sends is dropped.
}
