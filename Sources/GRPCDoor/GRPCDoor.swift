import GRPCCore
import InferenceService
import NIOCore
import NIOPosix
import ProtoWire
import ServiceLifecycle

/// The gRPC door: `inference.GRPCInferenceService` over HTTP/2 on MLServer's port 8081:
/// grpc-swift 2's core (server, router, services) on a transport of our own over swift-nio-http2
/// (`GRPCFrameTransport`), messages coded by ProtoWire. A swift-service-lifecycle
/// `Service`: a graceful shutdown stops new RPCs and lets running ones finish. It also serves
/// `grpc.health.v1.Health` for Kubernetes' gRPC probes.
public struct GRPCDoor: Service {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        /// The largest request message, in bytes (RESOURCE_EXHAUSTED above it).
        public var maxMessageBytes: Int
        /// A connection with no RPC for this long gets GOAWAY and is closed (grpc-swift's default: never).
        public var idleTimeout: Duration
        /// RPCs one connection may run at once, advertised as HTTP/2's MAX_CONCURRENT_STREAMS
        /// (grpc-swift's default: no limit).
        public var maxConcurrentStreams: Int
        /// From accept to the client's HTTP/2 preface (TLS handshake included): closed past it.
        public var handshakeTimeout: Duration
        /// ModelInfer run by the transport itself (`GRPCDirectMethod`); false: through grpc-swift's
        /// core as every other method (the same answers: tests run both ways).
        public var directModelInfer: Bool

        public static let defaultPort = 8081

        public init(
            host: String = "0.0.0.0", port: Int = defaultPort, maxMessageBytes: Int = 64 << 20, idleTimeout: Duration = .seconds(60),
            maxConcurrentStreams: Int = 1024, handshakeTimeout: Duration = .seconds(10), directModelInfer: Bool = true
        ) {
            self.host = host
            self.port = port
            self.maxMessageBytes = maxMessageBytes
            self.idleTimeout = idleTimeout
            self.maxConcurrentStreams = maxConcurrentStreams
            self.handshakeTimeout = handshakeTimeout
            self.directModelInfer = directModelInfer
        }
    }

    private let transport: GRPCFrameTransport
    private let server: GRPCServer<GRPCFrameTransport>
    private let onRunning: @Sendable (Int) async -> Void
    private let draining = DrainFlag()

    public init(dataPlane: DataPlane, settings: Settings, tls: TLSFiles? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let limits = DecodingLimits(maxMessageSize: settings.maxMessageBytes)
        let services: [any RegistrableRPCService] = [
            InferenceGRPCService(dataPlane: dataPlane, limits: limits),
            HealthGRPCService(dataPlane: dataPlane, draining: draining),
        ]
        transport = GRPCFrameTransport(
            settings: .init(
                host: settings.host, port: settings.port, maxMessageBytes: settings.maxMessageBytes, idleTimeout: settings.idleTimeout,
                maxConcurrentStreams: settings.maxConcurrentStreams, handshakeTimeout: settings.handshakeTimeout,
                singleResponseMethods: Set(InferenceGRPCService.unaryMethods.map { "\(InferenceGRPCService.service)/\($0)" } + ["\(HealthGRPCService.service)/Check"]),
                direct: settings.directModelInfer ? ["/\(InferenceGRPCService.service)/ModelInfer": InferenceGRPCService.directModelInfer(dataPlane, limits: limits)] : [:]),
            tls: tls)
        server = GRPCServer(transport: transport, services: services)
        self.onRunning = onRunning
    }

    public func run() async throws {
        let server = self.server
        let transport = self.transport
        let onRunning = self.onRunning
        let draining = self.draining
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    // Whatever ends `serve`, nobody waits for a port any more.
                    defer { transport.stopReportingPort() }
                    do {
                        try await server.serve()
                    } catch let error as RuntimeError where error.code == .serverIsStopped {
                        // A graceful shutdown before the server started: nothing to serve.
                    }
                }
                group.addTask {
                    if let port = try? await transport.listeningPort { await onRunning(port) }
                }
            }
        } onGracefulShutdown: {
            // Health answers NOT_SERVING (and Watch streams end) before new RPCs are refused.
            draining.set()
            server.beginGracefulShutdown()
        }
    }
}
