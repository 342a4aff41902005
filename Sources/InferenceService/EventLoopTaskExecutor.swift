import NIOCore

/// Runs a task's jobs on a NIO event loop (the binary door's calls and the HTTP door's
/// connections use it). A call's task prefers its connection's event loop:
/// decoding, dispatch, a runtime's own code and the response frames then stay on one thread,
/// instead of hopping to Swift's cooperative pool and back for every call. Runtimes still
/// must not block: blocking work (SQLite, file fsyncs, libcurl) has its own threads already.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: EventLoop

    public init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
