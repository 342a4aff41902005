import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceService
import NIOCore
import NIOPosix
import ProtoWire
import ServiceLifecycle

/// The gRPC door: `inference.GRPCInferenceService` over HTTP/2 (grpc-swift 2 and its NIO
/// transport) on MLServer's port 8081, messages coded by ProtoWire. A swift-service-lifecycle
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

        public static let defaultPort = 8081

        public init(
            host: String = "0.0.0.0", port: Int = defaultPort, maxMessageBytes: Int = 64 << 20, idleTimeout: Duration = .seconds(60),
            maxConcurrentStreams: Int = 1024, handshakeTimeout: Duration = .seconds(10)
        ) {
            self.host = host
            self.port = port
            self.maxMessageBytes = maxMessageBytes
            self.idleTimeout = idleTimeout
            self.maxConcurrentStreams = maxConcurrentStreams
            self.handshakeTimeout = handshakeTimeout
        }
    }

    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let onRunning: @Sendable (Int) async -> Void
    private let draining = DrainFlag()

    public init(dataPlane: DataPlane, settings: Settings, tls: TLSFiles? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: settings.host, port: settings.port), transportSecurity: tls.map(Self.security) ?? .plaintext,
            config: .defaults {
                $0.rpc.maxRequestPayloadSize = settings.maxMessageBytes
                $0.connection.maxIdleTime = settings.idleTimeout
                $0.http2.maxConcurrentStreams = settings.maxConcurrentStreams
                let handshake = TimeAmount(settings.handshakeTimeout)
                $0.channelDebuggingCallbacks.onAcceptTCPConnection = { PrefaceTimeoutHandler.install(on: $0, timeout: handshake) }
            })
        server = GRPCServer(
            transport: transport,
            services: [
                InferenceGRPCService(dataPlane: dataPlane, limits: DecodingLimits(maxMessageSize: settings.maxMessageBytes), draining: draining),
                HealthGRPCService(dataPlane: dataPlane, draining: draining),
            ])
        self.onRunning = onRunning
    }

    /// The transport's TLS from the doors' files: the same certificate (asked for on every
    /// handshake, so a reload reaches this door too) and the same client CA when mutual.
    static func security(_ tls: TLSFiles) -> HTTP2ServerTransport.Posix.TransportSecurity {
        let certificate = TLSConfig.CertificateSource.file(path: tls.paths.certificateChain, format: .pem)
        let key = TLSConfig.PrivateKeySource.file(path: tls.paths.privateKey, format: .pem)
        let reloader = tls.reloader
        guard let clientCA = tls.paths.clientCA else {
            return .tls(certificateChain: [certificate], privateKey: key) { $0.certificateReloader = reloader }
        }
        // The CA file is the start's trust roots; `verifyClient` checks against the CAs of the
        // last reload instead, as the other doors do.
        let verify = tls.verifyClient
        return .mTLS(certificateChain: [certificate], privateKey: key) { config in
            config.trustRoots = .certificates([.file(path: clientCA, format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
            config.certificateReloader = reloader
            config.customVerificationCallback = verify
        }
    }

    public func run() async throws {
        let server = self.server
        let onRunning = self.onRunning
        let draining = self.draining
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    if let address = try await server.listeningAddress?.ipv4 { await onRunning(address.port) }
                }
            }
        } onGracefulShutdown: {
            // Health answers NOT_SERVING (and Watch streams end) before new RPCs are refused.
            draining.set()
            server.beginGracefulShutdown()
        }
    }
}
