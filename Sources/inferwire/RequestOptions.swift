import ArgumentParser
import Foundation
import InferWireCore
import InferenceService
import V2JSON
import InferWireProtocol
import ProtoWire

/// The flags that describe an inference request, shared by `infer` and `load`.
struct RequestOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp("A BYTES input holding UTF-8 text.", valueName: "name=text"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("A file sent as one BYTES element (needs --type).", valueName: "path"))
    var file: String?

    @Option(name: .customLong("type"), help: ArgumentHelp("The --file's MIME type, e.g. image/jpeg.", valueName: "mime"))
    var mimeType: String?

    @Option(name: .customLong("file-input"), help: "The input name for --file.")
    var fileInput: String = "file"

    @Option(help: ArgumentHelp("A chat message (role/content/type tensors); --file joins it.", valueName: "text"))
    var message: String?

    @Option(help: "The --message's role.")
    var role = "user"

    @Option(help: ArgumentHelp("A V2 JSON inference request file.", valueName: "file.json"))
    var request: String?

    @Option(name: .customLong("parameter"), help: ArgumentHelp("A request parameter.", valueName: "key=value"))
    var parameters: [String] = []

    @Option(name: .customLong("id"), help: "The request id.")
    var requestID: String?

    /// --file needs --type, and --type needs a file to describe: --file, or the files of
    /// `load --directory` (`directory`: whether that command has one and it was given).
    func validateFileType(directory: Bool? = nil) throws {
        if directory == true { return }
        if file != nil, mimeType == nil { throw ValidationError("--file needs --type MIME (e.g. --type image/jpeg)") }
        if file == nil, mimeType != nil {
            throw ValidationError("--type only applies to --file\(directory == nil ? "" : " or --directory")")
        }
    }

    /// The request the flags describe. `requestFile` and `mediaFile` stand in for --request and
    /// --file (the load tool's directory entries).
    func build(model: String, version: String, requestFile: String? = nil,
               mediaFile: (path: String, mimeType: String)? = nil) throws -> ModelInferRequest {
        var built = ModelInferRequest()
        built.modelName = model
        built.modelVersion = version
        if let request = requestFile ?? request {
            guard let data = FileManager.default.contents(atPath: request) else {
                throw CLIError.usage("cannot read the request file \(request)")
            }
            let json: JSONDocument
            do { json = try JSONDocument.parse(data) } catch { throw CLIError.usage("\(request) is not valid JSON: \(error)") }
            try InferRequestBuilder.apply(json: json, source: request, to: &built)
            // MLServer's REST carries chat media as base64; the binary protocol carries bytes.
            let decoded = Result { () throws(InferenceError) in try Base64MediaInputs.decode(in: &built) }
            if case .failure(let error) = decoded { throw CLIError.usage("\(request): \(error.message)") }
        }
        for input in inputs {
            let (name, text) = try InferRequestBuilder.keyValue(input, flag: "--input")
            InferRequestBuilder.addBytesInput(&built, name: name, elements: [Array(text.utf8)])
        }
        var attachment: (mimeType: String, bytes: [UInt8])?
        if let (file, mimeType) = mediaFile ?? file.flatMap({ file in mimeType.map { (file, $0) } }) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError.usage("cannot read the file \(file)")
            }
            attachment = (mimeType, Array(data))
        }
        if let message {
            InferRequestBuilder.addChatMessage(&built, role: role, parts: [("text", Array(message.utf8))] + (attachment.map { [($0.mimeType, $0.bytes)] } ?? []))
        } else if let attachment {
            InferRequestBuilder.addBytesInput(&built, name: fileInput, elements: [attachment.bytes],
                                              parameters: ["content_type": .string(attachment.mimeType)])
        }
        for parameter in parameters {
            let (key, value) = try InferRequestBuilder.keyValue(parameter, flag: "--parameter")
            built.parameters[key] = InferRequestBuilder.parameter(value)
        }
        if let requestID { built.id = requestID }
        let names = built.inputs.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw CLIError.usage("input \(duplicate) is given more than once")
        }
        if built.inputs.isEmpty {
            throw CLIError.usage("no inputs: give --input name=text, --message TEXT, --file PATH --type MIME or --request FILE.json")
        }
        return built
    }
}
