import Foundation

/// A simulated training run as a pure function of the clock: `leadSteps` steps of preparation
/// (validating, queued), then `totalSteps` steps of `stepSeconds` each. Nothing runs in the
/// background; every read computes where the run stands now, so a run is deterministic for a
/// given creation time and survives any number of polls.
struct TrainingTimeline: Sendable {
    var created: Date
    var stepSeconds: Double
    var totalSteps: Int
    /// Training examples over batch size: how many steps make an epoch.
    var stepsPerEpoch: Double
    var epochs: Int
    /// Steps of preparation before training starts (OpenAI: validating, queued).
    var leadSteps: Int = 0
    /// The run fails once this step is reached (a dataset the simulator marks as poisoned).
    var failAtStep: Int?
    /// When the run was cancelled: progress stops there.
    var stoppedAt: Date?

    init(created: Date, stepMilliseconds: Int64, examples: Int, batchSize: Int, epochs: Int, leadSteps: Int = 0, failAtStep: Int? = nil) {
        self.created = created
        self.stepSeconds = Double(max(1, stepMilliseconds)) / 1000
        self.stepsPerEpoch = Double(max(1, examples)) / Double(max(1, batchSize))
        self.epochs = max(1, epochs)
        // Google's figure: 15 examples, batch 2, 5 epochs → 38 steps (the seed's), batch 4 → 19.
        self.totalSteps = max(1, Int((Double(max(1, examples) * self.epochs) / Double(max(1, batchSize))).rounded(.up)))
        self.leadSteps = leadSteps
        self.failAtStep = failAtStep.map { min($0, totalSteps) }
    }

    /// Steps elapsed since creation (preparation included), up to the cancel time.
    private func elapsedSteps(at now: Date) -> Int {
        let end = min(now, stoppedAt ?? now)
        return max(0, Int(end.timeIntervalSince(created) / stepSeconds))
    }

    /// Whether preparation is still under way.
    func preparing(at now: Date) -> Bool { elapsedSteps(at: now) < leadSteps }

    func completedSteps(at now: Date) -> Int {
        min(totalSteps, max(0, elapsedSteps(at: now) - leadSteps), failAtStep ?? totalSteps)
    }

    func failed(at now: Date) -> Bool {
        guard let failAtStep else { return false }
        return elapsedSteps(at: now) - leadSteps >= failAtStep
    }

    func succeeded(at now: Date) -> Bool { failAtStep == nil && stoppedAt == nil && completedSteps(at: now) == totalSteps }

    /// When `step` (1-based) finished; step 0 is the start of training.
    func time(ofStep step: Int) -> Date {
        created.addingTimeInterval(Double(leadSteps + step) * stepSeconds)
    }

    var startTime: Date { time(ofStep: 0) }
    var finishTime: Date { time(ofStep: failAtStep ?? totalSteps) }

    func epoch(ofStep step: Int) -> Int {
        min(epochs, max(1, Int((Double(step) / stepsPerEpoch).rounded(.up))))
    }

    /// Steps at which an epoch ends, up to `completed`.
    func epochEnds(upTo completed: Int) -> [Int] {
        (1...epochs).map { min(totalSteps, Int((Double($0) * stepsPerEpoch).rounded(.up))) }.filter { $0 <= completed }
    }

    /// A plausible falling loss: fast early descent to a floor, with a small deterministic wobble.
    static func meanLoss(step: Int, totalSteps: Int) -> Double {
        let progress = Double(step) / Double(max(1, totalSteps))
        let loss = 0.12 + 2.3 * exp(-3.2 * progress) + 0.06 * sin(Double(step) * 1.7) * exp(-2 * progress)
        return (loss * 1_000_000).rounded() / 1_000_000
    }
}

/// Identifiers in the providers' styles.
enum SimulatedID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    private static let mixed = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func lowercase(_ count: Int) -> String {
        String((0..<count).map { _ in alphabet.randomElement()! })
    }

    static func mixedCase(_ count: Int) -> String {
        String((0..<count).map { _ in mixed.randomElement()! })
    }
}

/// Google's timestamps: RFC 3339 in UTC with fractional seconds.
enum GoogleTime {
    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
