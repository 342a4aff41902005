import InferWireCore
import InferWireProtocol
import InferenceService
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtoWire
import Testing

/// A client that sends requests but does not read the responses must not make the server buffer
/// without bound: once the server's socket stops being writable it stops reading requests.
@Suite("Backpressure", .timeLimit(.minutes(1)))
struct BackpressureTests {
    /// Echo that counts the calls it has started.
    struct CountingRuntime: InferenceRuntime {
        let calls: NIOLockedValueBox<Int>
        let echo = EchoRuntime(name: "count")

        func metadata() -> ModelMetadataResponse { echo.metadata() }

        func infer(_ request: ModelInferRequest, context: RequestContext) async throws -> ModelInferResponse {
            calls.withLockedValue { $0 += 1 }
            return try await echo.infer(request, context: context)
        }
    }

    /// Collects the frames a raw client receives.
    final class FrameCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = Frame
        let statuses = NIOLockedValueBox(0)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if unwrapInboundIn(data).type == .status { statuses.withLockedValue { $0 += 1 } }
        }
    }

    @Test("a client that stops reading stalls its own requests, not the server's memory")
    func slowReader() async throws {
        let calls = NIOLockedValueBox(0)
        let registry = ModelRegistry()
        await registry.register(name: "count", runtime: CountingRuntime(calls: calls))
        try await registry.load(name: "count")
        let server = try await BinaryServer.start(host: "127.0.0.1", port: 0, dispatcher: BinaryDispatcher(dataPlane: DataPlane(registry: registry)))
        let port = try #require(server.localAddress?.port)

        let collector = FrameCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        PrefaceWriter(), ByteToMessageHandler(FrameDecoder()), FrameEncoder(), collector,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()

        // 300 requests of 256 KiB each (75 MiB of responses), written without reading anything.
        let total = 300
        var request = ModelInferRequest()
        request.modelName = "count"
        request.inputs = [.init(name: "blob", datatype: "UINT8", shape: [256 << 10])]
        request.rawInputContents = [ByteBuffer(repeating: 0x5A, count: 256 << 10)]
        let payload = ByteBuffer(bytes: request.serializedBytes())
        let headers = ByteBuffer(bytes: RequestHeaders(method: .modelInfer, modelName: "count").serializedBytes())
        channel.write(Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode()), promise: nil)
        // Paced, ten requests every 20 ms, so that responses pile up while requests still come.
        for index in 0..<total {
            let id = UInt32(2 * index + 1)
            channel.write(Frame(type: .headers, streamID: id, payload: headers), promise: nil)
            channel.writeAndFlush(Frame(type: .message, flags: .endStream, streamID: id, payload: payload), promise: nil)
            if index % 10 == 9 { try await Task.sleep(for: .milliseconds(20)) }
        }

        // The server answers until its socket is full, then stops reading: far fewer calls start.
        try await Task.sleep(for: .seconds(1))
        let stalled = calls.withLockedValue { $0 }
        #expect(stalled < total / 2, "server kept reading: \(stalled) of \(total) calls started")

        // Once the client reads, everything completes.
        try await channel.setOption(.autoRead, value: true)
        channel.read()
        let deadline = ContinuousClock.now + .seconds(30)
        while collector.statuses.withLockedValue({ $0 }) < total, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(collector.statuses.withLockedValue { $0 } == total)
        #expect(calls.withLockedValue { $0 } == total)
        try await channel.close()
        await server.shutdown(timeout: .seconds(2))
    }
}
