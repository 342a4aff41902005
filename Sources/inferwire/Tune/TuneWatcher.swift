import Foundation
import Providers

/// Polls a job until it ends, recording each state: a progress bar that redraws in a terminal
/// (one line per new step when piped), the loss chart at the end, and on success the model folder.
struct TuneWatcher {
    let records: TuningRecords
    let endpoint: TuneEndpoint
    let engine: CurlEngine
    let output: CommandOutput
    let json: Bool
    let interval: Duration
    /// Polls that may fail in a row (a network blip) before watching gives up.
    var tolerance = 5

    /// 0 when the job succeeded, 1 when it failed or was cancelled.
    func watch(_ id: String) async throws -> Int32 {
        guard var record = try records.record(id) else {
            throw CLIError(code: "NOT_FOUND", message: "no recorded job \(id): `inferwire tune list` shows the recorded ones", exitCode: CLIError.usageExit)
        }
        let interactive = !json && output is StandardOutput && isatty(STDOUT_FILENO) == 1
        var lastLine = ""
        var failures = 0
        let client = try endpoint.client(engine)
        while true {
            do {
                try records.update(try await client.poll(record.job))
                failures = 0
            } catch let error as ProviderError where error.code == .unavailable && failures < tolerance {
                failures += 1
                printError("warning: \(error.message); retrying")
            }
            record = try records.record(id) ?? record
            let line = TuneProgress.bar(record.job)
            if !json, line != lastLine {
                if interactive { output.write("\r" + line + "\u{1B}[K") } else { output.line(line) }
                lastLine = line
            }
            if record.job.state.isFinal { break }
            try await Task.sleep(for: interval)
        }
        if interactive { output.line("") }
        let job = record.job
        var folderWritten: String?
        if job.state == .succeeded, let folder = record.modelFolder {
            folderWritten = try TunedModelFolder.write(job, baseURL: record.baseURL, folder: folder)
        }
        if json {
            output.line(TuneReport.json(job, modelFolder: record.modelFolder))
        } else {
            for line in TuneProgress.chart(job) { output.line(line) }
            switch job.state {
            case .succeeded:
                output.line("succeeded: \(job.resultModel ?? "-")")
                if let folderWritten, let folder = record.modelFolder {
                    output.line("model folder: \(folderWritten)")
                    output.line("serve it with: inferwire serve --repository \((folder as NSString).deletingLastPathComponent.isEmpty ? "." : (folder as NSString).deletingLastPathComponent)")
                }
            default:
                output.line("\(job.state.rawValue): \(job.error ?? job.providerState)")
            }
        }
        return job.state == .succeeded ? 0 : 1
    }
}

/// A job as JSON (for --json) and as text (for `tune get`).
enum TuneReport {
    static func json(_ job: TuningJob, modelFolder: String?) -> String {
        struct Report: Encodable {
            var job: TuningJob
            var modelFolder: String?
            var progress: Double?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Report(job: job, modelFolder: modelFolder, progress: job.progress))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ job: TuningJob, modelFolder: String?) -> [String] {
        var lines = [
            "job:          \(job.id)",
            "provider:     \(job.provider.rawValue)",
            "base model:   \(job.baseModel.isEmpty ? "-" : job.baseModel)",
            "state:        \(job.providerState) (\(job.state.rawValue))",
            "progress:     " + (job.completedSteps.map { "step \($0)" + (job.totalSteps.map { " of \($0)" } ?? "") } ?? "-"),
        ]
        let hyper = job.hyperparameters
        let knobs = [hyper.epochs.map { "epochs \($0)" }, hyper.batchSize.map { "batch size \($0)" },
                     hyper.learningRate.map { "learning rate \($0)" }, hyper.learningRateMultiplier.map { "learning-rate multiplier \($0)" }].compactMap { $0 }
        if !knobs.isEmpty { lines.append("settings:     " + knobs.joined(separator: ", ")) }
        if let model = job.resultModel { lines.append("tuned model:  \(model)") }
        if let error = job.error { lines.append("error:        \(error)") }
        if let modelFolder { lines.append("model folder: \(modelFolder)") }
        return lines + TuneProgress.chart(job)
    }
}
