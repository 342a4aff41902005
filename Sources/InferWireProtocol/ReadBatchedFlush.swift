import NIOCore

/// Frames written while a read is being handled (answers, the next calls) leave together, in
/// one flush when the read is over, instead of one system call each. Server and client both
/// keep one per connection; every method runs on the connection's event loop.
public struct ReadBatchedFlush {
    private var reading = false
    private var pending = false

    public init() {}

    /// From `channelRead`.
    public mutating func readStarted() {
        reading = true
    }

    /// After a write: true when the flush is left to `readEnded`, false when the caller must
    /// flush itself (no read is under way).
    public mutating func deferredToEndOfRead() -> Bool {
        if reading { pending = true }
        return reading
    }

    /// From `channelReadComplete`: flushes what was written during the read.
    public mutating func readEnded(context: ChannelHandlerContext) {
        reading = false
        if pending {
            pending = false
            context.flush()
        }
    }
}
