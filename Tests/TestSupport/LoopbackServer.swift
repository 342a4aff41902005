import InferWireClient
import InferWireCore
import InferenceService

/// An InferWire server on 127.0.0.1 (ephemeral port, no metrics server) over a model
/// repository folder, with a connected client; both are closed when `body` returns or throws.
public enum LoopbackServer {
    public struct NoPort: Error {}

    public static func with(
        repository: String, runtimes: RuntimeFactory, _ body: (InferWireClient, InferWireServer) async throws -> Void
    ) async throws {
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = repository
        let server = try await InferWireServer.start(settings: settings, runtimes: runtimes)
        let client: InferWireClient
        do {
            guard let port = server.server.localAddress?.port else { throw NoPort() }
            client = try await InferWireClient.connect(host: "127.0.0.1", port: port)
        } catch {
            await server.shutdown(timeout: .zero)
            throw error
        }
        do {
            try await body(client, server)
        } catch {
            await client.close()
            await server.shutdown(timeout: .zero)
            throw error
        }
        await client.close()
        await server.shutdown(timeout: .zero)
    }
}
