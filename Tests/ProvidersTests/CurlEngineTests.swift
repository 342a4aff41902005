import Foundation
import NIOConcurrencyHelpers
import Providers
import Testing

/// The libcurl multi engine against a real HTTP server on loopback.
@Suite("HTTP engine (libcurl multi)", .timeLimit(.minutes(2)))
struct CurlEngineTests {
    @Test("GET and POST: status, headers, a 1 MiB body sent and received whole")
    func basics() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let hello = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/hello"))
        #expect(hello.head.status == 200)
        #expect(String(decoding: try await hello.collect(), as: UTF8.self) == "hello")

        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let echo = try await engine.execute(HTTPRequest(
            method: "POST", url: "http://127.0.0.1:\(server.port)/echo",
            headers: [("content-type", "application/octet-stream")], body: payload))
        #expect(echo.head.status == 200)
        #expect(echo.head.header("X-Received-Length") == "\(payload.count)")
        #expect(try await echo.collect() == payload)

        let unavailable = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/status/503"))
        #expect(unavailable.head.status == 503)
        #expect(unavailable.head.header("retry-after") == "1")
        #expect(String(decoding: try await unavailable.collect(), as: UTF8.self) == #"{"error":{"code":503}}"#)
        engine.shutdown()
        await server.close()
    }

    @Test("a streamed body arrives in order, chunk by chunk")
    func streaming() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let response = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/stream?chunks=20&size=1000&delay=5"))
        var received: [UInt8] = []
        for try await chunk in response.body { received += chunk }
        #expect(received.count == 20_000)
        #expect(received == (0..<20).flatMap { index in [UInt8](repeating: UInt8(index), count: 1000) })
        engine.shutdown()
        await server.close()
    }

    @Test("a reader that stops reading pauses the transfer: the server cannot push the whole body")
    func backpressure() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let total = 400  // 400 × 256 KiB = 100 MiB
        let response = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/stream?chunks=\(total)&size=262144"))
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        try await Task.sleep(for: .seconds(1))
        let pushed = server.bytesWritten.withLockedValue { $0 }
        #expect(pushed < 40 << 20, "the server pushed \(pushed) bytes to a reader that is not reading")
        var count = first?.count ?? 0
        while let chunk = try await iterator.next() { count += chunk.count }
        #expect(count == total * 262_144)
        engine.shutdown()
        await server.close()
    }

    @Test("cancelling the reading task removes the transfer and closes the upstream connection")
    func cancellation() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let url = "http://127.0.0.1:\(server.port)/stream?chunks=1000&size=10&delay=100"
        let chunks = NIOLockedValueBox(0)
        let task = Task {
            let response = try await engine.execute(HTTPRequest(url: url))
            for try await _ in response.body { chunks.withLockedValue { $0 += 1 } }
        }
        // Cancelled mid-stream: once chunks arrive, the connection is open (on a loaded machine
        // a fixed sleep could end before curl had even connected, and nothing would close).
        try await Self.waitUntil(.seconds(10)) { chunks.withLockedValue { $0 } >= 2 }
        #expect(chunks.withLockedValue { $0 } >= 2)
        let closedBefore = server.closedConnections.withLockedValue { $0 }
        task.cancel()
        await #expect(throws: (any Error).self) { try await task.value }
        try await Self.waitUntil(.seconds(5)) { server.closedConnections.withLockedValue { $0 } != closedBefore }
        #expect(server.closedConnections.withLockedValue { $0 } > closedBefore)
        engine.shutdown()
        await server.close()
    }

    @Test("short calls share a pooled connection; a long-lived call over http gets its own, closed at its end")
    func longLivedConnections() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let url = "http://127.0.0.1:\(server.port)/hello"
        for _ in 0..<3 { _ = try await engine.execute(HTTPRequest(url: url)).collect() }
        #expect(server.openedConnections.withLockedValue { $0 } == 1)

        var stream = HTTPRequest(url: "http://127.0.0.1:\(server.port)/stream?chunks=3&size=10&delay=5")
        stream.longLived = true
        let streamed = try await engine.execute(stream).collect()
        #expect(streamed.count == 30)
        #expect(server.openedConnections.withLockedValue { $0 } == 2)
        try await Self.waitUntil(.seconds(5)) { server.closedConnections.withLockedValue { $0 } >= 1 }
        #expect(server.closedConnections.withLockedValue { $0 } == 1, "the stream's connection is closed, the pooled one kept")

        _ = try await engine.execute(HTTPRequest(url: url)).collect()
        #expect(server.openedConnections.withLockedValue { $0 } == 2, "short calls still reuse the pooled connection")
        engine.shutdown()
        await server.close()
    }

    @Test("timeouts and connection failures are typed")
    func failures() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        await #expect(throws: HTTPClientError.self) {
            do {
                _ = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/slow?delay=3000", totalTimeout: .milliseconds(200)))
            } catch let error as HTTPClientError {
                #expect(error.kind == .timeout)
                throw error
            }
        }
        let closedPort = server.port
        await server.close()
        await #expect(throws: HTTPClientError.self) {
            do {
                _ = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(closedPort)/hello"))
            } catch let error as HTTPClientError {
                #expect(error.kind == .connect)
                throw error
            }
        }
        engine.shutdown()
    }

    @Test("a stream that stalls fails with a timeout after its idle limit (curl's timer, run by the epoll driver)")
    func idleStream() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        // One chunk, then nothing for 20 s: only the idle limit (1 s without a byte) can end it early.
        var request = HTTPRequest(url: "http://127.0.0.1:\(server.port)/stream?chunks=2&size=10&delay=20000", idleTimeout: .seconds(1))
        request.longLived = true
        let start = ContinuousClock.now
        await #expect(throws: HTTPClientError.self) {
            do {
                let response = try await engine.execute(request)
                for try await _ in response.body {}
            } catch let error as HTTPClientError {
                #expect(error.kind == .timeout)
                throw error
            }
        }
        #expect(ContinuousClock.now - start < .seconds(15))
        engine.shutdown()
        await server.close()
    }

    @Test("1,000 concurrent slow requests on one driver thread")
    func concurrency() async throws {
        let server = try await TestHTTPServer()
        let engine = CurlEngine()
        let threadsBefore = Self.threadCount()
        let start = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<1000 {
                group.addTask {
                    let response = try await engine.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/slow?delay=500"))
                    _ = try await response.collect()
                    return response.head.status
                }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(statuses.count == 1000 && statuses.allSatisfy { $0 == 200 })
        #expect(ContinuousClock.now - start < .seconds(30))
        // Not a thread per request: parallel tests add a few threads of their own, never hundreds.
        #expect(Self.threadCount() - threadsBefore < 100, "threads grew from \(threadsBefore) to \(Self.threadCount())")
        engine.shutdown()
        await server.close()
    }

    /// Polls `condition` every 20 ms until it holds or `limit` passes; the caller's #expect says
    /// which it was.
    static func waitUntil(_ limit: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    static func threadCount() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? "Threads: 0"
        return Int(line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "0") ?? 0
    }
}
