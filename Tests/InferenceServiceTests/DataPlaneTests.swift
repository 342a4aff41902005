import InferWireClient
import InferWireCore
import InferWireProtocol
import InferenceService
import NIOConcurrencyHelpers
import NIOCore
import ProtoWire
import Testing

/// What the data plane checks for every door, seen through the binary one over TCP: requested
/// outputs, routing that disagrees with the message, duplicate inputs, MLServer's loose BYTES
/// shapes, versions named in errors; and the connection limit's GOAWAY.
@Suite("Data plane", .timeLimit(.minutes(1)))
struct DataPlaneTests {
    /// Declares outputs `a` and `b`, counts its calls (to see that refused requests never ran).
    struct CountingRuntime: InferenceRuntime {
        let calls = NIOLockedValueBox(0)

        func metadata() -> ModelMetadataResponse {
            var metadata = ModelMetadataResponse()
            metadata.name = "counting"
            metadata.outputs = [.init(name: "a", datatype: "BYTES", shape: [1]), .init(name: "b", datatype: "BYTES", shape: [1])]
            return metadata
        }

        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            calls.withLockedValue { $0 += 1 }
            var response = ModelInferResponse()
            response.modelName = "counting"
            response.outputs = [.strings("a", ["A"]), .strings("b", ["B"])]
            return response
        }
    }

    static func input(_ name: String, _ values: [String], shape: [Int64]? = nil) -> ModelInferRequest.InferInputTensor {
        var contents = InferTensorContents()
        contents.bytesContents = values.map { ByteBuffer(string: $0) }
        return .init(name: name, datatype: "BYTES", shape: shape ?? [Int64(values.count)], contents: contents)
    }

    static func request(_ model: String, _ inputs: [ModelInferRequest.InferInputTensor], outputs: [String] = []) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = model
        request.inputs = inputs
        request.outputs = outputs.map { .init(name: $0) }
        return request
    }

    static func expectStatus(_ code: StatusCode, containing text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        await #expect(sourceLocation: sourceLocation) { try await body() } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == code && error.message.contains(text)
        }
    }

    @Test("requested outputs: only those come back, in the response's order, raw contents kept in step")
    func requestedOutputs() async throws {
        let fixture = try await EchoServerFixture.start()
        let typed = try await fixture.client.infer(Self.request("echo", [Self.input("x", ["1"]), Self.input("y", ["2"]), Self.input("z", ["3"])], outputs: ["z", "x"]))
        #expect(typed.outputs.map(\.name) == ["x", "z"])
        #expect(typed.outputs.map { $0.contents?.bytesContents.map { String(buffer: $0) } ?? [] } == [["1"], ["3"]])

        var raw = Self.request("echo", [.init(name: "x", datatype: "BYTES", shape: [1]), .init(name: "y", datatype: "BYTES", shape: [1])], outputs: ["y"])
        raw.rawInputContents = [BytesElements.encode(strings: ["one"]), BytesElements.encode(strings: ["two"])]
        let answer = try await fixture.client.infer(raw)
        #expect(answer.outputs.map(\.name) == ["y"])
        #expect(try BytesElements.split(answer.rawOutputContents[0]).map { String(buffer: $0) } == ["two"])
        await fixture.stop()
    }

    @Test("an output the model cannot produce is INVALID_ARGUMENT naming it; a model that declares its outputs refuses before running")
    func unknownOutput() async throws {
        let fixture = try await EchoServerFixture.start()
        let counting = CountingRuntime()
        await fixture.registry.register(name: "counting", runtime: counting)
        try await fixture.registry.load(name: "counting")
        await Self.expectStatus(.invalidArgument, containing: "the model has no output 'w'") {
            _ = try await fixture.client.infer(Self.request("echo", [Self.input("x", ["1"])], outputs: ["w"]))
        }
        await Self.expectStatus(.invalidArgument, containing: "the model has no output 'c' (outputs: a, b)") {
            _ = try await fixture.client.infer(Self.request("counting", [], outputs: ["a", "c"]))
        }
        #expect(counting.calls.withLockedValue { $0 } == 0, "the runtime ran for a refused request")
        let selected = try await fixture.client.infer(Self.request("counting", [], outputs: ["b"]))
        #expect(selected.outputs.map(\.name) == ["b"])
        await fixture.stop()
    }

    @Test("two inputs with one name are INVALID_ARGUMENT")
    func duplicateInputs() async throws {
        let fixture = try await EchoServerFixture.start()
        await Self.expectStatus(.invalidArgument, containing: "input 'x' appears more than once") {
            _ = try await fixture.client.infer(Self.request("echo", [Self.input("x", ["1"]), Self.input("x", ["2"])]))
        }
        await fixture.stop()
    }

    @Test("MLServer's loose BYTES shapes are served (seed 002: shape [1], two elements); fixed-width tensors stay exact")
    func looseBytesShape() async throws {
        let fixture = try await EchoServerFixture.start()
        let answer = try await fixture.client.infer(Self.request("echo", [Self.input("content", ["first", "second"], shape: [1])]))
        #expect(answer.outputs[0].contents?.bytesContents.count == 2)
        var floats = Self.request("echo", [.init(name: "f", datatype: "FP32", shape: [2])])
        floats.inputs[0].contents = InferTensorContents()
        floats.inputs[0].contents?.fp32Contents = [1]
        await Self.expectStatus(.invalidArgument, containing: "tensor 'f': the data holds 1 elements, the shape says 2") {
            _ = try await fixture.client.infer(floats)
        }
        await fixture.stop()
    }

    @Test("HEADERS naming another model or version than the message: INVALID_ARGUMENT, for every method that names a model", arguments: [
        Method.modelInfer, .modelStreamInfer, .modelReady, .modelMetadata, .repositoryModelLoad, .repositoryModelUnload,
    ])
    func routingMismatch(_ method: Method) async throws {
        let fixture = try await EchoServerFixture.start()
        let message: ByteBuffer
        switch method {
        case .modelInfer, .modelStreamInfer: message = ByteBuffer(bytes: Self.request("echo", [Self.input("x", ["1"])]).serializedBytes())
        case .modelReady: message = ByteBuffer(bytes: ModelReadyRequest(name: "echo").serializedBytes())
        case .modelMetadata: message = ByteBuffer(bytes: ModelMetadataRequest(name: "echo").serializedBytes())
        case .repositoryModelLoad: message = ByteBuffer(bytes: RepositoryModelLoadRequest(modelName: "echo").serializedBytes())
        default: message = ByteBuffer(bytes: RepositoryModelUnloadRequest(modelName: "echo").serializedBytes())
        }
        await Self.expectStatus(.invalidArgument, containing: "routed to model 'other' but the message names 'echo'") {
            for try await _ in fixture.client.call(RequestHeaders(method: method, modelName: "other"), message: message) {}
        }
        if method != .repositoryModelLoad, method != .repositoryModelUnload {
            var versioned = message
            if method == .modelReady { versioned = ByteBuffer(bytes: ModelReadyRequest(name: "echo", version: "1").serializedBytes()) }
            if method == .modelMetadata { versioned = ByteBuffer(bytes: ModelMetadataRequest(name: "echo", version: "1").serializedBytes()) }
            if method == .modelInfer || method == .modelStreamInfer {
                var request = Self.request("echo", [Self.input("x", ["1"])])
                request.modelVersion = "1"
                versioned = ByteBuffer(bytes: request.serializedBytes())
            }
            await Self.expectStatus(.invalidArgument, containing: "routed to version '2' but the message names version '1'") {
                for try await _ in fixture.client.call(RequestHeaders(method: method, modelName: "echo", modelVersion: "2"), message: versioned) {}
            }
        }
        // Headers that agree, or say nothing, route as before.
        for try await _ in fixture.client.call(RequestHeaders(method: method, modelName: "echo"), message: message) {}
        await fixture.stop()
    }

    @Test("ModelMetadata for a version the model does not have names the version")
    func metadataVersion() async throws {
        let fixture = try await EchoServerFixture.start()
        await Self.expectStatus(.notFound, containing: "model 'echo' has no version '9'") {
            _ = try await fixture.client.modelMetadata("echo", version: "9")
        }
        await Self.expectStatus(.notFound, containing: "model 'nope' not found") {
            _ = try await fixture.client.modelMetadata("nope")
        }
        #expect(try await fixture.client.modelMetadata("echo", version: "1").name == "echo")
        await fixture.stop()
    }

    @Test("malformed messages are described in words, not Swift type names")
    func errorsInWords() async throws {
        let fixture = try await EchoServerFixture.start()
        // Field 1 (model_name) sent as a varint: the wrong wire type.
        await Self.expectStatus(.invalidArgument, containing: "malformed ModelInferRequest: the field is length-delimited on the wire, not varint at byte 1 in field model_name") {
            for try await _ in fixture.client.call(RequestHeaders(method: .modelInfer), message: ByteBuffer(bytes: [0x08, 0x01])) {}
        }
        await fixture.stop()
    }

    @Test("over max_connections: the new connection gets the preface and GOAWAY CONNECTION_LIMIT with the reason, the others serve")
    func connectionLimit() async throws {
        let fixture = try await EchoServerFixture.start(maxConnections: 1)
        let refused = try await RawConnection.open(port: fixture.port)
        #expect(try await refused.waitClosed())
        let goAway = try #require(try refused.serverFrames().first)
        #expect(goAway.type == .goAway)
        let decoded = try GoAway.decode(goAway.payload)
        #expect(decoded.code == .connectionLimit && decoded.message.contains("1 connections open"))
        #expect(try await fixture.client.serverLive())
        await fixture.stop()
    }

    /// Records the context it was given.
    struct ContextRecorder: InferenceRuntime {
        let seen = NIOLockedValueBox<RequestContext?>(nil)

        func metadata() -> ModelMetadataResponse { ModelMetadataResponse() }

        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            seen.withLockedValue { $0 = context }
            return ModelInferResponse()
        }
    }

    @Test("the bearer token stops at the data plane: the runtime's context has none, and a context prints it redacted")
    func tokenNotForRuntimes() async throws {
        let registry = ModelRegistry()
        let recorder = ContextRecorder()
        await registry.register(name: "recorder", runtime: recorder)
        try await registry.load(name: "recorder")
        let secret = "s3cret-token-for-the-data-plane"
        let server = try await BinaryServer.start(
            host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry, authToken: secret)))
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: try #require(server.localAddress?.port))
        var headers = RequestHeaders(method: .modelInfer, modelName: "recorder", requestID: "with-token", metadata: ["trace": "1"])
        headers.authorization = "Bearer \(secret)"
        for try await _ in client.call(headers, message: ByteBuffer(bytes: Self.request("recorder", []).serializedBytes())) {}
        let seen = try #require(recorder.seen.withLockedValue { $0 })
        #expect(seen.authorization == "" && seen.requestID == "with-token" && seen.metadata == ["trace": "1"])
        let printed = "\(RequestContext(requestID: "r", authorization: "Bearer \(secret)"))"
        #expect(!printed.contains(secret) && printed.contains("<redacted>"))
        await client.close()
        await server.shutdown(timeout: .seconds(1))
    }
}
