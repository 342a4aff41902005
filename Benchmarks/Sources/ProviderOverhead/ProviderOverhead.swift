import CurlBaseline
import Foundation
import Histogram
import Providers
import ProviderSimulator

// The provider layer's cost, measured against the provider simulator on loopback.
//
//   ProviderOverhead simulator --port P          the simulator as its own process
//   ProviderOverhead latency --port P [--requests N] [--rounds R]
//        sequential requests, one at a time, in alternating rounds of: plain libcurl in C
//        (curl_easy_perform, the same body bytes, nothing parsed), our CurlEngine with the same
//        bytes, and the whole provider call (request JSON built, engine, answer JSON parsed);
//        p50/p90/p99 of each and the differences to the baseline.
//   ProviderOverhead streams --port P [--count N] [--chunk-delay-ms D]
//        N concurrent OpenAI streams held open by the simulator's chunk delay; peak RSS and
//        thread count of this process while all are open, and the time until all complete.

/// User + system CPU of this process so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func procStatus(_ field: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
}

@main
struct ProviderOverhead {
    static func main() async throws {
        // Off the main actor: top-level code would hop to the main thread after every await,
        // a cost the server never pays.
        try await Task.detached { try await run(CommandLine.arguments) }.value
    }

    static func run(_ arguments: [String]) async throws {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let mode = arguments.count > 1 ? arguments[1] : "latency"
        let port = option("--port", 9190)
        let base = "http://127.0.0.1:\(port)"

        switch mode {
        case "simulator":
            let simulator = try await ProviderSimulator.start(port: port)
            FileHandle.standardOutput.write(Data("simulator on \(base)\n".utf8))
            while true { try await Task.sleep(for: .seconds(3600)) }
            _ = simulator

        case "latency":
            let requests = option("--requests", 2000)
            let rounds = option("--rounds", 5)
            let engine = CurlEngine()
            let provider = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
            let chat = ChatRequest(model: "gpt-4o-mini", messages: [.text(.system, "Be brief."), .text(.user, "What is the capital of France?")])
            let body = try OpenAIChatFormat.body(for: chat, stream: false)
            let headers = ["content-type: application/json", "accept: application/json, text/event-stream", "authorization: Bearer sim-openai-key"]
            let url = base + "/v1/chat/completions"

            var histograms = ["curl (C, easy)": Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three),
                              "curl (C, multi, new handle each)": Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three),
                              "CurlEngine": Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three),
                              "OpenAIProvider.complete": Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)]
            var roundMedians: [String: [UInt64]] = [:]
            for round in 0...rounds {  // round 0 warms up and is not recorded
                var latencies = [UInt64](repeating: 0, count: requests)
                let status = headers.withCStrings { pointers in
                    body.withUnsafeBufferPointer { curl_baseline_run(url, pointers, pointers.count, $0.baseAddress, $0.count, Int32(requests), &latencies) }
                }
                precondition(status == 0, "baseline failed: \(status)")
                var multiLatencies = [UInt64](repeating: 0, count: requests)
                let multiStatus = headers.withCStrings { pointers in
                    body.withUnsafeBufferPointer { curl_baseline_multi_fresh(url, pointers, pointers.count, $0.baseAddress, $0.count, Int32(requests), &multiLatencies) }
                }
                precondition(multiStatus == 0, "multi baseline failed: \(multiStatus)")
                var engineLatencies: [UInt64] = []
                for _ in 0..<requests {
                    let start = ContinuousClock.now
                    let response = try await engine.execute(HTTPRequest(method: "POST", url: url, headers: headers.map { line in
                        let parts = line.split(separator: ":", maxSplits: 1)
                        return (String(parts[0]), String(parts[1].dropFirst()))
                    }, body: body))
                    _ = try await response.collect()
                    engineLatencies.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
                }
                var providerLatencies: [UInt64] = []
                for _ in 0..<requests {
                    let start = ContinuousClock.now
                    let answer = try await provider.complete(chat)
                    precondition(answer.text.hasPrefix("received"))
                    providerLatencies.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
                }
                guard round > 0 else { continue }
                for (name, values) in [("curl (C, easy)", latencies), ("curl (C, multi, new handle each)", multiLatencies), ("CurlEngine", engineLatencies), ("OpenAIProvider.complete", providerLatencies)] {
                    for value in values { histograms[name]!.record(value) }
                    roundMedians[name, default: []].append(values.sorted()[values.count / 2])
                }
            }
            let baseline = histograms["curl (C, easy)"]!
            print("Provider layer latency, \(rounds) rounds x \(requests) sequential requests each, OpenAI chat completion, simulator on loopback (separate process)")
            print("| path | p50 µs | p90 µs | p99 µs | p50 added vs curl µs | p99 added vs curl µs | round medians µs |")
            print("|---|---:|---:|---:|---:|---:|---|")
            for name in ["curl (C, easy)", "curl (C, multi, new handle each)", "CurlEngine", "OpenAIProvider.complete"] {
                let h = histograms[name]!
                func us(_ value: UInt64) -> String { String(format: "%.1f", Double(value) / 1000) }
                func added(_ q: Double) -> String { String(format: "%+.1f", (Double(h.valueAtPercentile(q)) - Double(baseline.valueAtPercentile(q))) / 1000) }
                print("| \(name) | \(us(h.valueAtPercentile(50))) | \(us(h.valueAtPercentile(90))) | \(us(h.valueAtPercentile(99))) | \(added(50)) | \(added(99)) | \(roundMedians[name]!.map(us).joined(separator: ", ")) |")
            }
            engine.shutdown()

        case "streams":
            let count = option("--count", 10_000)
            let delay = option("--chunk-delay-ms", 1000)
            let engine = CurlEngine()
            var slowProvider = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
            slowProvider.extraHeaders = [("x-simulator-chunk-delay-ms", "\(delay)")]
            let provider = slowProvider
            let rssBefore = procStatus("VmRSS")
            let threadsBefore = procStatus("Threads")
            let cpuBefore = processCPUSeconds()
            let started = Counter()
            let start = ContinuousClock.now
            let sampler = Task {
                var peak = (rss: 0, threads: 0, open: 0)
                while !Task.isCancelled {
                    let rss = procStatus("VmRSS")
                    if rss > peak.rss { peak = (rss, procStatus("Threads"), started.value) }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return peak
            }
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        do {
                            var first = true
                            var text = ""
                            for try await event in provider.stream(ChatRequest(model: "m", messages: [.text(.user, "hello there")])) {
                                if first { started.increment(); first = false }
                                if case .text(let piece) = event { text += piece }
                            }
                            return text.hasPrefix("received")
                        } catch {
                            return false
                        }
                    }
                }
                var ok = 0
                for await success in group where success { ok += 1 }
                return ok
            }
            let elapsed = ContinuousClock.now - start
            sampler.cancel()
            let peak = await sampler.value
            let cpu = processCPUSeconds() - cpuBefore
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let perStream = Double(peak.rss - rssBefore) / Double(max(1, peak.open))  // KiB, as /proc reports RSS
            print("| streams | completed | chunk delay | wall time | client CPU | RSS before | peak RSS | per open stream | open streams at peak | threads before / at peak |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            print("| \(count) | \(outcomes) | \(delay) ms | \(String(format: "%.2f s", seconds)) | \(String(format: "%.2f s", cpu)) | \(rssBefore / 1024) MiB | \(peak.rss / 1024) MiB | \(String(format: "%.1f KiB", perStream)) | \(peak.open) | \(threadsBefore) / \(peak.threads) |")
            engine.shutdown()

        case "json":
            // The provider's own CPU per call: request JSON built, answer JSON parsed (no I/O).
            let chat = ChatRequest(model: "gpt-4o-mini", messages: [.text(.system, "Be brief."), .text(.user, "What is the capital of France?")])
            let answer = Array(#"{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"annotations":[],"content":"received 1 part(s): text(30)","refusal":null,"role":"assistant"}}],"created":1700000000,"id":"chatcmpl-sim","model":"gpt-4o-mini","object":"chat.completion","service_tier":"default","system_fingerprint":"fp_sim","usage":{"completion_tokens":4,"prompt_tokens":16,"total_tokens":20}}"#.utf8)
            for _ in 0..<3 {
                let iterations = 20_000
                var start = ContinuousClock.now
                for _ in 0..<iterations { _ = try OpenAIChatFormat.body(for: chat, stream: false) }
                let encode = (ContinuousClock.now - start) / iterations
                start = ContinuousClock.now
                for _ in 0..<iterations { _ = try OpenAIChatFormat.response(from: answer) }
                let decode = (ContinuousClock.now - start) / iterations
                print("request JSON \(encode), answer JSON \(decode)")
            }

        case "engine":
            // Engine-only loop, for perf record.
            let engine = CurlEngine()
            let body = Array(#"{"messages":[{"content":"hi","role":"user"}],"model":"m"}"#.utf8)
            let start = ContinuousClock.now
            let count = option("--requests", 20000)
            for _ in 0..<count {
                let response = try await engine.execute(HTTPRequest(method: "POST", url: base + "/v1/chat/completions",
                    headers: [("content-type", "application/json"), ("authorization", "Bearer sim-openai-key")], body: body))
                _ = try await response.collect()
            }
            print("engine: \((ContinuousClock.now - start) / count) per request")
            engine.shutdown()

        case "provider":
            // Provider-only loop, for perf record.
            let engine = CurlEngine()
            let provider = OpenAIProvider(endpoint: .openAI(baseURL: base + "/v1"), apiKey: Secret("sim-openai-key"), engine: engine, retry: RetryPolicy(maxAttempts: 1))
            let chat = ChatRequest(model: "gpt-4o-mini", messages: [.text(.system, "Be brief."), .text(.user, "What is the capital of France?")])
            let count = option("--requests", 20000)
            let start = ContinuousClock.now
            for _ in 0..<count { _ = try await provider.complete(chat) }
            print("provider: \((ContinuousClock.now - start) / count) per request")
            engine.shutdown()

        case "handoff":
            // The floor under any dedicated-driver-thread design: a Swift task hands work to another
            // thread (a semaphore, as curl_multi_wakeup wakes the driver) and is resumed from it (a
            // continuation, as the engine resumes a reader). Two cross-thread wake-ups per round trip.
            let inbox = HandoffThread()
            var samples: [UInt64] = []
            for _ in 0..<20_000 {
                let start = ContinuousClock.now
                await withCheckedContinuation { continuation in inbox.send(continuation) }
                samples.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
            }
            samples.sort()
            print(String(format: "task -> thread -> task round trip: p50 %.1f µs, p90 %.1f µs, p99 %.1f µs",
                         Double(samples[samples.count / 2]) / 1000, Double(samples[samples.count * 9 / 10]) / 1000, Double(samples[samples.count * 99 / 100]) / 1000))

        default:
            print("usage: ProviderOverhead simulator|latency|streams --port P")
            exit(2)
        }
    }
}

/// A thread that resumes whatever continuation it is sent.
final class HandoffThread: @unchecked Sendable {
    private let lock = NSLock()
    private let signal = DispatchSemaphore(value: 0)
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init() {
        Thread { [self] in
            while true {
                signal.wait()
                let work = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
                    defer { waiting.removeAll() }
                    return waiting
                }
                for continuation in work { continuation.resume() }
            }
        }.start()
    }

    func send(_ continuation: CheckedContinuation<Void, Never>) {
        lock.withLock { waiting.append(continuation) }
        signal.signal()
    }
}

/// A count shared by the stream tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

extension Array where Element == String {
    /// The strings as C strings for the duration of `body`.
    func withCStrings<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) })
    }
}
