import ArgumentParser
import Foundation
import Logging
import ProviderSimulator
import ServiceLifecycle

/// `inferwire simulate`: the provider simulator as a process, for demos, manual tests and load.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the OpenAI and Gemini provider simulator on a local port.",
        discussion: """
            Serves POST /v1/chat/completions (OpenAI) and
            POST /v1beta/models/MODEL:generateContent | :streamGenerateContent (Gemini, also under /v1)
            with the providers' JSON shapes, SSE framing and error bodies. Answers say what arrived,
            e.g. "received 2 part(s): text(12), image/jpeg(48213)".

            Faults per request, by header: x-simulator-fault: 429 | 500 | 503 | invalid-json |
            truncate | reset | block; x-simulator-latency-ms: N; x-simulator-chunk-delay-ms: N.
            The model name "missing" answers 404.

            Keys: requests must carry the simulator's keys (defaults below) as
            "Authorization: Bearer KEY" (OpenAI) or "x-goog-api-key: KEY" (Gemini).

            Example:
              inferwire simulate --port 9100
              OPENAI base URL: http://127.0.0.1:9100/v1    Gemini: http://127.0.0.1:9100/v1beta
            SIGTERM or Ctrl-C stops it.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port; 0 picks a free one.")
    var port = 9100

    @Option(help: "The API key the OpenAI endpoints accept.")
    var openaiKey = "sim-openai-key"

    @Option(help: "The API key the Gemini endpoints accept.")
    var geminiKey = "sim-gemini-key"

    func run() async throws {
        let simulator = try await ProviderSimulator.start(
            host: host, port: port, configuration: .init(openAIKey: openaiKey, geminiKey: geminiKey))
        let output = StandardOutput()
        output.line("provider simulator on http://\(host):\(simulator.port) (OpenAI: /v1, Gemini: /v1beta)")
        var logger = Logger(label: "inferwire.simulate")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: SimulatorService(simulator: simulator))], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        output.line("stopped")
    }
}

/// Runs until graceful shutdown, then closes the simulator.
struct SimulatorService: Service {
    let simulator: ProviderSimulator

    func run() async throws {
        try? await gracefulShutdown()
        await simulator.close()
    }
}
