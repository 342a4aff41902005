import InferWireCore
import ProtoWire

/// The typed data plane: every V2 call as a function from request message to response message.
/// Every door (the binary protocol here; HTTP and gRPC next) decodes its wire format into these
/// messages and calls these functions, so authentication, routing checks, tensor checks,
/// requested outputs and status codes are the same whichever door a call came through.
public struct DataPlane: Sendable {
    public let registry: ModelRegistry
    public let serverName: String
    public let serverVersion: String
    /// Who may call what: unless open, every call but ServerLive and ServerReady (the probes)
    /// must carry `authorization: "Bearer <token>"` of a grant that allows it. Tokens are
    /// secrets: never logged or echoed.
    public let access: AccessPolicy

    public init(
        registry: ModelRegistry, serverName: String = "inferwire", serverVersion: String = "0.1.0", authToken: String? = nil,
        access: AccessPolicy? = nil
    ) {
        self.registry = registry
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.access = access ?? authToken.flatMap { $0.isEmpty ? nil : AccessPolicy.singleToken($0) } ?? .open
    }

    // MARK: Health and metadata

    public func serverLive(_ request: ServerLiveRequest, context: RequestContext) -> ServerLiveResponse {
        ServerLiveResponse(live: true)
    }

    public func serverReady(_ request: ServerReadyRequest, context: RequestContext) async -> ServerReadyResponse {
        ServerReadyResponse(ready: await registry.allReady)
    }

    public func modelReady(_ request: ModelReadyRequest, context: RequestContext) async throws(InferenceError) -> ModelReadyResponse {
        try authenticate(context)
        let (name, version) = try route(request.name, request.version, context)
        try access.admit(context.authorization, .metadata, model: name)
        return ModelReadyResponse(ready: await registry.isReady(name: name, version: version))
    }

    public func serverMetadata(_ request: ServerMetadataRequest, context: RequestContext) throws(InferenceError) -> ServerMetadataResponse {
        try access.admit(context.authorization, .metadata, model: nil)
        var response = ServerMetadataResponse()
        response.name = serverName
        response.version = serverVersion
        response.extensions = ["model_repository", "binary_tensor_data"]
        return response
    }

    public func modelMetadata(_ request: ModelMetadataRequest, context: RequestContext) async throws(InferenceError) -> ModelMetadataResponse {
        try authenticate(context)
        let (name, version) = try route(request.name, request.version, context)
        try access.admit(context.authorization, .metadata, model: name)
        return try await registry.metadata(name: name, version: version)
    }

    // MARK: Inference

    public func infer(_ request: ModelInferRequest, context: RequestContext) async throws(InferenceError) -> ModelInferResponse {
        let (request, runtime, outputs, permit) = try await prepare(request, context)
        defer { permit?.release() }
        let context = context.forRuntime
        let response = try await RuntimeCall.run { try await runtime.infer(request, context: context) }
        return try outputs.select(from: response, strict: true)
    }

    /// Server streaming: `send` receives each response in order; returning normally means OK.
    public func inferStream(
        _ request: ModelInferRequest, context: RequestContext, send: (ModelInferResponse) async -> Void
    ) async throws(InferenceError) {
        let (request, runtime, outputs, permit) = try await prepare(request, context)
        defer { permit?.release() }
        let context = context.forRuntime
        try await RuntimeCall.run {
            for try await response in runtime.inferStream(request, context: context) {
                // A streamed piece may carry some outputs only (an LLM's text deltas).
                await send(try outputs.select(from: response, strict: false))
            }
        }
    }

    /// Checks a request before its runtime sees it: the caller, the model it names, distinct
    /// input names, tensor data against shapes, requested outputs the model can answer.
    private func prepare(
        _ request: ModelInferRequest, _ context: RequestContext
    ) async throws(InferenceError) -> (ModelInferRequest, any InferenceRuntime, RequestedOutputs, AccessPolicy.CallPermit?) {
        try authenticate(context)
        var request = request
        (request.modelName, request.modelVersion) = try route(request.modelName, request.modelVersion, context)
        let permit = try access.admitCall(context.authorization, model: request.modelName)
        // Whatever fails from here on gives the call's slot back.
        do throws(InferenceError) {
            return try await prepareAdmitted(request, permit)
        } catch {
            permit?.release()
            throw error
        }
    }

