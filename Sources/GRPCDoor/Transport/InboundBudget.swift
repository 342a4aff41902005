import GRPCCore
import NIOConcurrencyHelpers

/// How many request bytes a core RPC has been sent and not yet read. The connection sends
/// window updates as bytes arrive (so one slow call never stalls the others), which leaves
/// nothing to stop a client streaming messages faster than its call reads them: past the
/// budget the call fails with RESOURCE_EXHAUSTED instead of the server's memory growing.
final class InboundBudget: Sendable {
    let limit: Int
    private let unread = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// False when the bytes take the call over its budget.
    func received(_ count: Int) -> Bool {
        unread.withLockedValue {
            $0 += count
            return $0 <= limit
        }
    }

    func read(_ count: Int) {
        unread.withLockedValue { $0 -= count }
    }
}

/// A core RPC's inbound parts, telling the budget what the call has read.
struct BudgetedInbound: AsyncSequence, Sendable {
    typealias Element = RPCRequestPart<GRPCBytes>
    let base: AsyncThrowingStream<Element, any Error>
    let budget: InboundBudget

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Element, any Error>.AsyncIterator
        let budget: InboundBudget

        mutating func next() async throws -> Element? {
            let part = try await base.next()
            if case .message(let bytes)? = part { budget.read(bytes.count) }
            return part
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), budget: budget)
    }
}
