import Foundation
import InferWireCore
import Histogram

/// What a run measured, and how it was run. Latencies are microseconds.
public struct LoadReport: Sendable {
    public var plan: LoadPlan
    public var target: String
    public var model: String
    public var label = ""
    public var payloadSources: [String]
    /// Each payload's encoded request size.
    public var payloadBytes: [Int]
    /// The measured window: from the end of the warm-up to the end of the run.
    public var measuredSeconds: Double
    var totals: LoadTotals

    public var ok: Int { totals.ok }
    public var errors: [String: Int] { totals.errors }
    public var errorExamples: [String: String] { totals.errorExamples }
    public var requests: Int { totals.ok + totals.errors.values.reduce(0, +) }
    public var unfinished: Int { totals.unfinished }
    public var requestsPerSecond: Double { measuredSeconds > 0 ? Double(requests) / measuredSeconds : 0 }
    public var bytesSentPerSecond: Double { measuredSeconds > 0 ? Double(totals.bytesSent) / measuredSeconds : 0 }
    public var bytesReceivedPerSecond: Double { measuredSeconds > 0 ? Double(totals.bytesReceived) / measuredSeconds : 0 }
    public var latency: Histogram<UInt64> { totals.latency }
    public var serviceTime: Histogram<UInt64> { totals.serviceTime }
    public var firstMessage: Histogram<UInt64> { totals.firstMessage }
    public var betweenMessages: Histogram<UInt64> { totals.betweenMessages }

    /// The percentiles every report shows.
    public static let percentiles: [(key: String, name: String, value: Double)] = [
        ("p50", "p50", 50), ("p90", "p90", 90), ("p99", "p99", 99), ("p99_9", "p99.9", 99.9), ("p99_99", "p99.99", 99.99),
    ]

    // MARK: - Text

    /// The human-readable summary.
    public func text() -> [String] {
        var lines: [String] = []
        let loop: String
        switch plan.loop {
        case .closed: loop = "closed loop, \(plan.connections) connection\(plan.connections == 1 ? "" : "s") × \(plan.concurrency) in flight"
        case .open(let rate):
            loop = "open loop at \(Self.number(rate)) req/s over \(plan.connections) connection\(plan.connections == 1 ? "" : "s") (at most \(plan.concurrency) in flight each)"
        }
        let call = plan.streaming ? "ModelStreamInfer" : "ModelInfer"
        lines.append("\(label.isEmpty ? "" : "\(label): ")\(call) \(model) at \(target), \(loop), \(String(format: "%.1f", measuredSeconds)) s measured after \(Self.seconds(plan.warmUp)) s warm-up")
        let errorText = errors.isEmpty ? "errors 0"
            : "errors " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("requests   \(Self.number(Double(requests))) (\(Self.number(requestsPerSecond)) req/s), ok \(Self.number(Double(ok))), \(errorText)\(unfinished > 0 ? ", \(unfinished) unfinished (cancelled after the drain timeout)" : "")")
        lines.append("bytes      sent \(Self.bytes(bytesSentPerSecond))/s, received \(Self.bytes(bytesReceivedPerSecond))/s")
        if plan.isOpenLoop {
            lines.append("latency    \(Self.summary(latency))   (from each call's due time: coordinated omission corrected)")
            lines.append("service    \(Self.summary(serviceTime))   (from when each call was sent)")
        } else {
            lines.append("latency    \(Self.summary(latency))")
        }
        if plan.streaming {
            lines.append("first msg  \(Self.summary(firstMessage))")
            lines.append("between    \(Self.summary(betweenMessages))")
        }
        for (status, message) in errorExamples.sorted(by: { $0.key < $1.key }) {
            lines.append("first \(status): \(message)")
        }
        return lines
    }

    static func summary(_ histogram: Histogram<UInt64>) -> String {
        guard histogram.totalCount > 0 else { return "no successful calls" }
        return (percentiles.map { "\($0.name) \(duration(histogram.valueAtPercentile($0.value)))" }
            + ["max \(duration(histogram.max))"]).joined(separator: "  ")
    }

    /// Microseconds as µs, ms or s with three significant digits.
    public static func duration(_ microseconds: UInt64) -> String {
        let value = Double(microseconds)
        if value < 1000 { return "\(microseconds) µs" }
        if value < 1_000_000 { return significant(value / 1000) + " ms" }
        return significant(value / 1_000_000) + " s"
    }

