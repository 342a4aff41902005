import Foundation
import Histogram
import ConversationalMemory
import PostgresMemory
import MemoryBaseline

// Conversational memory: append one entry and read the window (50) of a conversation, with
// 1,000,000 entries stored over 10,000 conversations, through InferWire's store and through a
// small C program running the same SQL (MemoryBaseline), in alternating rounds of one run.
//
//   MemoryBench sqlite --path /tmp/memory-bench.db [--ids 10000 --per-id 100 --requests 2000 --rounds 3]
//   MemoryBench postgres --url postgresql://user@127.0.0.1:5432/db [same options]

@main
struct MemoryBench {
    static func main() async throws {
        try await Task.detached { try await run(CommandLine.arguments) }.value
    }

    static func run(_ arguments: [String]) async throws {
        func value(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        func option(_ name: String, _ fallback: Int) -> Int { value(name).flatMap(Int.init) ?? fallback }
        let backend = arguments.count > 1 ? arguments[1] : "sqlite"
        let ids = option("--ids", 10_000)
        let perID = option("--per-id", 100)
        let requests = option("--requests", 2000)
        let rounds = option("--rounds", 3)
        let window = 50
        let parts = MemoryEntryCodec.encode([MemoryEntry.Part(type: "text", value: Array("A message of about sixty characters, as a chat turn might be.".utf8))])

        let store: any MemoryStore
        var baseline: (Int, UInt64, inout [UInt64]) -> Int32
        let populateStart = ContinuousClock.now
        switch backend {
        case "sqlite":
            let path = value("--path") ?? "/tmp/inferwire-memory-bench.db"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            precondition(parts.withUnsafeBufferPointer { sqlite_baseline_populate(path, Int32(ids), Int32(perID), $0.baseAddress, $0.count) } == 0, "populate failed")
            store = try SQLiteMemoryStore(path: path)
            baseline = { count, seed, latencies in
                parts.withUnsafeBufferPointer { sqlite_baseline_run(path, Int32(ids), Int32(count), Int32(window), $0.baseAddress, $0.count, seed, &latencies) }
            }
        case "postgres":
            let url = value("--url") ?? "postgresql://postgres@127.0.0.1:5432/postgres"
            precondition(parts.withUnsafeBufferPointer { postgres_baseline_populate(url, Int32(ids), Int32(perID), $0.baseAddress, $0.count) } == 0, "populate failed")
            var options = PostgresMemoryStore.Options()
            options.maximumConnections = 4
            store = try await PostgresMemoryStore(location: try PostgresMemoryStore.Location(url: url), options: options)
            baseline = { count, seed, latencies in
                parts.withUnsafeBufferPointer { postgres_baseline_run(url, Int32(ids), Int32(count), Int32(window), $0.baseAddress, $0.count, seed, &latencies) }
            }
        default:
            print("usage: MemoryBench sqlite|postgres …")
            exit(2)
        }
        print("\(backend): \(ids * perID) entries over \(ids) conversations stored in \(ContinuousClock.now - populateStart)")

        func histogram() -> Histogram<UInt64> { Histogram(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three) }
        var cHistogram = histogram()
        var oursHistogram = histogram()
        var medians: ([UInt64], [UInt64]) = ([], [])
        var generator = SystemRandomNumberGenerator()
        let entry = MemoryEntry(role: "user", parts: [MemoryEntry.Part(type: "text", value: Array("A message of about sixty characters, as a chat turn might be.".utf8))])
        for round in 0...rounds {
            var latencies = [UInt64](repeating: 0, count: requests)
            let status = baseline(requests, UInt64(round + 1), &latencies)
            precondition(status == 0, "baseline failed: \(status)")
            var ours: [UInt64] = []
            for _ in 0..<requests {
                let id = "id-\(Int.random(in: 0..<ids, using: &generator))"
                let start = ContinuousClock.now
                let window = try await store.appendAndWindow(memoryID: id, entry: entry, windowSize: 50)
                ours.append(UInt64((ContinuousClock.now - start) / .nanoseconds(1)))
                precondition(window.count == 50)
            }
            guard round > 0 else { continue }
            for value in latencies { cHistogram.record(value) }
            for value in ours { oursHistogram.record(value) }
            medians.0.append(latencies.sorted()[requests / 2])
            medians.1.append(ours.sorted()[requests / 2])
        }
        func us(_ value: UInt64) -> String { String(format: "%.1f", Double(value) / 1000) }
        print("| \(backend): append + window(50) | p50 µs | p90 µs | p99 µs | round medians µs |")
        print("|---|---:|---:|---:|---|")
        print("| C program, same SQL | \(us(cHistogram.valueAtPercentile(50))) | \(us(cHistogram.valueAtPercentile(90))) | \(us(cHistogram.valueAtPercentile(99))) | \(medians.0.map(us).joined(separator: ", ")) |")
        print("| InferWire store | \(us(oursHistogram.valueAtPercentile(50))) | \(us(oursHistogram.valueAtPercentile(90))) | \(us(oursHistogram.valueAtPercentile(99))) | \(medians.1.map(us).joined(separator: ", ")) |")
        print(String(format: "ratio InferWire / C: p50 %.2f×, p99 %.2f×", Double(oursHistogram.valueAtPercentile(50)) / Double(cHistogram.valueAtPercentile(50)),
                     Double(oursHistogram.valueAtPercentile(99)) / Double(cHistogram.valueAtPercentile(99))))
        await store.close()
    }
}
