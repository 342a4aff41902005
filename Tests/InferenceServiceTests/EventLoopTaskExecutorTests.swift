import NIOCore
import NIOPosix
import Testing

@testable import InferenceService

/// A call's task runs on its connection's event loop, before and after it suspends, and work
/// it hands to other threads comes back there.
@Suite("Event-loop task executor")
struct EventLoopTaskExecutorTests {
    @Test("a task preferring the executor runs on that event loop, across suspensions")
    func runsOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let other = group.next()
        let executor = EventLoopTaskExecutor(loop)
        let seen = await Task(executorPreference: executor) { () -> [Bool] in
            var seen = [loop.inEventLoop]
            try? await Task.sleep(for: .milliseconds(5))
            seen.append(loop.inEventLoop)
            // A future completed on another loop: the task resumes on its own.
            _ = try? await other.submit { 42 }.get()
            seen.append(loop.inEventLoop)
            await withTaskGroup(of: Bool.self) { children in
                children.addTask { loop.inEventLoop }
                for await child in children { seen.append(child) }
            }
            return seen
        }.value
        #expect(seen == [true, true, true, true])
        // Without the preference the task runs on the cooperative pool, not the loop.
        #expect(await Task { loop.inEventLoop }.value == false)
        try await group.shutdownGracefully()
    }
}
