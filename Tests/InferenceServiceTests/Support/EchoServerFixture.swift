import InferWireClient
import InferWireProtocol
import InferenceService
import Testing

/// A server on 127.0.0.1 with an ephemeral port and an `echo` model, and a client on it.
struct EchoServerFixture {
    let server: BinaryServer
    let client: InferWireClient
    let registry: ModelRegistry
    let port: Int

    static func start(settings: ConnectionSettings = .default, maxConnections: Int = 10_000) async throws -> EchoServerFixture {
        let registry = ModelRegistry()
        await registry.register(name: "echo", version: "1", runtime: EchoRuntime(name: "echo", version: "1"))
        try await registry.load(name: "echo")
        let server = try await BinaryServer.start(host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry)), settings: settings,
            maxConnections: maxConnections)
        let port = try #require(server.localAddress?.port)
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: port)
        return EchoServerFixture(server: server, client: client, registry: registry, port: port)
    }

    func stop() async {
        await client.close()
        await server.shutdown(timeout: .seconds(2))
    }
}

