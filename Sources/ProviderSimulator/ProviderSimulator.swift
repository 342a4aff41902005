import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for OpenAI (and Azure OpenAI) and Gemini on loopback: their endpoints, JSON
/// shapes, SSE framing, validations and error bodies, with deterministic answers that say what
/// arrived (see `Reply`), a log of what each request carried (`log`, also served as
/// `GET /_simulator/requests`), and faults on request or by configuration.
///
/// Routes: `POST /v1/chat/completions`; `POST /openai/deployments/{d}/chat/completions?api-version=…`;
/// `POST /v1beta|v1/models/{m}:generateContent|:streamGenerateContent`.
/// Per-request headers: `x-simulator-fault` (a `SimulatedFault`), `x-simulator-latency-ms`
/// (delay before the answer's first byte), `x-simulator-chunk-delay-ms` (between stream
/// events), `x-simulator-retry-after` (seconds a 429 asks for, default 1). The model (or Azure deployment) "missing" answers 404.
public final class ProviderSimulator: Sendable {
    public struct Configuration: Sendable {
        public var openAIKey: String
        public var geminiKey: String
        /// Defaults for requests without the matching header.
        public var latencyMilliseconds: Int64
        public var chunkDelayMilliseconds: Int64
        public var fault: SimulatedFault?

        public init(
            openAIKey: String = "sim-openai-key", geminiKey: String = "sim-gemini-key",
            latencyMilliseconds: Int64 = 0, chunkDelayMilliseconds: Int64 = 0, fault: SimulatedFault? = nil
        ) {
            self.openAIKey = openAIKey
            self.geminiKey = geminiKey
            self.latencyMilliseconds = latencyMilliseconds
            self.chunkDelayMilliseconds = chunkDelayMilliseconds
            self.fault = fault
        }
    }

    private let channel: Channel
    /// What the requests carried, and connection counts.
    public let log: RequestLog
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: Channel, log: RequestLog) {
        self.channel = channel
        self.log = log
    }

    public static func start(
        host: String = "127.0.0.1", port: Int = 0, configuration: Configuration = Configuration(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ProviderSimulator {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SimulatorHandler(configuration: configuration, log: log))
                }
            }
            .bind(host: host, port: port).get()
        return ProviderSimulator(channel: channel, log: log)
    }

    public func close() async {
        try? await channel.close()
    }
}
