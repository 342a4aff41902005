import ArgumentParser

@main
struct Inferwire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inferwire",
        abstract: "InferWire: a KServe V2 inference server over a binary TCP protocol, and its client.",
        subcommands: []
    )
}
