import GRPCCore
import NIOCore

/// A unary method the transport runs itself, past grpc-swift's core: the request's one message
/// and metadata in, the answer and its status out, with no async sequences, router or executor
/// in between. The door's hot call (ModelInfer) goes this way; its statuses are the core path's
/// (the same service code builds both). Deadlines and cancellation are the transport's.
struct GRPCDirectMethod: Sendable {
    struct Answer: Sendable {
        var message: GRPCBytes?
        var status: Status
        var trailers: Metadata

        init(message: GRPCBytes) {
            self.message = message
            status = Status(code: .ok, message: "")
            trailers = [:]
        }

        init(error: RPCError) {
            message = nil
            status = Status(code: Status.Code(error.code), message: error.message)
            trailers = error.metadata
        }
    }

    let call: @Sendable (ByteBuffer, Metadata) async -> Answer
}
