import InferWireProtocol
import NIOCore
import NIOPosix
import ProtoWire

/// Everything `inferwire serve` starts: the model repository read from disk, its models loaded,
/// and the binary protocol server over them.
public struct InferWireServer: Sendable {
    public let settings: ServerSettings
    public let registry: ModelRegistry
    public let server: BinaryServer
    /// Settings files that could not be read (their models are not served).
    public let repositoryErrors: [RepositoryError]

    public static func start(
        settings: ServerSettings, runtimes: RuntimeFactory = .builtIn,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> InferWireServer {
        let registry = ModelRegistry()
        let (models, errors) = ModelRepository(root: settings.modelRepositoryRoot).scan()
        for model in models {
            await registry.register(name: model.name, version: model.version, runtime: runtimes.runtime(for: model))
        }
        if settings.loadModelsAtStartup {
            for model in models {
                // A model that fails is listed UNAVAILABLE with its reason; the others serve.
                try? await registry.load(name: model.name)
            }
        }
        let dispatcher = Dispatcher(registry: registry, limits: DecodingLimits(maxMessageSize: Int(settings.maxFrameSize)))
        let server = try await BinaryServer.start(
            host: settings.host, port: settings.binaryPort, dispatcher: dispatcher,
            settings: settings.connectionSettings, maxConnections: settings.maxConnections, group: group)
        return InferWireServer(settings: settings, registry: registry, server: server, repositoryErrors: errors)
    }
}