    private static func significant(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    public static func number(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = value < 100 ? 1 : 0
        return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
    }

    static func bytes(_ value: Double) -> String {
        value >= 1_048_576 ? String(format: "%.1f MiB", value / 1_048_576)
            : value >= 1024 ? String(format: "%.1f KiB", value / 1024) : String(format: "%.0f B", value)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.nanoseconds) / 1e9
        return value == value.rounded() ? String(format: "%.0f", value) : String(format: "%g", value)
    }

    // MARK: - JSON

    /// One JSON object; `Benchmarks/compare/v2load.py` writes the same keys, so runs against
    /// InferWire and MLServer compare directly.
    public func json() -> String {
        var fields: [(String, JSONText)] = [
            ("tool", .string("inferwire load")),
            ("label", .string(label)),
            ("target", .string(target)),
            ("protocol", .string("inferwire")),
            ("model", .string(model)),
            ("method", .string(plan.streaming ? "ModelStreamInfer" : "ModelInfer")),
            ("mode", .string(plan.isOpenLoop ? "open" : "closed")),
            ("connections", .number(Double(plan.connections))),
            ("concurrency", .number(Double(plan.concurrency))),
            ("threads", .number(Double(plan.threads))),
        ]
        if case .open(let rate) = plan.loop { fields.append(("rate", .number(rate))) } else { fields.append(("rate", .null)) }
        fields += [
            ("warmup_s", .number(Double(plan.warmUp.nanoseconds) / 1e9)),
            ("duration_s", .number(measuredSeconds)),
            ("payloads", .array(zip(payloadSources, payloadBytes).map { .object([("source", .string($0)), ("bytes", .number(Double($1)))]) })),
            ("requests", .number(Double(requests))),
            ("ok", .number(Double(ok))),
            ("errors", .object(errors.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
            ("error_examples", .object(errorExamples.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("unfinished", .number(Double(unfinished))),
            ("bytes_sent", .number(Double(totals.bytesSent))),
            ("bytes_received", .number(Double(totals.bytesReceived))),
            ("messages_received", .number(Double(totals.messagesReceived))),
            ("requests_per_second", .number(requestsPerSecond)),
            ("bytes_sent_per_second", .number(bytesSentPerSecond)),
            ("bytes_received_per_second", .number(bytesReceivedPerSecond)),
            ("latency_us", Self.percentileObject(latency)),
        ]
        if plan.isOpenLoop { fields.append(("service_time_us", Self.percentileObject(serviceTime))) }
        if plan.streaming {
            fields.append(("first_message_us", Self.percentileObject(firstMessage)))
            fields.append(("between_messages_us", Self.percentileObject(betweenMessages)))
        }
        return JSONText.object(fields).rendered
    }

    static func percentileObject(_ histogram: Histogram<UInt64>) -> JSONText {
        guard histogram.totalCount > 0 else { return .null }
        return .object([("count", .number(Double(histogram.totalCount))), ("min", .number(Double(histogram.min))),
                        ("mean", .number((histogram.mean * 10).rounded() / 10))]
            + percentiles.map { ($0.key, .number(Double(histogram.valueAtPercentile($0.value)))) }
            + [("max", .number(Double(histogram.max)))])
    }

    // MARK: - HdrHistogram percentile distribution

    /// The latency histogram in HdrHistogram's percentile-distribution text format (the
    /// `.hgrm` files its plotter and `Benchmarks/compare/plot_latency.py` read), in milliseconds.
    public func percentileDistribution(_ which: KeyPath<LoadReport, Histogram<UInt64>> = \.latency) -> String {
        var text = ""
        self[keyPath: which].outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1000)
        return text
    }
}

/// A minimal JSON writer that keeps the fields in the order given.
enum JSONText {
    case string(String)
    case number(Double)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    var rendered: String {
        switch self {
        case .null: return "null"
        case .number(let value):
            guard value.isFinite else { return "null" }
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(format: "%.3f", value)
        case .string(let value): return JSONString.quoted(value)
        case .array(let values): return "[" + values.map(\.rendered).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { JSONString.quoted($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }
}
