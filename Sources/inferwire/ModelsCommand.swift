import Foundation
import V2JSON
import ArgumentParser
import ProtoWire

/// `inferwire models`: the model repository (index, load, unload).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, load and unload the models of a server's repository.",
        discussion: """
            Examples:
              inferwire models                 # same as `inferwire models index`
              inferwire models index --ready
              inferwire models unload echo
              inferwire models load echo
            """,
        subcommands: [Index.self, Load.self, Unload.self],
        defaultSubcommand: Index.self
    )

    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every model with its version, state (READY, UNAVAILABLE, ...) and reason.")

        @OptionGroup var client: ClientOptions

        @Flag(help: "List only the models that are ready.")
        var ready = false

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            let models = try await client.withClient { try await $0.repositoryIndex(readyOnly: ready) }
            if client.json {
                output.line(JSONDocument.object([("models", .array(models.map { model in
                    .object([("name", .string(model.name)), ("version", .string(model.version)),
                             ("state", .string(model.state)), ("reason", .string(model.reason))])
                }))]).serialized())
                return 0
            }
            let rows = [["NAME", "VERSION", "STATE", "REASON"]]
                + models.map { [$0.name, $0.version.isEmpty ? "-" : $0.version, $0.state, $0.reason] }
            for line in table(rows) { output.line(line) }
            return 0
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load (or reload) a model of the repository.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The model's name.")
        var name: String

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await client.withClient { try await $0.load(model: name) }
            output.line(client.json
                ? JSONDocument.object([("model", .string(name)), ("loaded", .bool(true))]).serialized()
                : "loaded \(name)")
            return 0
        }
    }

    struct Unload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unload a model: it stays listed, UNAVAILABLE.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The model's name.")
        var name: String

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await client.withClient { try await $0.unload(model: name) }
            output.line(client.json
                ? JSONDocument.object([("model", .string(name)), ("unloaded", .bool(true))]).serialized()
                : "unloaded \(name)")
            return 0
        }
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
func table(_ rows: [[String]]) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
