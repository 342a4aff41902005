import ArgumentParser
import Foundation
import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire

/// `inferwire chat MODEL`: a multi-turn conversation with an LLM model in the terminal.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with an LLM model: type a message, read the streamed answer, repeat.",
        discussion: """
            Each line you type is a user message; the answer streams in as it is generated.
            The whole conversation is sent every turn (role/content/type tensors, one JSON
            list per message), so the model sees the history. An empty line or end of input
            (Ctrl-D) ends the chat. Commands: /image PATH attaches an image (or audio, video,
            PDF: the type comes from the file name) to your next message; /reset forgets the
            conversation.

            The first message's attachments travel as raw bytes; once they are part of the
            history they travel base64 inside the JSON lists, as the convention requires.

            With --memory MEMORY, a conversational memory model keeps the conversation: each
            message is appended there first, the memory's window is what the LLM sees, and the
            answer is appended after it. --memory-id resumes a conversation (a new id is made
            and printed otherwise).

            Examples:
              inferwire chat gemini-chat-completions
              inferwire chat openai-chat-completions --system "Answer in French." --image cat.jpg
              echo "Hello" | inferwire chat gemini-chat-completions --no-stream
              inferwire chat gemini-chat-completions --memory sqlite-memory --memory-id 6e1f1413
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The LLM model's name.")
    var model: String

    @Option(help: "A system message placed before the conversation.")
    var system: String?

    @Option(help: ArgumentHelp("A file attached to the first message (image, audio, video, PDF).", valueName: "path"))
    var image: String?

    @Flag(help: "Wait for each whole answer instead of streaming it.")
    var noStream = false

    @Option(help: ArgumentHelp("A conversational memory model that keeps the conversation.", valueName: "model"))
    var memory: String?

    @Option(help: ArgumentHelp("The conversation's id in the memory model (default: a new one).", valueName: "id"))
    var memoryId: String?

    @Option(help: ArgumentHelp("Give up on a turn after this many seconds.", valueName: "seconds"))
    var timeout: Double = 120

    /// One message of the conversation: its parts as (type, bytes).
    struct Turn {
        var role: String
        var parts: [(type: String, bytes: [UInt8])]
    }

    func run() async throws {
        try await runForShell { output in
            try await chat(input: { readLine(strippingNewline: true) }, output: output, interactive: isatty(0) == 1)
        }
    }

    func chat(input: () -> String?, output: CommandOutput, interactive: Bool) async throws -> Int32 {
        var history: [Turn] = system.map { [Turn(role: "system", parts: [("text", Array($0.utf8))])] } ?? []
        var attachments: [(type: String, bytes: [UInt8])] = []
        if let image { attachments.append(try Self.attachment(image)) }
        var conversation = memoryId ?? UUID().uuidString.lowercased()
        if let memory, memoryId == nil { output.line("(memory \(memory), conversation \(conversation))") }
        try await client.withClient { connection in
            while true {
                if interactive { output.write("you: ") }
                guard let line = input(), !line.isEmpty else { break }
                if line.hasPrefix("/image ") {
                    attachments.append(try Self.attachment(String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces)))
                    output.line("(attached \(attachments.last!.type), \(attachments.last!.bytes.count) bytes)")
                    continue
                }
                if line == "/reset" {
                    history.removeAll { $0.role != "system" }
                    if let memory {
                        // The memory keeps the old conversation; continue in a new one.
                        conversation = UUID().uuidString.lowercased()
                        output.line("(new conversation \(conversation) in \(memory))")
                    } else {
                        output.line("(conversation forgotten)")
                    }
                    continue
                }
                let said = Turn(role: "user", parts: [("text", Array(line.utf8))] + attachments)
                attachments.removeAll()
                if let memory {
                    // The memory stores the message and returns the window the LLM sees.
                    let window = try await Self.remember(said, in: memory, id: conversation, connection: connection)
                    history = history.filter { $0.role == "system" && system != nil }.prefix(1) + window
                } else {
                    history.append(said)
                }
                let request = Self.request(model: model, history: history)
                output.write("\(model): ")
                var answer = ""
                if noStream {
                    let response = try await connection.infer(request, timeout: .seconds(timeout))
                    answer = try Self.content(of: response)
                    output.write(answer)
                } else {
                    for try await message in connection.streamInfer(request, timeout: .seconds(timeout)) {
                        guard let response = message.inferResponse else {
                            throw CLIError(code: "INTERNAL", message: message.errorMessage, exitCode: 1)
                        }
                        if response.parameters["final"] == .bool(true) {
                            answer = try Self.content(of: response)
                        } else {
                            output.write(try Self.content(of: response))
                        }
                    }
                }
                output.line("")
                let reply = Turn(role: "assistant", parts: [("text", Array(answer.utf8))])
                if let memory {
                    _ = try await Self.remember(reply, in: memory, id: conversation, connection: connection)
                } else {
                    history.append(reply)
                }
            }
        }
        return 0
    }

    /// The conversation as tensors: one message with raw parts, or several as JSON lists.
    static func request(model: String, history: [Turn]) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        if history.count == 1 {
            InferRequestBuilder.addChatMessage(&request, role: history[0].role, parts: history[0].parts)
            return request
        }
        func list(_ items: [String]) -> [UInt8] {
            Array(((try? JSONSerialization.data(withJSONObject: items, options: [.withoutEscapingSlashes])) ?? Data("[]".utf8)))
        }
        InferRequestBuilder.addBytesInput(&request, name: "role", elements: history.map { Array($0.role.utf8) })
        InferRequestBuilder.addBytesInput(&request, name: "content", elements: history.map { turn in
            list(turn.parts.map { $0.type == "text" ? String(decoding: $0.bytes, as: UTF8.self) : Data($0.bytes).base64EncodedString() })
        })
        InferRequestBuilder.addBytesInput(&request, name: "type", elements: history.map { list($0.parts.map(\.type)) })
        return request
    }

    /// Appends a turn to a memory model and returns its window as turns (history elements are
    /// `{"role", "content": [{"type", "value"}]}`; media values are base64 there, and stay so:
    /// the multi-turn JSON lists carry media as base64).
    static func remember(_ turn: Turn, in memory: String, id: String, connection: InferWireClient) async throws -> [Turn] {
        var request = ModelInferRequest()
        request.modelName = memory
        InferRequestBuilder.addBytesInput(&request, name: "memory_id", elements: [Array(id.utf8)])
        InferRequestBuilder.addBytesInput(&request, name: "role", elements: [Array(turn.role.utf8)])
        InferRequestBuilder.addBytesInput(&request, name: "content", elements: turn.parts.map(\.bytes))
        InferRequestBuilder.addBytesInput(&request, name: "type", elements: turn.parts.map { Array($0.type.utf8) })
        let response = try await connection.infer(request)
        guard let index = response.outputIndex(named: "history") else {
            throw CLIError(code: "INTERNAL", message: "\(memory) returned no history: is it a memory model?", exitCode: 1)
        }
        return try response.bytesElements(ofOutput: index).map { element in
            guard let object = try JSONSerialization.jsonObject(with: Data(element.readableBytesView)) as? [String: Any],
                let role = object["role"] as? String, let content = object["content"] as? [[String: Any]]
            else { throw CLIError(code: "INTERNAL", message: "\(memory) returned a history element that is not a message", exitCode: 1) }
            return Turn(role: role, parts: content.map { part in
                let type = part["type"] as? String ?? "text"
                let value = part["value"] as? String ?? ""
                return (type, type == "text" ? Array(value.utf8) : Array(Data(base64Encoded: value) ?? Data()))
            })
        }
    }

    static func content(of response: ModelInferResponse) throws -> String {
        guard let index = response.outputIndex(named: "content"), let first = try response.bytesElements(ofOutput: index).first else { return "" }
        return String(buffer: first)
    }

    static let mimeTypes = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
        "mp3": "audio/mp3", "wav": "audio/wav", "mp4": "video/mp4", "pdf": "application/pdf",
    ]

    static func attachment(_ path: String) throws -> (type: String, bytes: [UInt8]) {
        let ext = (path as NSString).pathExtension.lowercased()
        guard let type = mimeTypes[ext] else {
            throw CLIError.usage("cannot tell the type of \(path) from its name (known: \(mimeTypes.keys.sorted().joined(separator: ", ")))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.usage("cannot read \(path)") }
        return (type, Array(data))
    }
}
