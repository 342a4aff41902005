import ArgumentParser
import Foundation
import InferWireCore
import InferWireLoad
import InferWireProtocol
import ProtoWire

/// `inferwire load`: drives a server with many calls and reports throughput and latency.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a model with many calls; report requests/s, bytes/s, latency percentiles and errors.",
        discussion: """
            Closed loop (default): every connection keeps --concurrency calls in
            flight; a call starts when one ends. Open loop (--rate R): calls start
            at R per second in total whatever the server does, and each call's
            latency counts from when it was due, so a server that stalls is not
            flattered (coordinated-omission correction, as wrk2 does); at most
            --concurrency calls are in flight per connection, later ones wait
            and their wait counts.

            The request comes from the same flags as `infer` (--input, --message,
            --file/--type, --request, --parameter), or from --directory: every
            file in it becomes one request, sent in turn (name order): a .json
            file is a V2 JSON request, any other file is sent raw as --file
            would (MIME from --type, else from its extension), joining --message
            if given.

            Results: requests/s, bytes/s each way, latency p50, p90, p99, p99.9,
            p99.99 and max (HdrHistogram, 3 significant digits), errors by
            status; with --stream also the time to the first message and between
            messages. On a terminal a progress line is updated every second (on
            standard error). --json prints one JSON object instead of text;
            --hdr-file writes the latency distribution in HdrHistogram's
            percentile format (milliseconds), for Benchmarks/compare/plot_latency.py.

            Exit codes: 0 when any call succeeded; 1 when every call failed (the
            first error of each status is shown); 2 when the server cannot be
            reached; 64 for a bad argument.

            Examples:
              inferwire load echo --input text=hello --connections 4 --concurrency 16
              inferwire load echo --input text=hello --rate 5000 --duration 30
              inferwire load echo --file photo.jpg --type image/jpeg --requests 1000
              inferwire load echo --directory ./images --json --hdr-file echo.hgrm
              inferwire load echo --input text=hi --stream --parameter stream_count=8
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The model's name.")
    var model: String

    @Option(name: .customLong("model-version"), help: "The model version (default: the server's choice).")
    var modelVersion: String = ""

    @OptionGroup var payload: RequestOptions

    @Option(help: ArgumentHelp("Send every file in this directory in turn (see above).", valueName: "dir"))
    var directory: String?

    @Option(help: "Connections to open.")
    var connections = 1

    @Option(help: ArgumentHelp(
        "Calls in flight per connection (closed loop); the most in flight per connection with --rate. (default: 1, or 1000 with --rate)",
        valueName: "n"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("Open loop: start this many calls per second in total.", valueName: "req/s"))
    var rate: Double?

    @Option(help: ArgumentHelp("Measure for this many seconds. (default: 10, unless --requests)", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Measure this many calls instead of a duration.", valueName: "n"))
    var requests: Int?

    @Option(help: ArgumentHelp("Calls before measuring starts, not recorded.", valueName: "seconds"))
    var warmup: Double = 1

    @Option(help: "Client event-loop threads (connections are spread over them).")
    var threads = 1

    @Flag(help: "Use ModelStreamInfer: also time the first message and the gaps between messages.")
    var stream = false

    @Option(help: ArgumentHelp("Each call's deadline, sent to the server (DEADLINE_EXCEEDED past it).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("hdr-file"), help: ArgumentHelp("Write the latency distribution here (HdrHistogram percentile format, ms).", valueName: "path"))
    var hdrFile: String?

    @Option(help: "A name for this run in the report and the JSON.")
    var label: String = ""

    func validate() throws {
        try payload.validateFileType(directory: directory != nil)
        if directory != nil, payload.file != nil || payload.request != nil {
            throw ValidationError("--directory replaces --file and --request: give one of them")
        }
        guard connections > 0 else { throw ValidationError("--connections must be at least 1") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of calls per second") }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be a positive number of seconds") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if duration != nil, requests != nil { throw ValidationError("give --duration or --requests, not both") }
        guard warmup >= 0, warmup.isFinite else { throw ValidationError("--warmup must be zero or a positive number of seconds") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        MallocTuning.keepLargeBlocks(environment: ProcessInfo.processInfo.environment)
        try await runForShell(execute)
    }

    /// The plan the flags describe.
    func plan() -> LoadPlan {
        var plan = LoadPlan()
        plan.connections = connections
        plan.concurrency = concurrency ?? (rate == nil ? 1 : 1000)
        if let rate { plan.loop = .open(requestsPerSecond: rate) }
        if let requests { plan.stop = .count(requests) } else { plan.stop = .after(.seconds(duration ?? 10)) }
        plan.warmUp = .milliseconds(Int64((warmup * 1000).rounded()))
        plan.threads = threads
        plan.streaming = stream
        return plan
    }

    /// The requests to send in turn.
    func payloads() throws -> [LoadPayload] {
        guard let directory else {
            return [LoadPayload(request: try payload.build(model: model, version: modelVersion), source: "flags")]
        }
        let url = URL(fileURLWithPath: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw CLIError.usage("cannot read the directory \(directory)")
        }
        var payloads: [LoadPayload] = []
        for name in names {
            let path = url.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let request: ModelInferRequest
            if name.lowercased().hasSuffix(".json") {
                request = try payload.build(model: model, version: modelVersion, requestFile: path)
            } else {
                guard let mimeType = payload.mimeType ?? ChatCommand.mimeTypes[(name as NSString).pathExtension.lowercased()] else {
                    throw CLIError.usage("\(path): unknown file type; give --type MIME")
                }
                request = try payload.build(model: model, version: modelVersion, mediaFile: (path, mimeType))
            }
            payloads.append(LoadPayload(request: request, source: name))
        }
        guard !payloads.isEmpty else { throw CLIError.usage("the directory \(directory) has no files") }
        return payloads
    }

    func execute(_ output: CommandOutput) async throws -> Int32 {
        try await execute(output, progress: isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil)
    }

    func execute(_ output: CommandOutput, progress: ProgressLine?) async throws -> Int32 {
        let payloads = try payloads()
        let target = LoadTarget(
            host: client.host, port: try client.resolvedPort(), token: try client.resolvedToken(),
            timeout: timeout.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }, tls: try client.resolvedTLS())
        var onProgress: (@Sendable (LoadProgress) -> Void)?
        if let progress { onProgress = { @Sendable update in progress.show(update) } }
        var report: LoadReport
        do {
            report = try await LoadGenerator.run(plan(), payloads: payloads, target: target, progress: onProgress)
        } catch {
            // (Type-checked by hand: `catch let e as T` on this call crashes the compiler.)
            if let failure = error as? InferenceError, !failure.isConnectionFailure { throw failure }
            throw ClientOptions.cannotConnect(host: target.host, port: target.port, error)
        }
        progress?.clear()
        report.label = label
        if let hdrFile {
            guard FileManager.default.createFile(atPath: hdrFile, contents: Data(report.percentileDistribution().utf8)) else {
                throw CLIError.usage("cannot write \(hdrFile)")
            }
        }
        if client.json {
            output.line(report.json())
        } else {
            for line in report.text() { output.line(line) }
        }
        if report.ok == 0, report.requests > 0 {
            let first = report.errorExamples.sorted { $0.key < $1.key }.first
            throw CLIError(code: first?.key ?? "UNKNOWN", message: "every call failed: \(first?.value ?? "")", exitCode: CLIError.serverErrorExit)
        }
        return 0
    }
}

/// The one-line progress display on a terminal: rewritten in place every second.
final class ProgressLine: Sendable {
    func show(_ update: LoadProgress) {
        let seconds = Double(update.elapsed.components.seconds)
        let text = String(format: "%4.0f s %@  %@ req/s  p50 %@  p99 %@  errors %d",
                          seconds, update.warmingUp ? "warm-up" : "       ",
                          LoadReport.number(update.requestsPerSecond),
                          LoadReport.duration(update.p50Microseconds), LoadReport.duration(update.p99Microseconds),
                          update.errors)
        try? FileHandle.standardError.write(contentsOf: Data(("\r" + text + "\u{1B}[K").utf8))
    }

    func clear() {
        try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8))
    }
}
