import Foundation
import InferenceService
import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire
import Testing

/// The conversational memory runtime over real sockets, on both embedded backends (files and
/// SQLite): the seed's flows verbatim, the window rule, concurrency, bad input, corruption.
@Suite("Conversational memory runtime", .timeLimit(.minutes(2)))
struct MemoryRuntimeTests {
    static let backends = ["filesys", "sqlite", "postgres"]

    /// The test PostgreSQL server scripts/test.sh starts (scripts/postgres-test-server.sh).
    static var postgresURL: String {
        ProcessInfo.processInfo.environment["INFERWIRE_TEST_POSTGRES_URL"]
            ?? "postgresql://missing-INFERWIRE_TEST_POSTGRES_URL-run-scripts-test.sh@127.0.0.1:1/none"
    }

    static func settings(_ name: String, backend: String, windowSize: Int = 50) -> String {
        let extra = switch backend {
        case "filesys": #"{"database": "filesys", "config": {"window_size": \#(windowSize), "tensor_names": ["role", "content", "type"]}}"#
        case "sqlite": #"{"database": "sql", "config": {"url": "sqlite:///memory.db", "connection_options": {}, "window_size": \#(windowSize), "tensor_names": ["role", "content", "type"]}}"#
        default: #"{"database": "sql", "config": {"url": "\#(postgresURL)", "connection_options": {"pool_size": 4}, "window_size": \#(windowSize), "tensor_names": ["role", "content", "type"]}}"#
        }
        return #"{"name": "\#(name)", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": \#(extra)}}"#
    }

    static func withServer(_ models: [String: String], expectReady: Bool = true, _ body: (InferWireClient, String) async throws -> Void) async throws {
        let folder = try RepositoryTests.TemporaryFolder()
        for (name, text) in models { try folder.write("\(name)/model-settings.json", text) }
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.binaryPort = 0
        settings.metricsEndpoint = ""
        settings.modelRepositoryRoot = folder.path
        let server = try await InferWireServer.start(settings: settings)
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: try #require(server.server.localAddress?.port))
        for model in try await client.repositoryIndex() where model.state != "READY" && expectReady {
            Issue.record("model \(model.name) is \(model.state): \(model.reason)")
        }
        do {
            try await body(client, folder.path)
        } catch {
            await client.close()
            await server.shutdown(timeout: .zero)
            throw error
        }
        await client.close()
        await server.shutdown(timeout: .zero)
    }

