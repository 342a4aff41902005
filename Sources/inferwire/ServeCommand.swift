import ArgumentParser
import Dispatch
import Foundation
import GRPCDoor
import HTTPDoor
import InferenceService
import Logging
import ServiceLifecycle
import UnixSignals

/// `inferwire serve`: the server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the models of a model repository: the binary protocol, V2 REST over HTTP and V2 gRPC.",
        discussion: """
            Settings are applied in this order, each overriding the one before:
              1. built-in defaults (host 0.0.0.0, binary port 8083, HTTP port 8080,
                 gRPC port 8081, repository ".")
              2. the --settings file (MLServer's settings.json: host, binary_port, http_port, grpc_port,
                 http_max_body_size, http_idle_timeout,
                 model_repository_root, load_models_at_startup, metrics_port,
                 metrics_endpoint, max_frame_size, max_concurrent_streams,
                 max_connections, drain_timeout, handshake_timeout,
                 request_message_timeout, idle_timeout)
              3. the environment: MLSERVER_<KEY> or INFERWIRE_<KEY>,
                 e.g. INFERWIRE_BINARY_PORT=9000
              4. these flags

            The repository holds one folder per model, each with a
            model-settings.json, e.g. models/echo/model-settings.json:
              {"name": "echo", "implementation": "echo"}

            On start it prints each model and its state, then
            "listening on HOST:PORT". SIGTERM or SIGINT (Ctrl-C) stops accepting
            connections (GOAWAY), lets running requests finish for up to
            drain_timeout seconds (default 30), and exits 0. SIGQUIT closes at once.

            Examples:
              inferwire serve --repository ./models
              inferwire serve --repository ./models --host 127.0.0.1 --port 9000
              inferwire serve --repository ./models --metrics-port 9100
              inferwire serve --settings settings.json
            """
    )

    @Option(help: ArgumentHelp("The model repository folder (model_repository_root).", valueName: "path"))
    var repository: String?

    @Option(help: "The address to listen on (host). Default 0.0.0.0.")
    var host: String?

    @Option(help: "The binary protocol port (binary_port); 0 picks a free one. Default 8083.")
    var port: Int?

    @Option(help: "The HTTP door's port (http_port: V2 REST); 0 picks a free one, -1 serves no HTTP. Default 8080.")
    var httpPort: Int?

    @Option(help: "The gRPC door's port (grpc_port: inference.GRPCInferenceService); 0 picks a free one, -1 serves no gRPC. Default 8081.")
    var grpcPort: Int?

    @Option(help: "The Prometheus metrics port (metrics_port); 0 picks a free one. Default 8082.")
    var metricsPort: Int?

    @Option(help: ArgumentHelp("An MLServer-style settings.json file.", valueName: "file"))
    var settings: String?

    @Option(help: ArgumentHelp("""
        auto: when a provider has no API key in the environment, its LLM models use the bundled \
        provider simulator (started on 127.0.0.1, announced on start); off: such models fail to load.
        """, valueName: "auto|off"))
    var providerSimulator = "auto"

    /// Defaults, then the settings file, then `environment`, then the flags.
    func resolveSettings(environment: [String: String]) throws -> ServerSettings {
        var resolved = ServerSettings()
        do {
            if let settings { try resolved.apply(file: settings) }
            try resolved.apply(environment: environment)
        } catch {
            throw CLIError.usage(error.description)
        }
        if let repository { resolved.modelRepositoryRoot = repository }
        if let host { resolved.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw CLIError.usage("--port must be 0...65535, got \(port)") }
            resolved.binaryPort = port
        }
        if let httpPort {
            guard (-1...65535).contains(httpPort) else { throw CLIError.usage("--http-port must be 0...65535 or -1, got \(httpPort)") }
            resolved.httpPort = httpPort
        }
        if let grpcPort {
            guard (-1...65535).contains(grpcPort) else { throw CLIError.usage("--grpc-port must be 0...65535 or -1, got \(grpcPort)") }
            resolved.grpcPort = grpcPort
        }
        if let metricsPort {
            guard (0...65535).contains(metricsPort) else { throw CLIError.usage("--metrics-port must be 0...65535, got \(metricsPort)") }
            resolved.metricsPort = metricsPort
        }
        return resolved
    }

    func run() async throws {
        MallocTuning.keepLargeBlocks(environment: ProcessInfo.processInfo.environment)
        try await runForShell { output in
            let environment = ProcessInfo.processInfo.environment
            let drain = try resolveSettings(environment: environment).drainTimeoutSeconds
            // The service group comes first: swift-service-lifecycle turns SIGTERM/SIGINT into a
            // graceful shutdown (drain) from before the first port opens, so a signal that comes
            // while the server starts is a drain, not a kill; SIGQUIT cancels (closes at once).
            var logger = Logger(label: "inferwire.lifecycle")
            logger.logLevel = .warning
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: ServeService(command: self, environment: environment, output: output))],
                gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [.sigquit], logger: logger)
            configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(drain * 1000) + 5000)
            try await ServiceGroup(configuration: configuration).run()
            output.line("stopped")
            return 0
        }
    }

    func start(environment: [String: String], output: CommandOutput) async throws -> (InferWireServer, UpstreamProviders) {
        let settings = try resolveSettings(environment: environment)
        guard ["auto", "off"].contains(providerSimulator) else { throw CLIError.usage("--provider-simulator must be auto or off") }
        let providers = try await UpstreamProviders.start(environment: environment, simulator: providerSimulator == "auto", output: output)
        let server: InferWireServer
        do {
            server = try await InferWireServer.start(settings: settings, runtimes: ServerWiring.runtimes(llm: providers.llm))
        } catch {
            throw CLIError(code: "UNAVAILABLE", message: "cannot listen on \(settings.host):\(settings.binaryPort): \(error)",
                           exitCode: 1)
        }
        for error in server.repositoryErrors {
            output.line("repository error: \(error)")
        }
        let models = await server.registry.index(readyOnly: false)
        if models.isEmpty { output.line("no models in \(settings.modelRepositoryRoot)") }
        for model in models {
            let version = model.version.isEmpty ? "" : " (version \(model.version))"
            let reason = model.reason.isEmpty ? "" : ": \(model.reason)"
            output.line("model \(model.name)\(version): \(model.state)\(reason)")
        }
        let port = server.server.localAddress?.port ?? settings.binaryPort
        if let metrics = server.metricsServer, let metricsPort = metrics.localAddress?.port {
            output.line("metrics on http://\(settings.host):\(metricsPort)\(settings.metricsEndpoint)")
        }
        if let tls = server.tls {
            output.line("TLS on every door (sha256 \(tls.fingerprint))\(tls.paths.clientCA == nil ? "" : ", client certificates required")")
        }
        output.line("listening on \(settings.host):\(port)")
        return (server, providers)
    }
}

