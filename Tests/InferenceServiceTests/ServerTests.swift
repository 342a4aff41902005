import InferWireClient
import InferWireCore
import InferWireProtocol
import InferenceService
import NIOCore
import NIOPosix
import ProtoWire
import Testing

/// The server and the client library over real loopback sockets.
@Suite("Binary server over TCP", .timeLimit(.minutes(2)))
struct ServerTests {
    typealias Fixture = EchoServerFixture

    func echoRequest(_ text: String, parameters: [String: InferParameter] = [:]) -> ModelInferRequest {
        var request = ModelInferRequest()
        request.modelName = "echo"
        request.id = "req-\(text.count)"
        request.parameters = parameters
        request.inputs = [.init(name: "text", datatype: "BYTES", shape: [1])]
        request.rawInputContents = [BytesElements.encode(strings: [text])]
        return request
    }

    func expectStatus(_ code: StatusCode, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
        } catch let error as InferenceError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected InferenceError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("health, metadata and repository index")
    func health() async throws {
        let fixture = try await Fixture.start()
        #expect(try await fixture.client.serverLive())
        #expect(try await fixture.client.serverReady())
        #expect(try await fixture.client.modelReady("echo"))
        #expect(try await !fixture.client.modelReady("missing"))
        #expect(try await fixture.client.serverMetadata().name == "inferwire")
        #expect(try await fixture.client.modelMetadata("echo").platform == "inferwire-echo")
        #expect(try await fixture.client.repositoryIndex().map(\.name) == ["echo"])
        await fixture.stop()
    }

    @Test("ModelInfer echoes raw bytes byte for byte, 1 MiB included")
    func echo() async throws {
        let fixture = try await Fixture.start()
        let response = try await fixture.client.infer(echoRequest("hello"))
        #expect(response.modelName == "echo")
        #expect(response.id == "req-5")
        #expect(try response.bytesElements(ofOutput: 0).map { String(buffer: $0) } == ["hello"])

        var image = echoRequest("")
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        image.inputs = [.init(name: "image", datatype: "BYTES", shape: [1])]
        image.rawInputContents = [BytesElements.encode([bytes])]
        let echoed = try await fixture.client.infer(image)
        #expect(echoed.rawOutputContents == image.rawInputContents)
        await fixture.stop()
    }

