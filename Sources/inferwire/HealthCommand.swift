import V2JSON
import ArgumentParser

/// `inferwire health`: is the server live and ready (and a model ready)?
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a server is live and ready (and optionally that a model is ready).",
        discussion: """
            Exits 0 when the server (and --model, if given) is ready, 1 when it is
            not, 2 when the server cannot be reached: usable as a health probe.

            Examples:
              inferwire health
              inferwire health --port 9000 --model echo
              inferwire health --json
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Also require this model to be ready.")
    var model: String?

    func run() async throws {
        try await runForShell(execute)
    }

    /// Prints the health and returns the exit code: 0 ready, 1 not ready.
    func execute(_ output: CommandOutput) async throws -> Int32 {
        let (live, ready, modelReady) = try await client.withClient { client in
            let live = try await client.serverLive()
            let ready = try await client.serverReady()
            var modelReady: Bool?
            if let model { modelReady = try await client.modelReady(model) }
            return (live, ready, modelReady)
        }
        let healthy = live && ready && (modelReady ?? true)
        if client.json {
            var members: [(String, JSONDocument)] = [("live", .bool(live)), ("ready", .bool(ready))]
            if let model, let modelReady {
                members += [("model", .string(model)), ("model_ready", .bool(modelReady))]
            }
            members.append(("healthy", .bool(healthy)))
            output.line(JSONDocument.object(members).serialized())
        } else {
            output.line("server live: \(live)")
            output.line("server ready: \(ready)")
            if let model, let modelReady { output.line("model \(model) ready: \(modelReady)") }
        }
        return healthy ? 0 : 1
    }
}