/// What `serve` runs inside its service group: starts the server (repository, binary door,
/// metrics), then runs the doors side by side until the group's graceful shutdown, when each
/// drains: the binary door (GOAWAY, running streams finish), HTTP and gRPC (no new requests,
/// running ones finish).
struct ServeService: Service {
    let command: ServeCommand
    let environment: [String: String]
    /// A line sink, written from the doors' tasks.
    nonisolated(unsafe) let output: CommandOutput

    func run() async throws {
        let (server, providers) = try await command.start(environment: environment, output: output)
        defer { providers.shutdown() }
        let settings = server.settings
        nonisolated(unsafe) let sink = output
        let drain = settings.drainTimeoutSeconds
        let binary = InferWireService(server: server) { sink.line("received a termination signal, draining for up to \(drain)s") }
        let http = settings.httpPort < 0 ? nil : HTTPDoor(
            dataPlane: server.dataPlane,
            settings: HTTPDoorSettings(
                host: settings.host, port: settings.httpPort, maxBodyBytes: settings.httpMaxBodyBytes,
                idleTimeout: .milliseconds(Int64(settings.httpIdleTimeoutSeconds * 1000)),
                requestTimeout: .milliseconds(Int64(settings.httpRequestTimeoutSeconds * 1000))),
            metrics: server.metrics, logger: Logger(label: "inferwire.http"),
            relays: try TuningGateway.routes(providers: providers, environment: environment), tls: server.tls) { port in
            sink.line("http on \(settings.host):\(port)\(server.tls == nil ? "" : " (TLS)")")
        }
        let grpc = settings.grpcPort < 0 ? nil : GRPCDoor(
            dataPlane: server.dataPlane,
            settings: .init(
                host: settings.host, port: settings.grpcPort, maxMessageBytes: Int(settings.maxFrameSize),
                idleTimeout: .milliseconds(Int64(settings.httpIdleTimeoutSeconds * 1000)), maxConcurrentStreams: Int(settings.maxConcurrentStreams),
                handshakeTimeout: Duration(settings.timeouts.handshake)),
            tls: server.tls) { port in
            sink.line("grpc on \(settings.host):\(port)\(server.tls == nil ? "" : " (TLS)")")
        }
        // A signal that came while the server started: drain what started, open no more doors
        // (a door started after the shutdown began would never hear of it).
        guard !Task.isShuttingDownGracefully else {
            try await binary.run()
            await providers.simulator?.close()
            return
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await binary.run() }
            if let http { group.addTask { try await http.run() } }
            if let grpc { group.addTask { try await grpc.run() } }
            if let tls = server.tls {
                // SIGHUP: new connections on every door get the certificate now in the files.
                // Not a child that ends the group: it stops with the shutdown's cancellation.
                group.addTask {
                    await cancelWhenGracefulShutdown {
                        for await _ in await UnixSignalsSequence(trapping: .sighup) {
                            do {
                                try tls.reload()
                                sink.line("TLS certificate reloaded (sha256 \(tls.fingerprint))")
                            } catch {
                                sink.line("TLS reload failed, the current certificate stays: \(error)")
                            }
                        }
                    }
                }
            }
        }
        await providers.simulator?.close()
    }
}