    @Test("a 64 MiB raw tensor round-trips byte-identical")
    func largeTensor() async throws {
        let settings = ConnectionSettings(maxFrameSize: 80 << 20, maxConcurrentStreams: 16)
        let registry = ModelRegistry()
        await registry.register(name: "echo", runtime: EchoRuntime(name: "echo"))
        try await registry.load(name: "echo")
        let server = try await BinaryServer.start(
            host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry), limits: DecodingLimits(maxMessageSize: 80 << 20)),
            settings: settings)
        let client = try await InferWireClient.connect(host: "127.0.0.1", port: try #require(server.localAddress?.port), settings: settings)
        var request = ModelInferRequest()
        request.modelName = "echo"
        request.inputs = [.init(name: "pixels", datatype: "UINT8", shape: [64 << 20])]
        var raw = ByteBuffer()
        raw.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 << 20) { bytes in
            for index in 0..<(64 << 20) { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 7) }
            return 64 << 20
        }
        request.rawInputContents = [raw]
        let response = try await client.infer(request)
        #expect(response.rawOutputContents.count == 1)
        #expect(response.rawOutputContents[0] == raw)
        await client.close()
        await server.shutdown(timeout: .seconds(2))
    }

    @Test("errors: unknown model, bad tensor, model mismatch, malformed message, unknown method")
    func errors() async throws {
        let fixture = try await Fixture.start()
        var unknown = echoRequest("x")
        unknown.modelName = "nope"
        await expectStatus(.notFound) { _ = try await fixture.client.infer(unknown) }

        var badShape = ModelInferRequest()
        badShape.modelName = "echo"
        badShape.inputs = [.init(name: "f", datatype: "FP32", shape: [2])]
        badShape.rawInputContents = [ByteBuffer(bytes: [0, 0, 128, 63])]
        await expectStatus(.invalidArgument) { _ = try await fixture.client.infer(badShape) }

        await expectStatus(.invalidArgument) {
            _ = try await fixture.client.unary(.modelInfer, self.echoRequest("x"), as: ModelInferResponse.self, modelName: "other")
        }
        await expectStatus(.invalidArgument) {
            for try await _ in fixture.client.call(RequestHeaders(method: .modelInfer), message: ByteBuffer(bytes: [0x0A, 0x05, 0x61])) {}
        }
        await expectStatus(.unimplemented) {
            for try await _ in fixture.client.call(RequestHeaders(method: Method(rawValue: 99)), message: ByteBuffer()) {}
        }
        // The connection survived all of it.
        #expect(try await fixture.client.serverLive())
        await fixture.stop()
    }

    @Test("1,000 concurrent streams on one connection, answered in any order")
    func concurrentStreams() async throws {
        let fixture = try await Fixture.start()
        let client = fixture.client
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<1000 {
                group.addTask {
                    // Varying delays make the responses interleave.
                    let request = self.echoRequest("message \(index)", parameters: ["delay_ms": .int64(Int64(index % 7))])
                    let response = try await client.infer(request)
                    return (index, String(buffer: try response.bytesElements(ofOutput: 0)[0]))
                }
            }
            var results: [Int: String] = [:]
            for try await (index, text) in group { results[index] = text }
            return results
        }
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0.value == "message \($0.key)" })
        await fixture.stop()
    }

    @Test("server streaming: ModelStreamInfer sends every response, then OK")
    func streaming() async throws {
        let fixture = try await Fixture.start()
        var count = 0
        for try await message in fixture.client.streamInfer(echoRequest("tick", parameters: ["stream_count": .int64(5)])) {
            #expect(message.errorMessage.isEmpty)
            #expect(try message.inferResponse?.bytesElements(ofOutput: 0).map { String(buffer: $0) } == ["tick"])
            count += 1
        }
        #expect(count == 5)
        await fixture.stop()
    }

    @Test("a deadline ends the stream with DEADLINE_EXCEEDED, long before the work would finish")
    func deadline() async throws {
        let fixture = try await Fixture.start()
        let start = ContinuousClock.now
        await expectStatus(.deadlineExceeded) {
            _ = try await fixture.client.infer(self.echoRequest("slow", parameters: ["delay_ms": .int64(30_000)]), timeout: .milliseconds(100))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try await fixture.client.serverLive())
        await fixture.stop()
    }

    @Test("cancelling the calling task cancels the stream; the connection goes on")
    func cancel() async throws {
        let fixture = try await Fixture.start()
        let client = fixture.client
        let slow = Task { try await client.infer(self.echoRequest("slow", parameters: ["delay_ms": .int64(30_000)])) }
        try await Task.sleep(for: .milliseconds(100))
        slow.cancel()
        let start = ContinuousClock.now
        let result = await slow.result
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(throws: (any Error).self) { try result.get() }
        #expect(try await client.infer(echoRequest("after")).id == "req-5")
        await fixture.stop()
    }

    @Test("streams beyond MAX_CONCURRENT_STREAMS get RESOURCE_EXHAUSTED; the others finish")
    func tooManyStreams() async throws {
        let fixture = try await Fixture.start(settings: ConnectionSettings(maxFrameSize: 1 << 20, maxConcurrentStreams: 2))
        let client = fixture.client
        let outcomes = await withTaskGroup(of: StatusCode.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await client.infer(self.echoRequest("x", parameters: ["delay_ms": .int64(300)]))
                        return .ok
                    } catch let error as InferenceError {
                        return error.code
                    } catch {
                        return .unknown
                    }
                }
            }
            var outcomes: [StatusCode] = []
            for await code in group { outcomes.append(code) }
            return outcomes
        }
        #expect(outcomes.filter { $0 == .ok }.count == 2)
        #expect(outcomes.filter { $0 == .resourceExhausted }.count == 1)
        await fixture.stop()
    }

    @Test("a request over the server's MAX_FRAME_SIZE is refused by the client, for that call only")
    func oversizedMessage() async throws {
        let fixture = try await Fixture.start(settings: ConnectionSettings(maxFrameSize: 1 << 20, maxConcurrentStreams: 16))
        var big = echoRequest("")
        big.rawInputContents = [BytesElements.encode([[UInt8](repeating: 1, count: 2 << 20)])]
        await expectStatus(.resourceExhausted) { _ = try await fixture.client.infer(big) }
        #expect(try await fixture.client.serverLive())
        await fixture.stop()
    }

    /// Echo whose load takes a while.
    struct SlowLoadingRuntime: InferenceRuntime {
        func load() async throws { try await Task.sleep(for: .milliseconds(500)) }
        func metadata() -> ModelMetadataResponse { ModelMetadataResponse() }
        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            try await EchoRuntime(name: "slow").infer(request, context: context)
        }
    }

    /// Echo that reports when a call has reached it, so that a test can act while it runs.
    struct SignallingRuntime: InferenceRuntime {
        let echo = EchoRuntime(name: "gate")
        let started: AsyncStream<Void>.Continuation

        func metadata() -> ModelMetadataResponse { echo.metadata() }

        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            started.yield()
            return try await echo.infer(request, context: context)
        }
    }

    @Test("drain: in-flight requests finish, new ones are refused")
    func drain() async throws {
        let fixture = try await Fixture.start()
        let (started, signal) = AsyncStream<Void>.makeStream()
        await fixture.registry.register(name: "gate", runtime: SignallingRuntime(started: signal))
        try await fixture.registry.load(name: "gate")
        let client = fixture.client
        var slow = echoRequest("slow", parameters: ["delay_ms": .int64(500)])
        slow.modelName = "gate"
        let inFlight = Task { [slow] in try await client.infer(slow) }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()  // the server is running it now
        await fixture.server.shutdown(timeout: .seconds(5))
        let response = try await inFlight.value
        #expect(try response.bytesElements(ofOutput: 0).map { String(buffer: $0) } == ["slow"])
        await expectStatus(.unavailable) { _ = try await client.infer(self.echoRequest("late")) }
        await client.close()
    }

    @Test("drain does not cut off a large response that is still being written")
    func drainLargeResponse() async throws {
        let fixture = try await Fixture.start()
        let (started, signal) = AsyncStream<Void>.makeStream()
        await fixture.registry.register(name: "gate", runtime: SignallingRuntime(started: signal))
        try await fixture.registry.load(name: "gate")
        var big = echoRequest("")
        big.modelName = "gate"
        big.parameters = ["delay_ms": .int64(300)]
        big.inputs = [.init(name: "blob", datatype: "UINT8", shape: [32 << 20])]
        big.rawInputContents = [ByteBuffer(repeating: 0xA5, count: 32 << 20)]
        let client = fixture.client
        let inFlight = Task { [big] in try await client.infer(big) }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        await fixture.server.shutdown(timeout: .seconds(10))
        let response = try await inFlight.value
        #expect(response.rawOutputContents == big.rawInputContents)
        await client.close()
    }

    @Test("models load and unload at run time while requests run")
    func loadUnload() async throws {
        let fixture = try await Fixture.start()
        await fixture.registry.register(name: "second", runtime: EchoRuntime(name: "second"))
        #expect(try await !fixture.client.modelReady("second"))
        try await fixture.client.load(model: "second")
        #expect(try await fixture.client.modelReady("second"))
        var request = echoRequest("x")
        request.modelName = "second"
        #expect(try await fixture.client.infer(request).modelName == "second")
        try await fixture.client.unload(model: "second")
        await expectStatus(.unavailable) { _ = try await fixture.client.infer(request) }
        await expectStatus(.notFound) { try await fixture.client.load(model: "missing") }
        // A load while another load of the same model runs is refused, not interleaved.
        await fixture.registry.register(name: "slow", runtime: SlowLoadingRuntime())
        let client = fixture.client
        let first = Task { try await client.load(model: "slow") }
        try await Task.sleep(for: .milliseconds(100))
        await expectStatus(.failedPrecondition) { try await fixture.client.unload(model: "slow") }
        try await first.value
        #expect(try await fixture.client.modelReady("slow"))
        #expect(try await fixture.client.infer(echoRequest("still")).modelName == "echo")
        let index = try await fixture.client.repositoryIndex()
        #expect(index.map(\.name) == ["echo", "second", "slow"])
        #expect(index.map(\.state) == ["READY", "UNAVAILABLE", "READY"])
        await fixture.stop()
    }
}

