import ConversationalMemory
import Foundation
import InferWireClient
import InferWireCore
import TestSupport
import Testing

/// What every memory store must do, run on each store in `StoreFixture.all` through a real
/// server: the seeds' flows verbatim, the window rule, concurrency, durability across restarts,
/// damage reported as DATA_LOSS for that memory only. (kill -9 of a serving process: the CLI's
/// BinaryTests, on the same three stores.)
@Suite("Memory store conformance", .timeLimit(.minutes(2)))
struct StoreConformanceTests {
    typealias Server = MemoryServer

    @Test("seed: five messages, then a read with only memory_id returns them exactly as Seldon's runtime does", arguments: StoreFixture.all)
    func seedUnimodal(_ store: StoreFixture) async throws {
        try await Server.with(["memory": Server.settings("memory", store)]) { client, _ in
            let id = UUID().uuidString.lowercased()
            let turns = [("user", "Hey how are you?"), ("assistant", "I'm good, how are you?"), ("user", "I'm good too. Can I ask you a question?"),
                         ("assistant", "Sure, what's your question?"), ("user", "What is the capital of France?")]
            for (role, text) in turns { _ = try await Server.say(client, "memory", id, role, text) }
            let response = try await client.infer(Server.request("memory", memoryID: id))
            #expect(try Tensors.strings(response, "memory_id") == [id])
            #expect(try Tensors.strings(response, "history") == turns.map(Server.json))
            let history = try #require(response.outputs.first { $0.name == "history" })
            #expect(history.shape == [5, 1] && history.parameters["content_type"] == .string("str"))
            // An unknown id has no history yet.
            #expect(try await Server.history(client, "memory", UUID().uuidString) == [])
        }
    }

    @Test("append_key: the same key appends once (a retried request), another key or none appends again; survives a restart", arguments: StoreFixture.all)
    func appendKeys(_ store: StoreFixture) async throws {
        let folder = try TemporaryFolder()
        let id = UUID().uuidString
        func say(_ client: InferWireClient, _ text: String, key: String?) async throws -> [String] {
            var request = Server.request("memory", memoryID: id, role: "user", content: [Array(text.utf8)], type: ["text"])
            if let key { request.parameters["append_key"] = .string(key) }
            return try Tensors.strings(try await client.infer(request), "history")
        }
        try await Server.with(["memory": Server.settings("memory", store)], folder: folder) { client, _ in
            let first = try await say(client, "one", key: "req-1/chatbot/memory")
            let retried = try await say(client, "one", key: "req-1/chatbot/memory")
            let second = try await say(client, "two", key: "req-2/chatbot/memory")
            let unkeyed = try await say(client, "three", key: nil)
            #expect(first.count == 1)
            #expect(retried.count == 1, "a retry appends nothing and still answers the window")
            #expect(second.count == 2)
            #expect(unkeyed.count == 3)
            var bad = Server.request("memory", memoryID: id, role: "user", content: [Array("x".utf8)], type: ["text"])
            bad.parameters["append_key"] = .int64(7)
            await #expect(throws: InferenceError.self) { try await client.infer(bad) }
        }
        try await Server.with(["memory": Server.settings("memory", store)], folder: folder) { client, _ in
            let again = try await say(client, "two", key: "req-2/chatbot/memory")
            #expect(again == [Server.json("user", "one"), Server.json("user", "two"), Server.json("user", "three")])
        }
    }

