import Foundation
import Providers

/// How a tuning run looks in a terminal: a progress bar with step, epoch and loss, and at the
/// end the mean loss per epoch as a bar chart.
enum TuneProgress {
    static func bar(_ job: TuningJob, width: Int = 30) -> String {
        let share = job.progress ?? 0
        let filled = Int((share * Double(width)).rounded(.down))
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        line += String(format: " %3d%%", Int((share * 100).rounded(.down)))
        if let completed = job.completedSteps {
            line += "  step \(completed)" + (job.totalSteps.map { "/\($0)" } ?? "")
        }
        if let last = job.losses.last {
            if let epoch = last.epoch { line += "  epoch \(epoch)" }
            line += String(format: "  loss %.4f", last.loss)
        }
        return line + "  " + job.providerState
    }

    /// Mean loss per epoch. Gemini reports the epoch of each step; for OpenAI the steps are
    /// split evenly over the job's epochs.
    static func epochLosses(_ job: TuningJob) -> [(epoch: Int, loss: Double)] {
        guard !job.losses.isEmpty else { return [] }
        var groups: [Int: [Double]] = [:]
        let epochs = max(1, job.hyperparameters.epochs ?? 1)
        let total = max(job.totalSteps ?? job.losses.count, 1)
        for point in job.losses {
            let epoch = point.epoch ?? min(epochs, Int((Double(point.step) * Double(epochs) / Double(total)).rounded(.up)))
            groups[epoch, default: []].append(point.loss)
        }
        return groups.keys.sorted().map { ($0, groups[$0]!.reduce(0, +) / Double(groups[$0]!.count)) }
    }

    static func chart(_ job: TuningJob, width: Int = 40) -> [String] {
        let rows = epochLosses(job)
        guard let highest = rows.map(\.loss).max(), highest > 0 else { return [] }
        return ["mean loss per epoch:"] + rows.map { row in
            let length = max(1, Int((row.loss / highest * Double(width)).rounded()))
            return String(format: "  epoch %2d  %8.4f  ", row.epoch, row.loss) + String(repeating: "█", count: length)
        }
    }
}
