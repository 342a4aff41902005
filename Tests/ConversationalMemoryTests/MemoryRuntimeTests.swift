import Foundation
import InferWireCore
import ConversationalMemory
import InferenceService
import PostgresMemory
import InferWireClient
import InferWireProtocol
import NIOCore
import ProtoWire
import TestSupport
import Testing

/// The conversational memory runtime over real sockets: what is not the same for every store
/// (`StoreConformanceTests` has that): PostgreSQL shared by servers, a database that is down,
/// the store registry, bad input, media checks, the file format's torn tail.
@Suite("Conversational memory runtime", .timeLimit(.minutes(2)))
struct MemoryRuntimeTests {
    @Test("PostgreSQL shared by two servers: concurrent appends through both land once each, in one order both read")
    func twoServers() async throws {
        let settings = MemoryServer.settings("shared", .postgres, windowSize: 1000)
        try await MemoryServer.with(["shared": settings]) { first, _ in
            try await MemoryServer.with(["shared": settings]) { second, _ in
                let id = UUID().uuidString
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<120 {
                        let client = index % 2 == 0 ? first : second
                        group.addTask { _ = try await MemoryServer.say(client, "shared", id, "user", "message \(index)") }
                    }
                    try await group.waitForAll()
                }
                let fromFirst = try Tensors.strings(try await first.infer(MemoryServer.request("shared", memoryID: id)), "history")
                let fromSecond = try Tensors.strings(try await second.infer(MemoryServer.request("shared", memoryID: id)), "history")
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
        // require fails (retrying until its timeout); prefer must connect, even on a loaded machine.
        func tls(_ name: String, _ mode: String, timeout: Int = 3) -> String {
            #"{"name": "\#(name)", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "\#(StoreFixture.postgresURL)", "connection_options": {"sslmode": "\#(mode)", "connect_timeout": \#(timeout)}}}}}"#
        }
        try await MemoryServer.with([
            "down": down, "mysql": unsupported, "fine": MemoryServer.settings("fine", .sqlite),
            "tls-required": tls("tls-required", "require"), "tls-preferred": tls("tls-preferred", "prefer", timeout: 30), "tls-typo": tls("tls-typo", "sometimes"),
        ], expectReady: false) { client, _ in
            let index = Dictionary(uniqueKeysWithValues: try await client.repositoryIndex().map { ($0.name, $0) })
            #expect(index["down"]?.state == "UNAVAILABLE" && index["down"]?.reason.contains("PostgreSQL") == true, "\(index["down"]?.reason ?? "")")
            #expect(index["mysql"]?.state == "UNAVAILABLE" && index["mysql"]?.reason.contains("mysql is not supported") == true)
            #expect(index["fine"]?.state == "READY")
            #expect(index["tls-required"]?.state == "UNAVAILABLE", "\(index["tls-required"]?.reason ?? "")")
            #expect(index["tls-preferred"]?.state == "READY", "\(index["tls-preferred"]?.reason ?? "")")
            #expect(index["tls-typo"]?.reason.contains("sslmode must be one of") == true)
            await #expect { _ = try await client.infer(MemoryServer.request("down", memoryID: "x")) } throws: { ($0 as? InferenceError)?.code == .unavailable }
        }
    }

    @Test("bad input: a clear INVALID_ARGUMENT, and nothing stored", arguments: [
        ("no id", [Tensors.text("role", ["user"])], "the memory_id tensor is required"),
        ("empty id", [Tensors.text("memory_id", [""])], "one non-empty id"),
        ("two ids", [Tensors.text("memory_id", ["a", "b"])], "one non-empty id"),
        ("long id", [Tensors.text("memory_id", [String(repeating: "x", count: 257)])], "over the limit of 256"),
        ("NUL in id", [Tensors.text("memory_id", ["a\u{0}b"])], "must not contain NUL"),
        ("unknown tensor", [Tensors.text("memory_id", ["a"]), Tensors.text("question", ["?"])], "question is not an input"),
        ("role only", [Tensors.text("memory_id", ["a"]), Tensors.text("role", ["user"])], "send role, content and type together"),
        ("counts", [Tensors.text("memory_id", ["a"]), Tensors.text("role", ["user"]), Tensors.text("content", ["x", "y"]), Tensors.text("type", ["text"])], "content has 2 element(s) but type has 1"),
        ("two roles", [Tensors.text("memory_id", ["a"]), Tensors.text("role", ["user", "user"]), Tensors.text("content", ["x"]), Tensors.text("type", ["text"])], "one entry per request"),
    ])
    func badInput(_ name: String, _ inputs: [ModelInferRequest.InferInputTensor], _ message: String) async throws {
        try await MemoryServer.with(["memory": MemoryServer.settings("memory", .sqlite)]) { client, _ in
            var request = ModelInferRequest()
            request.modelName = "memory"
            request.inputs = inputs
            await #expect { _ = try await client.infer(request) } throws: { error in
                guard let error = error as? InferenceError else { return false }
                return error.code == .invalidArgument && error.message.contains(message)
            }
            let after = try await client.infer(MemoryServer.request("memory", memoryID: "a"))
            #expect(try Tensors.strings(after, "history") == [], "\(name): something was stored")
        }
    }

