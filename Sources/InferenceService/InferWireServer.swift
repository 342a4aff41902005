import InferWireCore
import InferWireProtocol
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ProtoWire

/// Everything `inferwire serve` starts: the model repository read from disk, its models loaded,
/// and the binary protocol server over them.
public struct InferWireServer: Sendable {
    public let settings: ServerSettings
    public let registry: ModelRegistry
    /// The typed calls every door serves.
    public let dataPlane: DataPlane
    public let server: BinaryServer
    /// Settings files that could not be read (their models are not served).
    public let repositoryErrors: [RepositoryError]
    /// Prometheus exposition on `settings.metricsPort`, unless `metricsEndpoint` is empty.
    public let metricsServer: MetricsServer?
    public let metricsRegistry: PrometheusCollectorRegistry
    /// What every door records into (the HTTP door included).
    public let metrics: ServerMetrics
    /// The doors' certificate when they speak TLS; `reload()` on SIGHUP.
    public let tls: TLSFiles?

    public static func start(
        settings: ServerSettings, runtimes: RuntimeFactory = .builtIn,
        logger: Logger = Logger(label: "inferwire"),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> InferWireServer {
        // A bad tokens file stops the start: serving without the checks it asks for is worse.
        let access = try settings.accessPolicy()
        let tls = try settings.tls.map { paths throws(RepositoryError) in try TLSFiles(paths) }
        let registry = ModelRegistry()
        let (models, errors) = ModelRepository(root: settings.modelRepositoryRoot).scan()
        let caller = RegistryModelCaller(registry: registry)
        for model in models {
            await registry.register(name: model.name, version: model.version, runtime: runtimes.runtime(for: model, caller: caller))
        }
        // A load of a model added to the repository later finds its folder (MLServer rescans too).
        let root = settings.modelRepositoryRoot
        await registry.setDiscovery { name in
            guard let model = ModelRepository(root: root).scan().models.first(where: { $0.name == name }) else { return nil }
            return (model.version, runtimes.runtime(for: model, caller: caller))
        }
        for error in errors {
            logger.error("model settings skipped: \(error)")
        }
        if settings.loadModelsAtStartup {
            for model in models {
                // A model that fails is listed UNAVAILABLE with its reason; the others serve.
                do {
                    try await registry.load(name: model.name)
                    logger.info("model loaded", metadata: ["model": "\(model.name)", "implementation": "\(model.implementation)"])
                } catch {
                    logger.error("model failed to load", metadata: ["model": "\(model.name)", "reason": "\(error.message)"])
                }
            }
        }
        let metricsRegistry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: metricsRegistry))
        let dataPlane = DataPlane(registry: registry, access: access)
        let dispatcher = BinaryDispatcher(dataPlane: dataPlane, limits: DecodingLimits(maxMessageSize: Int(settings.maxFrameSize)))
        let server = try await BinaryServer.start(
            host: settings.host, port: settings.binaryPort, dispatcher: dispatcher, tls: tls,
            settings: settings.connectionSettings, timeouts: settings.timeouts, maxConnections: settings.maxConnections,
            metrics: metrics, logger: logger, group: group)
        var metricsServer: MetricsServer?
        if !settings.metricsEndpoint.isEmpty {
            do {
                metricsServer = try await MetricsServer.start(
                    host: settings.host, port: settings.metricsPort, registry: metricsRegistry, path: settings.metricsEndpoint, group: group)
            } catch {
                await server.shutdown(timeout: .zero)
                throw error
            }
        }
        return InferWireServer(
            settings: settings, registry: registry, dataPlane: dataPlane, server: server, repositoryErrors: errors,
            metricsServer: metricsServer, metricsRegistry: metricsRegistry, metrics: metrics, tls: tls)
    }

    /// Drains the binary server (GOAWAY, running streams finish up to `timeout`) and stops the
    /// metrics server.
    public func shutdown(timeout: Duration) async {
        await server.shutdown(timeout: timeout)
        await metricsServer?.close()
    }
}
