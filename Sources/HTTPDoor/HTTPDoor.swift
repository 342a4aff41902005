import Hummingbird
import InferenceService
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The HTTP front door (HTTP/1.1, keep-alive, pipelining-safe) on Hummingbird 2: MLServer's and
/// KServe's V2 REST routes with Triton's binary tensor extension, and an OpenAI-compatible `/v1`,
/// over the same data plane as the binary door. A swift-service-lifecycle `Service`: run it in the server's ServiceGroup and a
/// graceful shutdown stops accepting, lets in-flight requests finish, then closes.
public struct HTTPDoor: Service {
    private let application: any Service

    /// `onRunning` receives the bound port (the real one when 0 was asked for).
    public init(
        dataPlane: DataPlane, settings: HTTPDoorSettings, metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "inferwire.http"),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, relays: [RelayRoute] = [], tls: TLSFiles? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let router = Router()
        router.add(middleware: HTTPMetricsMiddleware(metrics: metrics))
        router.add(middleware: JSONErrorMiddleware())
        V2Routes(dataPlane: dataPlane, maxBodyBytes: settings.maxBodyBytes).register(on: router)
        OpenAIRoutes(dataPlane: dataPlane, maxBodyBytes: settings.maxBodyBytes).register(on: router)
        RelayRoutes(routes: relays, dataPlane: dataPlane, maxBodyBytes: settings.maxBodyBytes).register(on: router)
        application = Application(
            router: router,
            server: .http1OnEventLoops(
                fastPath: .init(dataPlane: dataPlane, metrics: metrics, maxBodyBytes: settings.maxBodyBytes, idleTimeout: settings.idleTimeout,
                    requestTimeout: settings.requestTimeout),
                tls: tls),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "inferwire"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
            eventLoopGroupProvider: .shared(group),
            logger: DeferredMetadataLogHandler.wrapping(logger))
    }

    public func run() async throws {
        try await application.run()
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
