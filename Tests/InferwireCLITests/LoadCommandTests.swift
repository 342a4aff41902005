import Foundation
import InferWireProtocol
import Testing
@testable import inferwire

/// `inferwire load` against a loopback server whose echo model sleeps known times
/// (`delay_ms`): the tool's percentiles, error counts, open-loop rate, coordinated-omission
/// correction, streams and outputs. The assertions are about the load tool's measurements;
/// nothing here asserts how fast the server is.
@Suite("inferwire load", .timeLimit(.minutes(3)))
struct LoadCommandTests {
    /// A folder of V2 JSON requests, one per delay (file names keep their order).
    static func requestDirectory(delays: [Int]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (index, delay) in delays.enumerated() {
            let json = #"{"parameters": {"delay_ms": \#(delay)}, "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["request \#(index)"]}]}"#
            try Data(json.utf8).write(to: directory.appendingPathComponent(String(format: "%02d.json", index)))
        }
        return directory
    }

    static func report(_ result: CommandResult) throws -> [String: Any] {
        let line = try #require(result.lines.last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func microseconds(_ report: [String: Any], _ key: String, _ percentile: String) -> Int {
        ((report[key] as? [String: Any])?[percentile] as? NSNumber)?.intValue ?? -1
    }

    @Test("percentiles follow a known distribution: 9 calls in 10 sleep 5 ms, 1 sleeps 5 s")
    func knownDistribution() async throws {
        // The two groups are far apart so that a loaded test machine cannot blur them: sleeps
        // are lower bounds, and nothing else here takes anywhere near 5 s (the whole test suite
        // shares two event-loop threads; under it, stalls of 2 s were seen).
        let directory = try Self.requestDirectory(delays: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5000])
        defer { try? FileManager.default.removeItem(at: directory) }
        let hdr = directory.appendingPathComponent("latency.hgrm").path
        try await EchoServer.with { server in
            let result = try await runCommand([
                "load", "echo", "--port", "\(server.port)", "--directory", directory.path, "--requests", "40",
                "--concurrency", "10", "--warmup", "0", "--json", "--hdr-file", hdr, "--label", "known",
            ])
            let report = try Self.report(result)
            #expect(report["label"] as? String == "known")
            #expect(report["mode"] as? String == "closed")
            #expect(report["requests"] as? Int == 40)
            #expect(report["ok"] as? Int == 40)
            #expect((report["payloads"] as? [[String: Any]])?.count == 10)
            // 36 calls of the fast group, then 4 slow ones: p90 is the 36th value, p99 a slow one.
            #expect(Self.microseconds(report, "latency_us", "min") >= 5_000)
            #expect(Self.microseconds(report, "latency_us", "p50") < 5_000_000)
            #expect(Self.microseconds(report, "latency_us", "p90") < 5_000_000)
            #expect(Self.microseconds(report, "latency_us", "p99") >= 4_999_000)
            #expect(Self.microseconds(report, "latency_us", "max") >= 4_999_000)
            #expect(((report["latency_us"] as? [String: Any])?["count"] as? Int) == 40)
            // The HdrHistogram percentile file: milliseconds, and every call counted.
            let text = try String(contentsOfFile: hdr, encoding: .utf8)
            #expect(text.hasPrefix("       Value     Percentile TotalCount 1/(1-Percentile)"))
            let values = text.split(separator: "\n").compactMap { row -> (Double, Double)? in
                let fields = row.split(separator: " ")
                guard fields.count >= 3, let value = Double(fields[0]), let percentile = Double(fields[1]) else { return nil }
                return (value, percentile)
            }
            #expect(values.first.map { $0.0 >= 5 } == true)
            #expect(values.last.map { $0.0 >= 4999 && $0.1 == 1 } == true)
            #expect(text.contains("Total count    =           40]"))
        }
    }

    @Test("errors are counted by status: 1 call in 4 misses its deadline; every call failing exits 1; no server exits 2")
    func errorCounting() async throws {
        // The deadline (5 s) is far from both groups (0 ms, 30 s), whatever the machine's load.
        let directory = try Self.requestDirectory(delays: [0, 0, 0, 30_000])
        defer { try? FileManager.default.removeItem(at: directory) }
        let port: Int
        do {
            let server = try await EchoServer.start()
            port = server.port
            let result = try await runCommand([
                "load", "echo", "--port", "\(port)", "--directory", directory.path, "--requests", "20",
                "--concurrency", "4", "--warmup", "0", "--timeout", "5", "--json",
            ])
            let report = try Self.report(result)
            #expect(report["requests"] as? Int == 20)
            #expect(report["ok"] as? Int == 15)
            #expect(report["errors"] as? [String: Int] == ["DEADLINE_EXCEEDED": 5])
            #expect((report["error_examples"] as? [String: String])?["DEADLINE_EXCEEDED"] != nil)
            // Failed calls are not in the latency histogram.
            #expect(((report["latency_us"] as? [String: Any])?["count"] as? Int) == 15)

            let text = try await runCommand([
                "load", "echo", "--port", "\(port)", "--directory", directory.path, "--requests", "8", "--concurrency", "4", "--warmup", "0", "--timeout", "5",
            ])
            #expect(text.lines.contains { $0.hasPrefix("requests   8 ") && $0.hasSuffix("ok 6, errors DEADLINE_EXCEEDED 2") })
            #expect(text.lines.contains { $0.hasPrefix("first DEADLINE_EXCEEDED: ") })

            let missing = await expectFailure(
                ["load", "missing", "--port", "\(port)", "--input", "a=b", "--requests", "5", "--warmup", "0"],
                exitCode: 1, code: "NOT_FOUND")
            #expect(missing?.message.contains("every call failed") == true)
            await server.stop()
        }
        _ = await expectFailure(["load", "echo", "--port", "\(port)", "--input", "a=b", "--requests", "5"], exitCode: 2, code: "UNAVAILABLE")
    }

    @Test("open loop keeps its rate: 200 calls/s for 2 s over 2 connections is 400 calls")
    func openLoopRate() async throws {
        try await EchoServer.with { server in
            let result = try await runCommand([
                "load", "echo", "--port", "\(server.port)", "--input", "text=hi", "--rate", "200", "--duration", "2",
                "--warmup", "0.5", "--connections", "2", "--json",
            ])
            let report = try Self.report(result)
            #expect(report["mode"] as? String == "open")
            let requests = try #require(report["requests"] as? Int)
            #expect((398...402).contains(requests), "\(requests) calls")
            #expect(report["ok"] as? Int == requests)
            let rate = try #require((report["requests_per_second"] as? NSNumber)?.doubleValue)
            #expect(abs(rate - 200) <= 2, "\(rate) calls/s")
            #expect(report["service_time_us"] is [String: Any])
        }
    }

    @Test("open loop corrects coordinated omission: calls held back count their wait, service time does not")
    func coordinatedOmission() async throws {
        try await EchoServer.with { server in
            // 20 calls due over 0.2 s, but one at a time at 50 ms each: the server needs 1 s.
            let result = try await runCommand([
                "load", "echo", "--port", "\(server.port)", "--input", "text=hi", "--parameter", "delay_ms=50",
                "--rate", "100", "--concurrency", "1", "--requests", "20", "--warmup", "0", "--json",
            ])
            let report = try Self.report(result)
            #expect(report["ok"] as? Int == 20)
            #expect(Self.microseconds(report, "service_time_us", "min") >= 50_000)
            #expect(Self.microseconds(report, "service_time_us", "p50") < 500_000)
            // The last call was due at 0.19 s and ended after 20 × 50 ms = 1 s.
            #expect(Self.microseconds(report, "latency_us", "max") >= 800_000)
            #expect(Self.microseconds(report, "latency_us", "p50") > Self.microseconds(report, "service_time_us", "p50") + 200_000)
        }
    }

    @Test("streams: time to the first message and between messages; bytes counted both ways")
    func streaming() async throws {
        try await EchoServer.with { server in
            let result = try await runCommand([
                "load", "echo", "--port", "\(server.port)", "--input", "text=hello", "--stream",
                "--parameter", "stream_count=4", "--parameter", "delay_ms=20",
                "--connections", "2", "--concurrency", "2", "--requests", "12", "--warmup", "0", "--json",
            ])
            let report = try Self.report(result)
            #expect(report["method"] as? String == "ModelStreamInfer")
            #expect(report["ok"] as? Int == 12)
            #expect(report["messages_received"] as? Int == 48)
            #expect(Self.microseconds(report, "first_message_us", "min") >= 20_000)
            #expect(((report["first_message_us"] as? [String: Any])?["count"] as? Int) == 12)
            #expect(((report["between_messages_us"] as? [String: Any])?["count"] as? Int) == 36)
            // Messages leave the server 20 ms apart; a busy test machine may deliver several in
            // one read, so only the mean gap is bounded, loosely.
            #expect(Self.microseconds(report, "between_messages_us", "mean") >= 5_000)
            #expect(Self.microseconds(report, "latency_us", "min") >= 80_000)
            let sent = try #require(report["bytes_sent"] as? Int)
            let received = try #require(report["bytes_received"] as? Int)
            #expect(sent > 12 * 5 && received > 48 * 5)
        }
    }

    @Test("raw files: --file and a directory of media send their bytes; text output; bad options are refused")
    func filesAndOptions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inferwire-load-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try image.write(to: directory.appendingPathComponent("a.jpg"))
        try Data(image.prefix(50_000)).write(to: directory.appendingPathComponent("b.png"))
        try await EchoServer.with { server in
            let port = "\(server.port)"
            let single = try Self.report(try await runCommand([
                "load", "echo", "--port", port, "--file", directory.appendingPathComponent("a.jpg").path, "--type", "image/jpeg",
                "--requests", "10", "--warmup", "0", "--json",
            ]))
            #expect(single["ok"] as? Int == 10)
            // Raw bytes, not base64: each call carries the 200,000 bytes plus a few dozen.
            let payloadBytes = try #require((single["payloads"] as? [[String: Any]])?.first?["bytes"] as? Int)
            #expect((200_000...200_200).contains(payloadBytes))
            #expect((single["bytes_received"] as? Int ?? 0) >= 10 * 200_000)

            let mixed = try Self.report(try await runCommand([
                "load", "echo", "--port", port, "--directory", directory.path, "--message", "describe", "--requests", "4",
                "--warmup", "0", "--json",
            ]))
            #expect((mixed["payloads"] as? [[String: Any]])?.compactMap { $0["source"] as? String } == ["a.jpg", "b.png"])
            #expect(mixed["ok"] as? Int == 4)

            let text = try await runCommand(["load", "echo", "--port", port, "--input", "text=hi", "--requests", "5", "--warmup", "0"])
            #expect(text.lines.first?.hasPrefix("ModelInfer echo at 127.0.0.1:\(port), closed loop, 1 connection × 1 in flight") == true)
            #expect(text.lines.contains { $0.hasPrefix("latency    p50 ") && $0.contains("p99.99") && $0.contains("max") })
        }
        for bad in [
            ["load", "echo", "--input", "a=b", "--duration", "1", "--requests", "5"],
            ["load", "echo", "--input", "a=b", "--rate", "0"],
            ["load", "echo", "--input", "a=b", "--connections", "0"],
            ["load", "echo", "--input", "a=b", "--concurrency", "0"],
            ["load", "echo", "--file", "x.jpg"],
            ["load", "echo", "--directory", "/tmp", "--request", "r.json"],
        ] {
            #expect(throws: (any Error).self, "\(bad)") { try Inferwire.parseAsRoot(bad) }
        }
        _ = await expectFailure(["load", "echo", "--directory", "/nonexistent-dir", "--requests", "1"], exitCode: 64, code: "INVALID_ARGUMENT")
    }
}
