import LLMAPI
import Providers
import ProviderSimulator

/// What `serve` gives the LLM runtimes: one HTTP engine, and the bundled provider simulator when
/// a provider has no API key (so the example repository runs on a machine without keys).
struct UpstreamProviders {
    let llm: LLMEnvironment
    let simulator: ProviderSimulator?

    static func start(environment: [String: String], simulator wanted: Bool, output: CommandOutput) async throws -> UpstreamProviders {
        var llm = LLMEnvironment(engine: CurlEngine(), environment: environment)
        let missing = llm.catalog.all.filter { !llm.hasKey(for: $0) && !$0.hasCredentials([:], environment) }
        guard wanted, !missing.isEmpty else { return UpstreamProviders(llm: llm, simulator: nil) }
        let simulator = try await ProviderSimulator.start(host: "127.0.0.1", port: 0)
        llm.simulator = .init(baseURL: "http://127.0.0.1:\(simulator.port)", providers: Set(missing.map(\.id)))
        for provider in missing {
            let names = provider.keyVariables([:]).joined(separator: ", ")
            output.line("no API key for \(provider.id) (\(names)): its models use the bundled provider simulator on http://127.0.0.1:\(simulator.port)")
        }
        return UpstreamProviders(llm: llm, simulator: simulator)
    }

    func shutdown() {
        llm.engine.shutdown()
    }
}
