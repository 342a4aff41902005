import GRPCCore
import NIOCore

/// What an RPC writes back, carried to its connection's event loop. An RPC whose answer is one
/// message (every unary method) is sent in one hop and one flush: its headers, message and
/// trailers are held until the status is written. Streaming answers go out message by message.
/// Written by the RPC's one task, one part at a time (grpc-swift's core never writes
/// concurrently to one stream), hence the unchecked `Sendable`.
final class GRPCStreamWriter: ClosableRPCWriterProtocol, @unchecked Sendable {
    typealias Element = RPCResponsePart<GRPCBytes>

    private let connection: NIOLoopBound<GRPCConnectionHandler>
    private let streamID: Int
    private let holdsMessage: Bool
    private var metadata: Metadata?
    private var held: GRPCBytes?

    init(connection: NIOLoopBound<GRPCConnectionHandler>, streamID: Int, holdsMessage: Bool) {
        self.connection = connection
        self.streamID = streamID
        self.holdsMessage = holdsMessage
    }

    func write(_ part: Element) async throws {
        switch part {
        case .metadata(let metadata):
            self.metadata = metadata
        case .message(let bytes):
            if holdsMessage, held == nil {
                held = bytes
                return
            }
            send(messages: [held, bytes].compactMap { $0 }, status: nil)
            held = nil
        case .status(let status, let trailers):
            send(messages: held.map { [$0] } ?? [], status: (status, trailers))
            held = nil
        }
    }

    func write(contentsOf parts: some Sequence<Element>) async throws {
        for part in parts { try await write(part) }
    }

    /// The core writes a status before finishing; nothing is left to send.
    func finish() async {}

    func finish(throwing error: any Error) async {
        let connection = self.connection
        let streamID = self.streamID
        connection.eventLoop.execute { connection.value.reset(streamID: streamID) }
    }

    private func send(messages: [GRPCBytes], status: (Status, Metadata)?) {
        let connection = self.connection
        let streamID = self.streamID
        let metadata = self.metadata
        self.metadata = nil
        connection.eventLoop.execute {
            connection.value.respond(streamID: streamID, metadata: metadata, messages: messages, status: status)
        }
    }
}