    @Test("a damaged memory file is DATA_LOSS for that memory only; a torn last record is dropped, the rest kept")
    func corruption() async throws {
        try await MemoryServer.with(["memory": MemoryServer.settings("memory", .files)]) { client, folder in
            _ = try await MemoryServer.say(client, "memory", "damaged", "user", "first")
            _ = try await MemoryServer.say(client, "memory", "damaged", "user", "second")
            _ = try await MemoryServer.say(client, "memory", "healthy", "user", "fine")
            _ = try await MemoryServer.say(client, "memory", "torn", "user", "kept")
            let store = try FileMemoryStore(folder: folder + "/memory/memory")
            // Flip a byte inside the first entry of "damaged" (the header record is 26 bytes).
            let damaged = store.path(for: "damaged")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
            bytes[40] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: damaged))
            await #expect { _ = try await client.infer(MemoryServer.request("memory", memoryID: "damaged")) } throws: {
                ($0 as? InferenceError)?.code == .dataLoss
            }
            #expect(try Tensors.strings(try await client.infer(MemoryServer.request("memory", memoryID: "healthy")), "history").count == 1)
            // A damaged length field in the middle is DATA_LOSS too, never taken for a torn tail.
            _ = try await MemoryServer.say(client, "memory", "length", "user", "one")
            _ = try await MemoryServer.say(client, "memory", "length", "user", "two")
            let lengthFile = store.path(for: "length")
            var lengthBytes = try Data(contentsOf: URL(fileURLWithPath: lengthFile))
            let headerLength = 12 + 7 + "length".utf8.count
            lengthBytes[headerLength + 1] ^= 0x7F  // the first entry's length, now far past the end
            try lengthBytes.write(to: URL(fileURLWithPath: lengthFile))
            await #expect { _ = try await MemoryServer.say(client, "memory", "length", "user", "three") } throws: {
                ($0 as? InferenceError)?.code == .dataLoss
            }
            // Half a record at the end (a crash mid-write, never acknowledged): ignored, then replaced.
            let torn = store.path(for: "torn")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: torn))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([200, 0, 0, 0, 1, 2, 3]))
            try handle.close()
            #expect(try Tensors.strings(try await client.infer(MemoryServer.request("memory", memoryID: "torn")), "history").count == 1)
            #expect(try await MemoryServer.say(client, "memory", "torn", "user", "after").count == 2)
        }
    }

    @Test("the store registry: a store registered for a URL scheme serves a model whose url names it; unknown schemes list the stores there are")
    func storeRegistry() async throws {
        var stores = MemoryServer.stores()
        stores.register(scheme: "test-memory") { location throws(InferenceError) in
            guard location.url == "test-memory://one" else { throw SettingsCheck.invalid("unexpected url \(location.url)") }
            return { ArrayMemoryStore() }
        }
        let registered = #"{"name": "registered", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "test-memory://one"}}}}"#
        let unknown = #"{"name": "unknown", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": {"database": "sql", "config": {"url": "redis://cache/0"}}}}"#
        try await MemoryServer.with(["registered": registered, "unknown": unknown], stores: stores, expectReady: false) { client, _ in
            let index = Dictionary(uniqueKeysWithValues: try await client.repositoryIndex().map { ($0.name, $0) })
            #expect(index["registered"]?.state == "READY")
            #expect(index["unknown"]?.reason.contains("redis is not supported (this server's stores: postgres, postgresql, sqlite, test-memory)") == true, "\(index["unknown"]?.reason ?? "")")
            #expect(try await MemoryServer.say(client, "registered", "a", "user", "hello") == [MemoryServer.json("user", "hello")])
        }
    }

    @Test("media: base64 text typed image/png is stored as the image's raw bytes; bytes that are not the type are INVALID_ARGUMENT, nothing stored")
    func mediaSignatures() async throws {
        try await MemoryServer.with(["memory": MemoryServer.settings("memory", .sqlite)]) { client, _ in
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
            let base64 = Array(Data(png).base64EncodedString().utf8)
            let history = try Tensors.strings(try await client.infer(MemoryServer.request(
                "memory", memoryID: "m", role: "user", content: [base64], type: ["image/png"])), "history")
            #expect(history == [#"{"role": "user", "content": [{"type": "image/png", "value": ""# + Data(png).base64EncodedString() + #""}]}"#])
            await #expect { _ = try await client.infer(MemoryServer.request("memory", memoryID: "m", role: "user", content: [Array("not a png".utf8)], type: ["image/png"])) } throws: {
                guard let error = $0 as? InferenceError else { return false }
                return error.code == .invalidArgument && error.message.contains("the data is not image/png")
            }
            #expect(try await MemoryServer.history(client, "memory", "m").count == 1)
        }
    }
}

/// A store kept in an array: what a new store needs to provide, nothing more.
actor ArrayMemoryStore: MemoryStore {
    private var conversations: [String: [MemoryEntry]] = [:]
    private var keys: Set<String> = []

    func appendAndWindow(memoryID: String, entry: MemoryEntry?, appendKey: String?, windowSize: Int) async throws -> [MemoryEntry] {
        if let entry, appendKey.map({ keys.insert(memoryID + "\u{0}" + $0).inserted }) ?? true {
            conversations[memoryID, default: []].append(entry)
        }
        return MemoryWindow.select(conversations[memoryID] ?? [], size: windowSize)
    }

    func close() async {}
}
