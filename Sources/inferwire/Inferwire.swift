import ArgumentParser

@main
struct Inferwire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inferwire",
        abstract: "InferWire: a KServe V2 inference server over a binary TCP protocol, and its client.",
        discussion: """
            Start a server on a model repository, then talk to it from another terminal:

              inferwire serve --repository ./models --port 8083
              inferwire health --model echo
              inferwire models index
              inferwire infer echo --input text=hello

            Client commands take --host (default 127.0.0.1), --port (default 8083,
            or the INFERWIRE_BINARY_PORT environment variable) and --json for
            machine-readable output.

            Exit codes: 0 success; 1 the server answered with an error (or, for
            `health`, is not ready); 2 the server could not be reached; 64 a bad
            argument or unreadable input file. Errors are printed to standard
            error as "error: CODE: message".
            """,
        subcommands: [ServeCommand.self, HealthCommand.self, ModelsCommand.self, InferCommand.self, ChatCommand.self, LoadCommand.self, TuneCommand.self, SimulateCommand.self]
    )
}
