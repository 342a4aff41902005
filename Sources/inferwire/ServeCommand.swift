import ArgumentParser
import Dispatch
import Foundation
import InferenceService

/// `inferwire serve`: the server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the models of a model repository over the binary protocol.",
        discussion: """
            Settings are applied in this order, each overriding the one before:
              1. built-in defaults (host 0.0.0.0, port 8083, repository ".")
              2. the --settings file (MLServer's settings.json: host, binary_port,
                 model_repository_root, load_models_at_startup, max_frame_size,
                 max_concurrent_streams, max_connections, drain_timeout)
              3. the environment: MLSERVER_<KEY> or INFERWIRE_<KEY>,
                 e.g. INFERWIRE_BINARY_PORT=9000
              4. these flags

            The repository holds one folder per model, each with a
            model-settings.json, e.g. models/echo/model-settings.json:
              {"name": "echo", "implementation": "echo"}

            On start it prints each model and its state, then
            "listening on HOST:PORT". SIGTERM or SIGINT (Ctrl-C) stops accepting
            connections, lets running requests finish for up to drain_timeout
            seconds (default 30), and exits 0. A second signal exits at once (1).

            Examples:
              inferwire serve --repository ./models
              inferwire serve --repository ./models --host 127.0.0.1 --port 9000
              inferwire serve --settings settings.json
            """
    )

    @Option(help: ArgumentHelp("The model repository folder (model_repository_root).", valueName: "path"))
    var repository: String?

    @Option(help: "The address to listen on (host). Default 0.0.0.0.")
    var host: String?

    @Option(help: "The binary protocol port (binary_port); 0 picks a free one. Default 8083.")
    var port: Int?

    @Option(help: ArgumentHelp("An MLServer-style settings.json file.", valueName: "file"))
    var settings: String?

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
        return resolved
    }

    func run() async throws {
        try await runForShell { output in
            // Catch the signals before the server starts, so none is missed.
            let signals = TerminationSignals()
            let server = try await start(environment: ProcessInfo.processInfo.environment, output: output)
            let signal = await signals.next()
            output.line("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), draining for up to \(server.settings.drainTimeoutSeconds)s")
            // A second signal while draining: stop waiting for running requests.
            let impatient = Task {
                let again = await signals.next()
                guard !Task.isCancelled else { return }
                printError("received \(again == SIGINT ? "SIGINT" : "SIGTERM") again, exiting without waiting")
                Foundation.exit(1)
            }
            defer { impatient.cancel() }
            await server.shutdown(timeout: .milliseconds(Int64(server.settings.drainTimeoutSeconds * 1000)))
            output.line("stopped")
            return 0
        }
    }

    /// Starts the server and prints the models and the address; the caller stops it.
    func start(environment: [String: String], output: CommandOutput) async throws -> InferWireServer {
        let settings = try resolveSettings(environment: environment)
        let server: InferWireServer
        do {
            server = try await InferWireServer.start(settings: settings)
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
        output.line("listening on \(settings.host):\(port)")
        return server
    }
}

/// SIGTERM and SIGINT delivered through Dispatch instead of killing the process.
final class TerminationSignals: @unchecked Sendable {
    private let queue = DispatchQueue(label: "inferwire.signals")
    private var sources: [DispatchSourceSignal] = []
    private var received: [Int32] = []
    private var waiter: CheckedContinuation<Int32, Never>?

    init(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in self.deliver(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Runs on `queue`.
    private func deliver(_ number: Int32) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: number)
        } else {
            received.append(number)
        }
    }

    /// Waits for the next signal.
    func next() async -> Int32 {
        await withCheckedContinuation { continuation in
            queue.async {
                if !self.received.isEmpty {
                    continuation.resume(returning: self.received.removeFirst())
                } else {
                    self.waiter = continuation
                }
            }
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
