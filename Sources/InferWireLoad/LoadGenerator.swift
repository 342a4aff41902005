import InferWireClient
import InferWireProtocol
import NIOCore
import NIOPosix
import ProtoWire

/// Where to send the load.
public struct LoadTarget: Sendable {
    public var host: String
    public var port: Int
    /// Bearer token; a secret, never printed.
    public var token: String?
    /// Sent as each call's deadline; the server answers DEADLINE_EXCEEDED past it.
    public var timeout: Duration?
    /// TLS for every connection (handshakes happen before the measurement starts).
    public var tls: ClientTLS?

    public init(host: String, port: Int, token: String? = nil, timeout: Duration? = nil, tls: ClientTLS? = nil) {
        self.host = host
        self.port = port
        self.token = token
        self.timeout = timeout
        self.tls = tls
    }
}

/// Once a second while a run goes on: what the last second looked like (warm-up included).
public struct LoadProgress: Sendable {
    public var elapsed: Duration
    public var warmingUp: Bool
    public var requestsPerSecond: Double
    public var p50Microseconds: UInt64
    public var p99Microseconds: UInt64
    public var errors: Int
}

/// Runs a load plan against a server over the binary protocol and measures it. Calls are
/// started and timed on the connections' event loops (no task per call), so that the generator
/// is not what limits the measurement (docs/BENCHMARKS.md has its ceiling).
public enum LoadGenerator {
    public static func run(
        _ plan: LoadPlan, payloads: [LoadPayload], target: LoadTarget,
        progress: (@Sendable (LoadProgress) -> Void)? = nil
    ) async throws -> LoadReport {
        precondition(!payloads.isEmpty && plan.connections > 0 && plan.concurrency > 0 && plan.threads > 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.threads)
        defer { group.shutdownGracefully { _ in } }
        let loops = Array(group.makeIterator())

        var clients: [InferWireClient] = []
        do {
            for index in 0..<plan.connections {
                clients.append(try await InferWireClient.connect(
                    host: target.host, port: target.port, token: target.token, tls: target.tls, group: loops[index % loops.count]))
            }
            let report = try await drive(plan, payloads: payloads, target: target, clients: clients, loops: loops, progress: progress)
            for client in clients { await client.close() }
            return report
        } catch {
            for client in clients { await client.close() }
            throw error
        }
    }

