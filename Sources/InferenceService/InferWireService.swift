import ServiceLifecycle

/// The running server as a swift-service-lifecycle `Service`: it serves until the group's
/// graceful shutdown (SIGTERM, SIGINT), then drains: GOAWAY, running streams finish for up to
/// `drainTimeoutSeconds`, then the sockets close. Task cancellation skips the wait.
public struct InferWireService: Service {
    public let server: InferWireServer
    private let onDrain: @Sendable () -> Void

    public init(server: InferWireServer, onDrain: @escaping @Sendable () -> Void = {}) {
        self.server = server
        self.onDrain = onDrain
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            await server.shutdown(timeout: .zero)
            return
        }
        onDrain()
        await server.shutdown(timeout: .milliseconds(Int64(server.settings.drainTimeoutSeconds * 1000)))
    }
}
