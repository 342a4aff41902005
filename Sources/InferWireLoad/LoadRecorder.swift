import Histogram

/// Latencies in microseconds, 1 µs to one hour, three significant digits (0.1%).
typealias LatencyHistogram = Histogram<UInt64>

func makeLatencyHistogram() -> LatencyHistogram {
    LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
}

extension LatencyHistogram {
    /// Records a nanosecond interval in microseconds (beyond an hour counts as an hour).
    mutating func record(nanoseconds: UInt64) {
        _ = record(Swift.min(nanoseconds / 1000, 3_600_000_000))
    }
}

/// What the calls on one event loop measured. Confined to that loop: the connections sharing
/// it record here without locks; the generator reads it from the loop.
final class LoadRecorder {
    /// Measured calls only (warm-up excluded).
    var totals = LoadTotals()
    /// Since the last progress report (warm-up included).
    var interval = makeLatencyHistogram()
    var intervalErrors = 0

    func recordError(_ status: String, _ message: String) {
        totals.errors[status, default: 0] += 1
        if totals.errorExamples[status] == nil { totals.errorExamples[status] = message }
    }

    func takeInterval() -> IntervalSnapshot {
        let snapshot = IntervalSnapshot(latency: interval, errors: intervalErrors)
        interval.reset()
        intervalErrors = 0
        return snapshot
    }
}

/// What was recorded, mergeable across event loops.
struct LoadTotals: Sendable {
    /// Whole calls: from when each was due (open loop) or sent (closed loop) to its STATUS.
    var latency = makeLatencyHistogram()
    /// From when each call was actually sent: differs from `latency` in open loop when the
    /// generator had to hold calls back (at most `concurrency` in flight).
    var serviceTime = makeLatencyHistogram()
    /// Streams: to the first response message, and between messages.
    var firstMessage = makeLatencyHistogram()
    var betweenMessages = makeLatencyHistogram()
    var ok = 0
    var errors: [String: Int] = [:]
    /// The first message seen for each error status, to show what went wrong.
    var errorExamples: [String: String] = [:]
    var bytesSent = 0
    var bytesReceived = 0
    var messagesReceived = 0
    /// Calls cancelled because they did not end within the drain timeout.
    var unfinished = 0

    mutating func add(_ other: LoadTotals) {
        latency.add(other.latency)
        serviceTime.add(other.serviceTime)
        firstMessage.add(other.firstMessage)
        betweenMessages.add(other.betweenMessages)
        ok += other.ok
        errors.merge(other.errors, uniquingKeysWith: +)
        errorExamples.merge(other.errorExamples) { first, _ in first }
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        messagesReceived += other.messagesReceived
        unfinished += other.unfinished
    }
}

struct IntervalSnapshot: Sendable {
    var latency: LatencyHistogram
    var errors: Int
}