    private static func drive(
        _ plan: LoadPlan, payloads: [LoadPayload], target: LoadTarget, clients: [InferWireClient], loops: [EventLoop],
        progress: (@Sendable (LoadProgress) -> Void)?
    ) async throws -> LoadReport {
        let wire = wirePayloads(payloads, plan: plan, target: target, client: clients[0])

        var recorderByLoop: [ObjectIdentifier: NIOLoopBound<LoadRecorder>] = [:]
        for loop in loops {
            recorderByLoop[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(LoadRecorder(), eventLoop: loop) }.get()
        }
        let recorders = recorderByLoop

        // Start a little ahead, so that every connection's first call is due at the same moment.
        let start = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let measureFrom = start + plan.warmUp.nanoseconds
        var schedule = LoadSchedule(measureFrom: measureFrom, end: .max)
        if case .after(let duration) = plan.stop { schedule.end = measureFrom + duration.nanoseconds }
        var spacing: UInt64 = 0
        var perConnectionInterval: UInt64 = 0
        if case .open(let rate) = plan.loop {
            spacing = UInt64(1e9 / rate)
            perConnectionInterval = UInt64(1e9 * Double(plan.connections) / rate)
        }

        var created: [NIOLoopBound<ConnectionDriver>] = []
        for (index, client) in clients.enumerated() {
            let recorder = recorders[ObjectIdentifier(client.eventLoop)]!
            let quota: Int? = if case .count(let total) = plan.stop {
                total / plan.connections + (index < total % plan.connections ? 1 : 0)
            } else { nil }
            let connectionSchedule = schedule
            let connectionStart = start + UInt64(index) * spacing
            let interval = perConnectionInterval
            created.append(try await client.eventLoop.submit {
                NIOLoopBound(ConnectionDriver(
                    client: client, payloads: wire, firstPayload: index, recorder: recorder.value, plan: plan,
                    schedule: connectionSchedule, start: connectionStart, quota: quota, interval: interval),
                    eventLoop: client.eventLoop)
            }.get())
        }

        let drivers = created
        let scheduleEnd = schedule.end
        let finished = try await withThrowingTaskGroup(of: UInt64?.self) { tasks in
            tasks.addTask {
                let futures = drivers.map { driver in
                    driver.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                        driver.value.begin()
                        return driver.value.finished
                    }
                }
                try await EventLoopFuture.andAllSucceed(futures, on: loops[0]).get()
                return NIODeadline.now().uptimeNanoseconds
            }
            if scheduleEnd != .max {
                // Calls still open a drain timeout after the end are cancelled and reported.
                let abortAt = scheduleEnd + plan.drainTimeout.nanoseconds
                tasks.addTask {
                    try await sleep(until: abortAt)
                    for driver in drivers { driver.eventLoop.execute { driver.value.abort() } }
                    return nil
                }
            }
            if let progress {
                tasks.addTask {
                    var tick = start + 1_000_000_000
                    while true {
                        try await sleep(until: tick)
                        var latency = makeLatencyHistogram()
                        var errors = 0
                        for recorder in recorders.values {
                            let snapshot = try await recorder.eventLoop.submit { recorder.value.takeInterval() }.get()
                            latency.add(snapshot.latency)
                            errors += snapshot.errors
                        }
                        progress(LoadProgress(
                            elapsed: .nanoseconds(Int64(tick - start)), warmingUp: tick <= measureFrom,
                            requestsPerSecond: Double(latency.totalCount + UInt64(errors)),
                            p50Microseconds: latency.valueAtPercentile(50), p99Microseconds: latency.valueAtPercentile(99),
                            errors: errors))
                        tick += 1_000_000_000
                    }
                }
            }
            var finishedAt: UInt64 = 0
            while let result = try await tasks.next() {
                if let result {
                    finishedAt = result
                    break
                }
            }
            tasks.cancelAll()
            return finishedAt
        }

        var totals = LoadTotals()
        for recorder in recorders.values {
            totals.add(try await recorder.eventLoop.submit { recorder.value.totals }.get())
        }
        let measuredEnd = schedule.end == .max ? finished : schedule.end
        return LoadReport(
            plan: plan, target: "\(target.host):\(target.port)", model: payloads[0].request.modelName,
            payloadSources: payloads.map(\.source), payloadBytes: wire.map(\.message.readableBytes),
            measuredSeconds: Double(measuredEnd > measureFrom ? measuredEnd - measureFrom : 0) / 1e9, totals: totals)
    }

    private static func wirePayloads(_ payloads: [LoadPayload], plan: LoadPlan, target: LoadTarget, client: InferWireClient) -> [WirePayload] {
        payloads.map { payload in
            var headers = RequestHeaders(
                method: plan.streaming ? .modelStreamInfer : .modelInfer,
                modelName: payload.request.modelName, modelVersion: payload.request.modelVersion)
            if let timeout = target.timeout { headers.timeoutMilliseconds = UInt64(max(1, timeout.nanoseconds / 1_000_000)) }
            var message = ByteBuffer()
            message.reserveCapacity(payload.request.encodedSize)
            payload.request.encode(into: &message)
            return WirePayload(headers: client.serializedHeaders(headers), message: message)
        }
    }

    private static func sleep(until uptime: UInt64) async throws {
        let now = NIODeadline.now().uptimeNanoseconds
        if uptime > now { try await Task.sleep(for: .nanoseconds(Int64(uptime - now))) }
    }
}

extension Duration {
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000
    }
}
