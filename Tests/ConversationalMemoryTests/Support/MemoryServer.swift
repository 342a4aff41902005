import ConversationalMemory
import Foundation
import InferWireClient
import InferWireCore
import InferenceService
import PostgresMemory
import ProtoWire
import TestSupport
import Testing

/// A server over a repository of memory models (name → model-settings.json) with every store
/// wired as `inferwire serve` wires them, and the requests of the memory convention.
enum MemoryServer {
    static func settings(_ name: String, _ store: StoreFixture, windowSize: Int = 50) -> String {
        #"{"name": "\#(name)", "implementation": "mlserver_memory.ConversationalMemory", "parameters": {"extra": \#(store.extra(windowSize))}}"#
    }

    static func stores() -> MemoryStoreRegistry {
        var stores = MemoryStoreRegistry.builtIn
        PostgresMemoryStore.register(in: &stores)
        return stores
    }

    /// Runs `body` with a client; `folder` is the repository root (reuse it to restart on the
    /// same files).
    static func with(
        _ models: [String: String], folder: TemporaryFolder? = nil, stores: MemoryStoreRegistry = stores(), expectReady: Bool = true,
        _ body: (InferWireClient, String) async throws -> Void
    ) async throws {
        let folder = try folder ?? TemporaryFolder()
        for (name, text) in models { try folder.write("\(name)/model-settings.json", text) }
        var runtimes = RuntimeFactory.builtIn
        MemoryRuntime.register(in: &runtimes, stores: stores)
        try await LoopbackServer.with(repository: folder.path, runtimes: runtimes) { client, _ in
            for model in try await client.repositoryIndex() where model.state != "READY" && expectReady {
                Issue.record("model \(model.name) is \(model.state): \(model.reason)")
            }
            try await body(client, folder.path)
        }
    }

    static func request(_ model: String, memoryID: String, role: String? = nil, content: [[UInt8]] = [], type: [String] = []) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        request.inputs = [Tensors.text("memory_id", [memoryID])]
        if let role {
            request.inputs.append(Tensors.text("role", [role]))
            request.inputs.append(Tensors.bytesInput("content", content))
            request.inputs.append(Tensors.text("type", type))
        }
        return request
    }

    /// Appends one text entry; returns the window.
    static func say(_ client: InferWireClient, _ model: String, _ memoryID: String, _ role: String, _ text: String) async throws -> [String] {
        try Tensors.strings(try await client.infer(request(model, memoryID: memoryID, role: role, content: [Array(text.utf8)], type: ["text"])), "history")
    }

    static func history(_ client: InferWireClient, _ model: String, _ memoryID: String) async throws -> [String] {
        try Tensors.strings(try await client.infer(request(model, memoryID: memoryID)), "history")
    }

    /// The history element of a one-part text entry.
    static func json(_ role: String, _ text: String) -> String {
        #"{"role": "\#(role)", "content": [{"type": "text", "value": "\#(text)"}]}"#
    }
}
