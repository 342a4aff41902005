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
        /// How long one simulated training step takes (Gemini tuning, OpenAI fine-tuning).
        public var tuningStepMilliseconds: Int64
        /// Service accounts whose JWTs the token endpoint accepts: client email → public key PEM.
        /// The simulator's own account (`GET /_simulator/service-account`) is always trusted.
        public var trustedServiceAccounts: [String: String]
        /// Access tokens the Google routes accept without an exchange (a token from a file or
        /// variable, as `gcloud auth print-access-token` gives one).
        public var accessTokens: Set<String>
        /// `expires_in` of the tokens the token endpoint issues.
        public var tokenLifetimeSeconds: Int

        public init(
            openAIKey: String = "sim-openai-key", geminiKey: String = "sim-gemini-key",
            latencyMilliseconds: Int64 = 0, chunkDelayMilliseconds: Int64 = 0, fault: SimulatedFault? = nil,
            tuningStepMilliseconds: Int64 = 200, trustedServiceAccounts: [String: String] = [:],
            accessTokens: Set<String> = ["sim-access-token"], tokenLifetimeSeconds: Int = 3599
        ) {
            self.openAIKey = openAIKey
            self.geminiKey = geminiKey
            self.latencyMilliseconds = latencyMilliseconds
            self.chunkDelayMilliseconds = chunkDelayMilliseconds
            self.fault = fault
            self.tuningStepMilliseconds = tuningStepMilliseconds
            self.trustedServiceAccounts = trustedServiceAccounts
            self.accessTokens = accessTokens
            self.tokenLifetimeSeconds = tokenLifetimeSeconds
        }
    }

    private let channel: Channel
    /// What the requests carried, and connection counts.
    public let log: RequestLog
    private let state: SimulatorState
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Access tokens the token endpoint has issued so far (a test of token caching counts them).
    public var tokensIssued: Int { state.tokensIssued }

    private init(channel: Channel, log: RequestLog, state: SimulatorState) {
        self.channel = channel
        self.log = log
        self.state = state
    }

    public static func start(
        host: String = "127.0.0.1", port: Int = 0, configuration: Configuration = Configuration(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ProviderSimulator {
        let log = RequestLog()
        let state = SimulatorState()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SimulatorHandler(configuration: configuration, log: log, state: state))
                }
            }
            .bind(host: host, port: port).get()
        return ProviderSimulator(channel: channel, log: log, state: state)
    }

    public func close() async {
        try? await channel.close()
    }
}
