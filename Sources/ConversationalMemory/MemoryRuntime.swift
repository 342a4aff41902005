import Foundation
import InferWireCore
import NIOConcurrencyHelpers
import NIOCore
import ProtoWire

/// Seldon's `mlserver_memory.ConversationalMemory` (also `inferwire.MemoryRuntime`): stores
/// conversations and returns their window, as in the seed:
///
/// - `memory_id` only: the last `window_size` entries (`MemoryWindow`);
/// - `memory_id` + `role` [1] + `content` / `type` [1] or [1, N]: appends one entry (all its
///   parts together), commits it, then returns the window including it.
///
/// Outputs: `memory_id` [1, 1] and `history` [k, 1], BYTES with `content_type: str`, each element
/// `{"role": …, "content": [{"type": …, "value": …}]}` (`HistoryJSON`).
public struct MemoryRuntime: InferenceRuntime {
    public let name: String
    public let version: String
    public let settings: MemorySettings
    /// The open store between load and unload.
    private let store = NIOLockedValueBox<(any MemoryStore)?>(nil)

    /// Longest accepted memory id, in UTF-8 bytes.
    public static let maxMemoryIDBytes = 256

    private let open: MemoryStoreOpener

    public init(settings modelSettings: ModelSettings, stores: MemoryStoreRegistry = .builtIn) throws(InferenceError) {
        name = modelSettings.name
        version = modelSettings.version
        settings = try MemorySettings.parse(modelSettings.extra, folder: modelSettings.folder)
        open = try stores.prepare(settings.location)
    }

    /// Registers this runtime under Seldon's name and InferWire's, opening stores from `stores`.
    public static func register(in factory: inout RuntimeFactory, stores: MemoryStoreRegistry = .builtIn) {
        let make: RuntimeFactory.Make = { settings in try MemoryRuntime(settings: settings, stores: stores) }
        factory.register("mlserver_memory.ConversationalMemory", make)
        factory.register("inferwire.MemoryRuntime", make)
    }

    /// Opens the store (PostgreSQL: connects and creates the table); a failure leaves the model
    /// UNAVAILABLE with the reason.
    public func load() async throws {
        let opened = try await open()
        let previous = store.withLockedValue { current in
            defer { current = opened }
            return current
        }
        await previous?.close()
    }

    public func unload() async throws {
        let previous = store.withLockedValue { current in
            defer { current = nil }
            return current
        }
        await previous?.close()
    }

    public func metadata() -> ModelMetadataResponse {
        var metadata = ModelMetadataResponse()
        metadata.name = name
        metadata.versions = version.isEmpty ? [] : [version]
        metadata.platform = "inferwire-memory"
        metadata.inputs = (["memory_id"] + settings.tensorNames).map { .init(name: $0, datatype: "BYTES", shape: [-1]) }
        metadata.outputs = ["memory_id", "history"].map { .init(name: $0, datatype: "BYTES", shape: [-1, 1]) }
        return metadata
    }

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
        let known = Set(["memory_id"] + settings.tensorNames)
        if let unknown = request.inputs.first(where: { !known.contains($0.name) }) {
            throw InferenceError(.invalidArgument, "tensor \(unknown.name) is not an input of this memory model (memory_id, \(settings.tensorNames.joined(separator: ", ")))")
        }
        guard let idIndex = request.inputIndex(named: "memory_id") else {
            throw InferenceError(.invalidArgument, "the memory_id tensor is required")
        }
        let ids = try request.requireStrings(ofInput: idIndex)
        guard ids.count == 1, let memoryID = ids.first, !memoryID.isEmpty else {
            throw InferenceError(.invalidArgument, "tensor memory_id must hold one non-empty id")
        }
        guard !memoryID.utf8.contains(0) else {
            throw InferenceError(.invalidArgument, "tensor memory_id must not contain NUL characters")
        }
        guard memoryID.utf8.count <= Self.maxMemoryIDBytes else {
            throw InferenceError(.invalidArgument, "tensor memory_id is \(memoryID.utf8.count) bytes, over the limit of \(Self.maxMemoryIDBytes)")
        }
        let entry = try self.entry(from: request)
        guard let store = store.withLockedValue({ $0 }) else { throw InferenceError(.unavailable, "memory model \(name) is not loaded") }
        // `append_key` (a pipeline sets it from the request id): a retried request appends once.
        var appendKey: String?
        if let parameter = request.parameters["append_key"] {
            guard case .string(let key) = parameter.value, !key.isEmpty, key.utf8.count <= 512 else {
                throw InferenceError(.invalidArgument, "parameter append_key must be a non-empty string of at most 512 bytes")
            }
            appendKey = key
        }
        let window = try await store.appendAndWindow(memoryID: memoryID, entry: entry, appendKey: appendKey, windowSize: settings.windowSize)
        var response = ModelInferResponse()
        response.modelName = name
        response.modelVersion = version
        response.id = request.id.isEmpty ? context.requestID : request.id
        response.outputs = [
            .strings("memory_id", [memoryID]),
            .strings("history", window.map(HistoryJSON.element)),
        ]
        return response
    }

    /// The entry a request appends, or nil for a read.
    private func entry(from request: ModelInferRequest) throws(InferenceError) -> MemoryEntry? {
        let (roleName, contentName, typeName) = (settings.tensorNames[0], settings.tensorNames[1], settings.tensorNames[2])
        let indices = [roleName, contentName, typeName].map { request.inputIndex(named: $0) }
        if indices.allSatisfy({ $0 == nil }) { return nil }
        guard let roleIndex = indices[0], let contentIndex = indices[1], let typeIndex = indices[2] else {
            throw InferenceError(.invalidArgument, "to append, send \(roleName), \(contentName) and \(typeName) together")
        }
        let roles = try request.requireStrings(ofInput: roleIndex)
        guard roles.count == 1, let role = roles.first, !role.isEmpty else {
            throw InferenceError(.invalidArgument, "tensor \(roleName) must hold one role: one entry per request")
        }
        guard !role.utf8.contains(0), role.utf8.count <= 64 else {
            throw InferenceError(.invalidArgument, "tensor \(roleName): a role is at most 64 bytes, without NUL characters")
        }
        let contents = try request.requireBytesElements(ofInput: contentIndex)
        let types = try request.requireStrings(ofInput: typeIndex)
        guard !contents.isEmpty, contents.count == types.count else {
            throw InferenceError(.invalidArgument, "tensor \(contentName) has \(contents.count) element(s) but \(typeName) has \(types.count)")
        }
        var parts: [MemoryEntry.Part] = []
        for (index, (content, type)) in zip(contents, types).enumerated() {
            guard !type.isEmpty else { throw InferenceError(.invalidArgument, "tensor \(typeName), element \(index) is empty") }
            var value = content
            if type == "text" {
                _ = try BytesText.requireUTF8(content, tensor: contentName, element: index)
            } else {
                // Kept raw at rest: base64 of a known media type is decoded once, here.
                value = try MediaBytes.checked(content, type: type, place: "tensor \(contentName), element \(index)")
            }
            parts.append(MemoryEntry.Part(type: type, value: Array(value.readableBytesView)))
        }
        return MemoryEntry(role: role, parts: parts)
    }
}
