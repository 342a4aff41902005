import NIOConcurrencyHelpers

/// Cancels an RPC's task from outside it: the connection's event loop when the client resets
/// the stream or the connection closes, grpc-swift's core when the call's deadline passes.
/// Task cancellation then reaches the data plane, the runtime and its provider call. The
/// cancel may come before the task is known (a reset right after the stream opened).
final class CancellationRelay: Sendable {
    private let state = NIOLockedValueBox<(cancelled: Bool, task: Task<Void, Never>?)>((false, nil))

    func start(_ task: Task<Void, Never>) {
        let cancelled = state.withLockedValue {
            $0.task = task
            return $0.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLockedValue {
            $0.cancelled = true
            return $0.task
        }
        task?.cancel()
    }
}
