import ArgumentParser
import Foundation
import InferenceService
import InferWireProtocol
import ProtoWire

/// `inferwire infer`: one inference request (or a streamed one).
struct InferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Send an inference request to a model and print its outputs.",
        discussion: """
            Inputs come from flags, a file or a V2 JSON request, and can be combined:

              --input NAME=TEXT
                  A BYTES tensor of shape [1] holding TEXT as UTF-8. Repeatable.
              --file PATH --type MIME
                  A BYTES tensor of shape [1] holding the file's bytes as one
                  element (never base64), with the tensor parameter
                  content_type=MIME. Named "file" unless --file-input NAME.
              --message TEXT [--role ROLE]
                  A chat message for an LLM model: tensors role [1], content and
                  type [1, N], the text first; with --file the file's raw bytes
                  join the message as a second part of type MIME.
              --request FILE.json
                  A V2 REST request, MLServer's shape: {"id", "parameters",
                  "inputs": [{"name", "shape", "datatype", "parameters",
                  "data": [...]}], "outputs"}. Data may be nested arrays.
              --parameter KEY=VALUE
                  A request parameter: an integer becomes int64, another number
                  double, true/false bool, anything else (JSON too) a string.

            Each output is printed with its name, datatype, shape and values;
            BYTES elements as text when UTF-8, else "<N bytes>". --json prints
            the V2 REST response: {"model_name", "model_version", "id",
            "parameters", "outputs": [{"name", "datatype", "shape",
            "parameters", "data"}]}. A BYTES output that is not all UTF-8 has
            its elements in base64 and "data_encoding": "base64".

            Examples:
              inferwire infer echo --input text=hello
              inferwire infer echo --file photo.jpg --type image/jpeg --json
              inferwire infer echo --request request.json --parameter seed=7
              inferwire infer echo --input text=hi --stream \\
                  --parameter stream_count=3
              inferwire infer echo --file photo.jpg --type image/jpeg \\
                  --output-bytes-to copy.jpg
              inferwire infer gemini-chat-completions --message "Describe it" \\
                  --file photo.jpg --type image/jpeg
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The model's name.")
    var model: String

    @Option(name: .customLong("model-version"), help: "The model version (default: the server's choice).")
    var modelVersion: String = ""

    @OptionGroup var payload: RequestOptions

    @Option(help: ArgumentHelp("Give up after this many seconds (DEADLINE_EXCEEDED).", valueName: "seconds"))
    var timeout: Double?

    @Flag(help: "Use ModelStreamInfer and print each response as it arrives.")
    var stream = false

    @Option(name: .customLong("output-bytes-to"),
            help: ArgumentHelp("Write the first BYTES output's elements (concatenated, raw) to this file.", valueName: "file"))
    var outputBytesTo: String?

    func validate() throws {
        try payload.validateFileType()
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws { try await runForShell(execute) }

    /// The request the flags describe.
    func buildRequest() throws -> ModelInferRequest {
        try payload.build(model: model, version: modelVersion)
    }

    func execute(_ output: CommandOutput) async throws -> Int32 {
        let built = try buildRequest()
        let deadline = timeout.map { Duration.milliseconds(Int64(($0 * 1000).rounded(.up))) }
        try await client.withClient { client in
            if stream {
                var count = 0
                for try await message in client.streamInfer(built, timeout: deadline) {
                    if !message.errorMessage.isEmpty {
                        throw CLIError(code: "STREAM_ERROR", message: message.errorMessage, exitCode: CLIError.serverErrorExit)
                    }
                    guard let response = message.inferResponse else { continue }
                    count += 1
                    if !self.client.json { output.line("response \(count):") }
                    try show(response, output: output)
                }
            } else {
                try show(try await client.infer(built, timeout: deadline), output: output)
            }
        }
        return 0
    }

    private func show(_ response: ModelInferResponse, output: CommandOutput) throws {
        var written: (name: String, path: String)?
        if let outputBytesTo, let index = response.outputs.firstIndex(where: { $0.datatype == Datatype.bytes.rawValue }) {
            let elements = try response.bytesElements(ofOutput: index)
            var data = Data()
            for element in elements { data.append(contentsOf: element.readableBytesView) }
            guard FileManager.default.createFile(atPath: outputBytesTo, contents: data) else {
                throw CLIError(code: "INVALID_ARGUMENT", message: "cannot write \(outputBytesTo)", exitCode: CLIError.usageExit)
            }
            written = (response.outputs[index].name, outputBytesTo)
        }
        if client.json {
            output.line(try InferResponseFormatter.json(response).serialized())
        } else {
            for line in try InferResponseFormatter.lines(response, bytesWrittenTo: written) { output.line(line) }
        }
    }
}