    static func request(_ model: String, memoryID: String, role: String? = nil, content: [[UInt8]] = [], type: [String] = []) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        request.inputs = [LLMRuntimeTests.text("memory_id", [memoryID])]
        if let role {
            request.inputs.append(LLMRuntimeTests.text("role", [role]))
            request.inputs.append(LLMRuntimeTests.bytesInput("content", content))
            request.inputs.append(LLMRuntimeTests.text("type", type))
        }
        return request
    }

    static func say(_ client: InferWireClient, _ model: String, _ memoryID: String, _ role: String, _ text: String) async throws -> [String] {
        try LLMRuntimeTests.strings(try await client.infer(request(model, memoryID: memoryID, role: role, content: [Array(text.utf8)], type: ["text"])), "history")
    }

    @Test("seed: five messages, then a read with only memory_id returns them exactly as Seldon's runtime does", arguments: backends)
    func seedUnimodal(_ backend: String) async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: backend)]) { client, _ in
            let id = UUID().uuidString.lowercased()
            for (role, text) in [("user", "Hey how are you?"), ("assistant", "I'm good, how are you?"), ("user", "I'm good too. Can I ask you a question?"),
                                 ("assistant", "Sure, what's your question?"), ("user", "What is the capital of France?")] {
                _ = try await Self.say(client, "memory", id, role, text)
            }
            let response = try await client.infer(Self.request("memory", memoryID: id))
            #expect(try LLMRuntimeTests.strings(response, "memory_id") == [id])
            #expect(try LLMRuntimeTests.strings(response, "history") == [
                #"{"role": "user", "content": [{"type": "text", "value": "Hey how are you?"}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "I'm good, how are you?"}]}"#,
                #"{"role": "user", "content": [{"type": "text", "value": "I'm good too. Can I ask you a question?"}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "Sure, what's your question?"}]}"#,
                #"{"role": "user", "content": [{"type": "text", "value": "What is the capital of France?"}]}"#,
            ])
            let history = try #require(response.outputs.first { $0.name == "history" })
            #expect(history.shape == [5, 1] && history.parameters["content_type"] == .string("str"))
            // An unknown id has no history yet.
            #expect(try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: UUID().uuidString)), "history") == [])
        }
    }

    @Test("seed: a multimodal entry keeps all its parts together; media are raw at rest and base64 in the history", arguments: backends)
    func seedMultimodal(_ backend: String) async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: backend)]) { client, folder in
            let id = UUID().uuidString
            let history = try LLMRuntimeTests.strings(try await client.infer(Self.request(
                "memory", memoryID: id, role: "user", content: [Array("This is the first input".utf8), Array("This is the second input".utf8)], type: ["text", "text"])), "history")
            #expect(history == [#"{"role": "user", "content": [{"type": "text", "value": "This is the first input"}, {"type": "text", "value": "This is the second input"}]}"#])

            // Small enough that SQLite keeps it in one page, so the raw bytes are contiguous on disk.
            let image = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let withImage = try LLMRuntimeTests.strings(try await client.infer(Self.request(
                "memory", memoryID: id, role: "user", content: [Array("Look: é".utf8), image], type: ["text", "image/png"])), "history")
            #expect(withImage.last == #"{"role": "user", "content": [{"type": "text", "value": "Look: \u00e9"}, {"type": "image/png", "value": ""# + Data(image).base64EncodedString() + #""}]}"#)
            // At rest: the raw bytes are in the store's files, their base64 is not.
            guard backend != "postgres" else { return }  // its files are the server's
            var stored = Data()
            for file in FileManager.default.enumerator(atPath: folder)?.compactMap({ $0 as? String }) ?? [] {
                stored.append(FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(file)) ?? Data())
            }
            #expect(stored.range(of: Data(image)) != nil, "the image is stored raw")
            #expect(stored.range(of: Data(Data(image).base64EncodedString().utf8)) == nil, "and never as base64")
        }
    }

    @Test("the window: the last window_size entries; a system entry that slid out stays first (the seeds' PostgreSQL example)", arguments: backends)
    func window(_ backend: String) async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: backend, windowSize: 4)]) { client, _ in
            let id = UUID().uuidString
            var last: [String] = []
            for (role, text) in [("system", "You are a helpful assistant"), ("user", "Hi! How are you doing today?"), ("assistant", "I'm doing great, how about you?"),
                                 ("user", "I'm doing well too. I have a question for you."), ("assistant", "Sure, what's your question?")] {
                last = try await Self.say(client, "memory", id, role, text)
            }
            let expected = [
                #"{"role": "system", "content": [{"type": "text", "value": "You are a helpful assistant"}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "I'm doing great, how about you?"}]}"#,
                #"{"role": "user", "content": [{"type": "text", "value": "I'm doing well too. I have a question for you."}]}"#,
                #"{"role": "assistant", "content": [{"type": "text", "value": "Sure, what's your question?"}]}"#,
            ]
            #expect(last == expected)
            #expect(try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: id)), "history") == expected)
        }
    }

    @Test("property: every backend's window equals the rule applied to everything appended", arguments: backends)
    func windowProperty(_ backend: String) async throws {
        var generator = SeededGenerator(seed: UInt64(backend.utf8.count * 7))
        let sizes = [1, 2, 3, 5, 8]
        let run = UUID().uuidString
        try await Self.withServer(Dictionary(uniqueKeysWithValues: sizes.map { ("m\($0)", Self.settings("m\($0)", backend: backend, windowSize: $0)) })) { client, _ in
            for conversation in 0..<12 {
                let size = sizes[conversation % sizes.count]
                let id = "\(run)-conversation-\(conversation)"
                var appended: [MemoryEntry] = []
                for step in 0..<Int.random(in: 1...14, using: &generator) {
                    let role = ["user", "assistant", "system", "user", "assistant"].randomElement(using: &generator)!
                    let text = "\(conversation).\(step) " + String(repeating: "x", count: Int.random(in: 0...20, using: &generator))
                    appended.append(MemoryEntry(role: role, parts: [.init(type: "text", value: Array(text.utf8))]))
                    let window = try await Self.say(client, "m\(size)", id, role, text)
                    #expect(window == MemoryWindow.select(appended, size: size).map(Self.json), "\(backend) \(id) after \(appended.count)")
                    if !appended.contains(where: { $0.role == "system" }) {
                        #expect(window == appended.suffix(size).map(Self.json), "without system entries: the last \(size)")
                    }
                }
            }
        }
    }

    static func json(_ entry: MemoryEntry) -> String {
        #"{"role": "\#(entry.role)", "content": [{"type": "text", "value": "\#(String(decoding: entry.parts[0].value, as: UTF8.self))"}]}"#
    }

    @Test("200 concurrent appends to one memory: all kept, each once, in one order that every later read agrees on", arguments: backends)
    func concurrentAppends(_ backend: String) async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: backend, windowSize: 1000)]) { client, _ in
            let id = UUID().uuidString
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { _ = try await Self.say(client, "memory", id, "user", "message \(index)") }
                }
                try await group.waitForAll()
            }
            let first = try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: id)), "history")
            #expect(first.count == 200)
            #expect(Set(first).count == 200)
            #expect(Set(first) == Set((0..<200).map { #"{"role": "user", "content": [{"type": "text", "value": "message \#($0)"}]}"# }))
            #expect(try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: id)), "history") == first)
        }
    }

    @Test("PostgreSQL shared by two servers: concurrent appends through both land once each, in one order both read")
    func twoServers() async throws {
        let settings = Self.settings("shared", backend: "postgres", windowSize: 1000)
        try await Self.withServer(["shared": settings]) { first, _ in
            try await Self.withServer(["shared": settings]) { second, _ in
                let id = UUID().uuidString
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<120 {
                        let client = index % 2 == 0 ? first : second
                        group.addTask { _ = try await Self.say(client, "shared", id, "user", "message \(index)") }
                    }
                    try await group.waitForAll()
                }
                let fromFirst = try LLMRuntimeTests.strings(try await first.infer(Self.request("shared", memoryID: id)), "history")
                let fromSecond = try LLMRuntimeTests.strings(try await second.infer(Self.request("shared", memoryID: id)), "history")
                #expect(fromFirst.count == 120 && Set(fromFirst).count == 120)
                #expect(fromFirst == fromSecond, "both servers read one order")
            }
        }
    }

    @Test("a database that is down: the model is UNAVAILABLE with the reason, the others serve")
    func databaseDown() async throws {
        let down = #"{"name": "down", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "postgresql+psycopg2://nobody@127.0.0.1:1/none", "connection_options": {"timeout": 2}}}}}"#
        let unsupported = #"{"name": "mysql", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "mysql://u:p@db/x"}}}}"#
        // The test server has no TLS: sslmode=require cannot connect, prefer falls back to plain.
        func tls(_ name: String, _ mode: String) -> String {
            #"{"name": "\#(name)", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "\#(Self.postgresURL)", "connection_options": {"sslmode": "\#(mode)", "connect_timeout": 3}}}}}"#
        }
        try await Self.withServer([
            "down": down, "mysql": unsupported, "fine": Self.settings("fine", backend: "sqlite"),
            "tls-required": tls("tls-required", "require"), "tls-preferred": tls("tls-preferred", "prefer"), "tls-typo": tls("tls-typo", "sometimes"),
        ], expectReady: false) { client, _ in
            let index = Dictionary(uniqueKeysWithValues: try await client.repositoryIndex().map { ($0.name, $0) })
            #expect(index["down"]?.state == "UNAVAILABLE" && index["down"]?.reason.contains("PostgreSQL") == true, "\(index["down"]?.reason ?? "")")
            #expect(index["mysql"]?.state == "UNAVAILABLE" && index["mysql"]?.reason.contains("mysql is not supported") == true)
            #expect(index["fine"]?.state == "READY")
            #expect(index["tls-required"]?.state == "UNAVAILABLE", "\(index["tls-required"]?.reason ?? "")")
            #expect(index["tls-preferred"]?.state == "READY", "\(index["tls-preferred"]?.reason ?? "")")
            #expect(index["tls-typo"]?.reason.contains("sslmode must be one of") == true)
            await #expect { _ = try await client.infer(Self.request("down", memoryID: "x")) } throws: { ($0 as? InferenceError)?.code == .unavailable }
        }
    }

    @Test("bad input: a clear INVALID_ARGUMENT, and nothing stored", arguments: [
        ("no id", [LLMRuntimeTests.text("role", ["user"])], "the memory_id tensor is required"),
        ("empty id", [LLMRuntimeTests.text("memory_id", [""])], "one non-empty id"),
        ("two ids", [LLMRuntimeTests.text("memory_id", ["a", "b"])], "one non-empty id"),
        ("long id", [LLMRuntimeTests.text("memory_id", [String(repeating: "x", count: 257)])], "over the limit of 256"),
        ("NUL in id", [LLMRuntimeTests.text("memory_id", ["a\u{0}b"])], "must not contain NUL"),
        ("unknown tensor", [LLMRuntimeTests.text("memory_id", ["a"]), LLMRuntimeTests.text("question", ["?"])], "question is not an input"),
        ("role only", [LLMRuntimeTests.text("memory_id", ["a"]), LLMRuntimeTests.text("role", ["user"])], "send role, content and type together"),
        ("counts", [LLMRuntimeTests.text("memory_id", ["a"]), LLMRuntimeTests.text("role", ["user"]), LLMRuntimeTests.text("content", ["x", "y"]), LLMRuntimeTests.text("type", ["text"])], "content has 2 element(s) but type has 1"),
        ("two roles", [LLMRuntimeTests.text("memory_id", ["a"]), LLMRuntimeTests.text("role", ["user", "user"]), LLMRuntimeTests.text("content", ["x"]), LLMRuntimeTests.text("type", ["text"])], "one entry per request"),
    ])
    func badInput(_ name: String, _ inputs: [ModelInferRequest.InferInputTensor], _ message: String) async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: "sqlite")]) { client, _ in
            var request = ModelInferRequest()
            request.modelName = "memory"
            request.inputs = inputs
            await #expect { _ = try await client.infer(request) } throws: { error in
                guard let error = error as? InferenceError else { return false }
                return error.code == .invalidArgument && error.message.contains(message)
            }
            let after = try await client.infer(Self.request("memory", memoryID: "a"))
            #expect(try LLMRuntimeTests.strings(after, "history") == [], "\(name): something was stored")
        }
    }

    @Test("a damaged memory file is DATA_LOSS for that memory only; a torn last record is dropped, the rest kept")
    func corruption() async throws {
        try await Self.withServer(["memory": Self.settings("memory", backend: "filesys")]) { client, folder in
            _ = try await Self.say(client, "memory", "damaged", "user", "first")
            _ = try await Self.say(client, "memory", "damaged", "user", "second")
            _ = try await Self.say(client, "memory", "healthy", "user", "fine")
            _ = try await Self.say(client, "memory", "torn", "user", "kept")
            let store = try FileMemoryStore(folder: folder + "/memory/memory")
            // Flip a byte inside the first entry of "damaged" (the header record is 26 bytes).
            let damaged = store.path(for: "damaged")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
            bytes[40] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: damaged))
            await #expect { _ = try await client.infer(Self.request("memory", memoryID: "damaged")) } throws: {
                ($0 as? InferenceError)?.code == .dataLoss
            }
            #expect(try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: "healthy")), "history").count == 1)
            // A damaged length field in the middle is DATA_LOSS too, never taken for a torn tail.
            _ = try await Self.say(client, "memory", "length", "user", "one")
            _ = try await Self.say(client, "memory", "length", "user", "two")
            let lengthFile = store.path(for: "length")
            var lengthBytes = try Data(contentsOf: URL(fileURLWithPath: lengthFile))
            let headerLength = 12 + 7 + "length".utf8.count
            lengthBytes[headerLength + 1] ^= 0x7F  // the first entry's length, now far past the end
            try lengthBytes.write(to: URL(fileURLWithPath: lengthFile))
            await #expect { _ = try await Self.say(client, "memory", "length", "user", "three") } throws: {
                ($0 as? InferenceError)?.code == .dataLoss
            }
            // Half a record at the end (a crash mid-write, never acknowledged): ignored, then replaced.
            let torn = store.path(for: "torn")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: torn))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([200, 0, 0, 0, 1, 2, 3]))
            try handle.close()
            #expect(try LLMRuntimeTests.strings(try await client.infer(Self.request("memory", memoryID: "torn")), "history").count == 1)
            #expect(try await Self.say(client, "memory", "torn", "user", "after").count == 2)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