    private func prepareAdmitted(
        _ request: ModelInferRequest, _ permit: AccessPolicy.CallPermit?
    ) async throws(InferenceError) -> (ModelInferRequest, any InferenceRuntime, RequestedOutputs, AccessPolicy.CallPermit?) {
        if let duplicate = Self.duplicateName(request.inputs.map(\.name)) {
            throw InferenceError(.invalidArgument, "input '\(duplicate)' appears more than once")
        }
        do {
            try request.validateTensorData(bytesShape: .elementsDecide)
        } catch {
            throw InferenceError(.invalidArgument, "bad tensor data: \(error)")
        }
        let runtime = try await registry.readyRuntime(name: request.modelName, version: request.modelVersion)
        // Most requests name no outputs: then the runtime's metadata is not even built.
        let outputs = request.outputs.isEmpty
            ? RequestedOutputs.all : try RequestedOutputs(request.outputs, declared: runtime.metadata().outputs.map(\.name))
        return (request, runtime, outputs, permit)
    }

    /// The first name that appears twice; pairwise for the few inputs a request has (no set
    /// allocated on the hot path).
    static func duplicateName(_ names: [String]) -> String? {
        guard names.count > 1 else { return nil }
        if names.count > 32 {
            var seen = Set<String>()
            return names.first { !seen.insert($0).inserted }
        }
        for index in 1..<names.count where names[..<index].contains(names[index]) {
            return names[index]
        }
        return nil
    }

    // MARK: Model repository

    public func repositoryIndex(_ request: RepositoryIndexRequest, context: RequestContext) async throws(InferenceError) -> RepositoryIndexResponse {
        let caller = try access.identify(context.authorization)
        try access.admit(context.authorization, .metadata, model: nil)
        var response = RepositoryIndexResponse()
        // A token sees the models it may use, no others.
        response.models = await registry.index(readyOnly: request.ready).filter { caller?.grant.allows(model: $0.name) ?? true }
        return response
    }

    public func repositoryModelLoad(_ request: RepositoryModelLoadRequest, context: RequestContext) async throws(InferenceError) -> RepositoryModelLoadResponse {
        try authenticate(context)
        let (name, _) = try route(request.modelName, "", context)
        try access.admit(context.authorization, .repository, model: name)
        try await registry.load(name: name)
        return RepositoryModelLoadResponse()
    }

    public func repositoryModelUnload(_ request: RepositoryModelUnloadRequest, context: RequestContext) async throws(InferenceError) -> RepositoryModelUnloadResponse {
        try authenticate(context)
        let (name, _) = try route(request.modelName, "", context)
        try access.admit(context.authorization, .repository, model: name)
        try await registry.unload(name: name)
        return RepositoryModelUnloadResponse()
    }

    // MARK: Checks every door gets

    /// Checks the caller's bearer token, only that it is one the server knows (every function
    /// but the probes does this itself, then checks its grant; doors call it early to refuse
    /// before decoding).
    public func authenticate(_ context: RequestContext) throws(InferenceError) {
        _ = try access.identify(context.authorization)
    }

    /// The model a call is for: the message's name and version, which must agree with where the
    /// door routed the call when both say something; an empty one takes the other's.
    private func route(_ name: String, _ version: String, _ context: RequestContext) throws(InferenceError) -> (String, String) {
        if !context.routedModel.isEmpty, !name.isEmpty, context.routedModel != name {
            throw InferenceError(.invalidArgument, "the call is routed to model '\(context.routedModel)' but the message names '\(name)'")
        }
        if !context.routedVersion.isEmpty, !version.isEmpty, context.routedVersion != version {
            throw InferenceError(.invalidArgument, "the call is routed to version '\(context.routedVersion)' but the message names version '\(version)'")
        }
        return (name.isEmpty ? context.routedModel : name, version.isEmpty ? context.routedVersion : version)
    }
}
