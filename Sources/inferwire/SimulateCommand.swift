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
            Serves, with the providers' JSON shapes, SSE framing, validations and error bodies:
              POST /v1/chat/completions                                      (OpenAI)
              POST /openai/deployments/DEPLOYMENT/chat/completions?api-version=V  (Azure OpenAI)
              POST /v1beta/models/MODEL:generateContent | :streamGenerateContent  (Gemini, also /v1)
              POST /v1/projects/P/locations/L/publishers/google/models/MODEL:generateContent  (Vertex AI)
              /v1beta/tunedModels[/ID[/operations[/OP]]]   Gemini tuning (create, list, get, patch, delete)
              /v1/files[/ID[/content]], /v1/fine_tuning/jobs[/ID[/cancel|events|checkpoints]]  OpenAI fine-tuning
              POST /token                 Google's OAuth token endpoint (service-account JWTs, RS256)
              GET  /_simulator/service-account   a key file for a service account the simulator trusts
              GET  /_simulator/requests   what each request carried (parts with byte counts and
                                          SHA-256, generation config, safety settings); DELETE clears
            Answers say what arrived, e.g. "received 2 part(s): text(12), image/jpeg(48213)";
            with tools offered the first tool is called; after a tool result the answer quotes it.

            Faults per request, by header: x-simulator-fault: 429 | 500 | 503 | invalid-json |
            truncate | reset | block; x-simulator-latency-ms: N; x-simulator-chunk-delay-ms: N.
            The options below set the same for every request without the header.
            The model (or Azure deployment) "missing" answers 404.

            Keys: "Authorization: Bearer KEY" (OpenAI), "api-key: KEY" (Azure, the OpenAI key),
            "x-goog-api-key: KEY" or ?key=KEY (Gemini), "Authorization: Bearer TOKEN" with a token
            from /token or --access-token (Gemini; Vertex AI takes tokens only).
            Training takes --tuning-step-ms per step (header x-simulator-tuning-step-ms at creation);
            an example whose output is "sim-fail-tuning" makes a Gemini run fail halfway.

            Example:
              inferwire simulate --port 9100
              OpenAI base URL: http://127.0.0.1:9100/v1    Gemini: http://127.0.0.1:9100/v1beta
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

    @Option(name: .customLong("latency-ms"), help: "Delay before each answer's first byte, in milliseconds.")
    var latency: Int64 = 0

    @Option(name: .customLong("chunk-delay-ms"), help: "Delay between stream events, in milliseconds.")
    var chunkDelay: Int64 = 0

    @Option(name: .customLong("tuning-step-ms"), help: "How long one simulated training step takes, in milliseconds.")
    var tuningStep: Int64 = 200

    @Option(name: .customLong("access-token"), help: "An OAuth access token the Google routes accept as is (repeatable).")
    var accessTokens: [String] = ["sim-access-token"]

    @Option(name: .customLong("token-lifetime"), help: "Seconds the access tokens issued by /token last.")
    var tokenLifetime = 3599

    @Option(help: "A fault for every request: \(SimulatedFault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var fault: String?

    func validate() throws {
        if let fault, SimulatedFault(rawValue: fault) == nil {
            throw ValidationError("unknown fault '\(fault)'; one of \(SimulatedFault.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let configuration = ProviderSimulator.Configuration(
            openAIKey: openaiKey, geminiKey: geminiKey, latencyMilliseconds: latency, chunkDelayMilliseconds: chunkDelay,
            fault: fault.flatMap(SimulatedFault.init(rawValue:)), tuningStepMilliseconds: tuningStep,
            accessTokens: Set(accessTokens), tokenLifetimeSeconds: tokenLifetime)
        let simulator = try await ProviderSimulator.start(host: host, port: port, configuration: configuration)
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