@Suite("Authentication and runtime failures", .timeLimit(.minutes(1)))
struct AuthenticationTests {
    struct FailingRuntime: InferenceRuntime {
        func metadata() -> ModelMetadataResponse { ModelMetadataResponse() }
        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            struct Broken: Error {}
            throw Broken()
        }
    }

    @Test("with a token configured: calls without it are UNAUTHENTICATED, probes stay open, the right token works")
    func bearerToken() async throws {
        let registry = ModelRegistry()
        await registry.register(name: "echo", runtime: EchoRuntime(name: "echo"))
        await registry.register(name: "broken", runtime: FailingRuntime())
        try await registry.load(name: "echo")
        try await registry.load(name: "broken")
        let secret = "s3cret-\(UInt64.random(in: 1 ... .max))"
        let server = try await BinaryServer.start(host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry, authToken: secret)))
        let port = try #require(server.localAddress?.port)
        var request = ModelInferRequest()
        request.modelName = "echo"

        let anonymous = try await InferWireClient.connect(host: "127.0.0.1", port: port)
        #expect(try await anonymous.serverLive())
        do {
            _ = try await anonymous.infer(request)
            Issue.record("a call without a token succeeded")
        } catch let error as InferenceError {
            #expect(error.code == .unauthenticated)
            #expect(!error.message.contains(secret))
        }
        let wrong = try await InferWireClient.connect(host: "127.0.0.1", port: port, token: "nope")
        await #expect { try await wrong.infer(request) } throws: { error in
            (error as? InferenceError)?.code == .unauthenticated && (error as? InferenceError)?.message == "the bearer token was not accepted"
        }

        let client = try await InferWireClient.connect(host: "127.0.0.1", port: port, token: secret)
        #expect(try await client.infer(request).modelName == "echo")
        // A runtime that throws something unexpected: INTERNAL, and the server goes on.
        request.modelName = "broken"
        do {
            _ = try await client.infer(request)
            Issue.record("a failing runtime succeeded")
        } catch let error as InferenceError {
            #expect(error.code == .internal)
        }
        #expect(try await client.modelReady("echo"))
        for connection in [anonymous, wrong, client] { await connection.close() }
        await server.shutdown(timeout: .seconds(1))
    }
}
