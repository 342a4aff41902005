// A server that speaks the binary protocol and does no work: every call gets the same
// pre-encoded ModelInferResponse and an OK STATUS. `inferwire load` against it measures the
// load generator's own ceiling (docs/BENCHMARKS.md).
//
//   swift run -c release NullServer [port] [event-loop threads]
import InferWireProtocol
import NIOCore
import NIOPosix
import ProtoWire

final class NullHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    let response: ByteBuffer
    let status: ByteBuffer
    private var pendingFlush = false

    init(response: ByteBuffer, status: ByteBuffer) {
        self.response = response
        self.status = status
    }

    private var settingsSent = false

    // An accepted channel may already be active when the handler is added.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendSettings(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendSettings(context: context)
        context.fireChannelActive()
    }

    private func sendSettings(context: ChannelHandlerContext) {
        guard !settingsSent else { return }
        settingsSent = true
        context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, streamID: 0, payload: ConnectionSettings.default.encode())), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.type {
        case .settings where !frame.flags.contains(.ack):
            context.writeAndFlush(wrapOutboundOut(Frame(type: .settings, flags: .ack, streamID: 0)), promise: nil)
        case .message where frame.flags.contains(.endStream):
            context.write(wrapOutboundOut(Frame(type: .message, streamID: frame.streamID, payload: response)), promise: nil)
            context.write(wrapOutboundOut(Frame(type: .status, streamID: frame.streamID, payload: status)), promise: nil)
            pendingFlush = true
        default:
            break
        }
    }

    // One flush per read batch, as the real server does.
    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let port = arguments.count > 0 ? arguments[0] : 18090
let threads = arguments.count > 1 ? arguments[1] : 1

// What the echo model would answer to `--input text=hello`.
var reply = ModelInferResponse()
reply.modelName = "echo"
reply.outputs = [.init(name: "text", datatype: "BYTES", shape: [1])]
reply.rawOutputContents = [BytesElements.encode([Array("hello".utf8)])]
var response = ByteBuffer()
reply.encode(into: &response)
var status = ByteBuffer()
WireStatus(code: 0).encode(into: &status)
let cannedResponse = response
let cannedStatus = status

let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([
                PrefaceWriter(),
                ByteToMessageHandler(FrameDecoder(maxFrameSize: ConnectionSettings.default.maxFrameSize)),
                FrameEncoder(),
                NullHandler(response: cannedResponse, status: cannedStatus),
            ])
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
print("null server on 127.0.0.1:\(channel.localAddress?.port ?? port), \(threads) thread(s)")
try await channel.closeFuture.get()