    @Test("seed: a multimodal entry keeps all its parts together, also sent as MLServer's shape [1] with two elements; media raw at rest, base64 in the history", arguments: StoreFixture.all)
    func seedMultimodal(_ store: StoreFixture) async throws {
        try await Server.with(["memory": Server.settings("memory", store)]) { client, folder in
            let id = UUID().uuidString
            // Seed 002 verbatim: shape [1] on content and type, two elements each.
            var request = Server.request("memory", memoryID: id)
            request.inputs += [
                Tensors.text("role", ["user"], shape: [1]),
                Tensors.text("content", ["This is the first input", "This is the second input"], shape: [1]),
                Tensors.text("type", ["text", "text"], shape: [1]),
            ]
            let history = try Tensors.strings(try await client.infer(request), "history")
            #expect(history == [#"{"role": "user", "content": [{"type": "text", "value": "This is the first input"}, {"type": "text", "value": "This is the second input"}]}"#])

            // Small enough that SQLite keeps it in one page, so the raw bytes are contiguous on disk.
            let image = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let withImage = try Tensors.strings(try await client.infer(Server.request(
                "memory", memoryID: id, role: "user", content: [Array("Look: é".utf8), image], type: ["text", "image/png"])), "history")
            #expect(withImage.last == #"{"role": "user", "content": [{"type": "text", "value": "Look: \u00e9"}, {"type": "image/png", "value": ""# + Data(image).base64EncodedString() + #""}]}"#)
            // At rest: the raw bytes are in the store's files, their base64 is not.
            guard store.storesInModelFolder else { return }
            var stored = Data()
            for file in FileManager.default.enumerator(atPath: folder)?.compactMap({ $0 as? String }) ?? [] {
                stored.append(FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(file)) ?? Data())
            }
            #expect(stored.range(of: Data(image)) != nil, "the image is stored raw")
            #expect(stored.range(of: Data(Data(image).base64EncodedString().utf8)) == nil, "and never as base64")
        }
    }

    @Test("the window: the last window_size entries; a system entry that slid out stays first (the seeds' PostgreSQL example)", arguments: StoreFixture.all)
    func window(_ store: StoreFixture) async throws {
        try await Server.with(["memory": Server.settings("memory", store, windowSize: 4)]) { client, _ in
            let id = UUID().uuidString
            var last: [String] = []
            for (role, text) in [("system", "You are a helpful assistant"), ("user", "Hi! How are you doing today?"), ("assistant", "I'm doing great, how about you?"),
                                 ("user", "I'm doing well too. I have a question for you."), ("assistant", "Sure, what's your question?")] {
                last = try await Server.say(client, "memory", id, role, text)
            }
            let expected = [
                Server.json("system", "You are a helpful assistant"), Server.json("assistant", "I'm doing great, how about you?"),
                Server.json("user", "I'm doing well too. I have a question for you."), Server.json("assistant", "Sure, what's your question?"),
            ]
            #expect(last == expected)
            #expect(try await Server.history(client, "memory", id) == expected)
        }
    }

    @Test("property: the window equals the rule applied to everything appended", arguments: StoreFixture.all)
    func windowProperty(_ store: StoreFixture) async throws {
        var generator = SplitMix(seed: UInt64(store.name.utf8.count * 7))
        let sizes = [1, 2, 3, 5, 8]
        let run = UUID().uuidString
        try await Server.with(Dictionary(uniqueKeysWithValues: sizes.map { ("m\($0)", Server.settings("m\($0)", store, windowSize: $0)) })) { client, _ in
            for conversation in 0..<12 {
                let size = sizes[conversation % sizes.count]
                let id = "\(run)-conversation-\(conversation)"
                var appended: [MemoryEntry] = []
                for step in 0..<Int.random(in: 1...14, using: &generator) {
                    let role = ["user", "assistant", "system", "user", "assistant"].randomElement(using: &generator)!
                    let text = "\(conversation).\(step) " + String(repeating: "x", count: Int.random(in: 0...20, using: &generator))
                    appended.append(MemoryEntry(role: role, parts: [.init(type: "text", value: Array(text.utf8))]))
                    let window = try await Server.say(client, "m\(size)", id, role, text)
                    let expected = MemoryWindow.select(appended, size: size).map { Server.json($0.role, String(decoding: $0.parts[0].value, as: UTF8.self)) }
                    #expect(window == expected, "\(store.name) \(id) after \(appended.count)")
                }
            }
        }
    }

    @Test("200 concurrent appends to one memory: all kept, each once, in one order that every later read agrees on", arguments: StoreFixture.all)
    func concurrentAppends(_ store: StoreFixture) async throws {
        try await Server.with(["memory": Server.settings("memory", store, windowSize: 1000)]) { client, _ in
            let id = UUID().uuidString
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { _ = try await Server.say(client, "memory", id, "user", "message \(index)") }
                }
                try await group.waitForAll()
            }
            let first = try await Server.history(client, "memory", id)
            #expect(first.count == 200)
            #expect(Set(first) == Set((0..<200).map { Server.json("user", "message \($0)") }))
            #expect(try await Server.history(client, "memory", id) == first)
        }
    }

    @Test("durable: what was acknowledged is there after the server stops and a new one opens the store", arguments: StoreFixture.all)
    func survivesRestart(_ store: StoreFixture) async throws {
        let folder = try TemporaryFolder()
        let id = UUID().uuidString
        let models = ["memory": Server.settings("memory", store)]
        try await Server.with(models, folder: folder) { client, _ in
            _ = try await Server.say(client, "memory", id, "user", "before the restart")
        }
        try await Server.with(models, folder: folder) { client, _ in
            let window = try await Server.say(client, "memory", id, "assistant", "after it")
            #expect(window == [Server.json("user", "before the restart"), Server.json("assistant", "after it")])
        }
    }

    /// The fixture damages the memory's first entry: a damaged last record may read as a write
    /// torn by a crash, which a store may drop (the file store does).
    @Test("damaged entries are DATA_LOSS for that memory only; the others serve", arguments: StoreFixture.all)
    func damage(_ store: StoreFixture) async throws {
        try await Server.with(["memory": Server.settings("memory", store)]) { client, folder in
            let damaged = "damaged-" + UUID().uuidString
            let healthy = "healthy-" + UUID().uuidString
            _ = try await Server.say(client, "memory", damaged, "user", "first")
            _ = try await Server.say(client, "memory", damaged, "user", "second")
            _ = try await Server.say(client, "memory", healthy, "user", "fine")
            try await store.damage(folder + "/memory", damaged)
            await #expect { _ = try await Server.history(client, "memory", damaged) } throws: {
                ($0 as? InferenceError)?.code == .dataLoss
            }
            #expect(try await Server.history(client, "memory", healthy) == [Server.json("user", "fine")])
        }
    }
}
