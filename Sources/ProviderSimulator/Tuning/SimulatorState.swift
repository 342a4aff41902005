import Foundation
import NIOConcurrencyHelpers

/// What the simulator remembers between requests: Gemini's tuned models, OpenAI's uploaded files
/// and fine-tuning jobs, and the OAuth access tokens it issued. One lock; every value is small.
final class SimulatorState: Sendable {
    struct TunedModel: Sendable {
        var id: String
        var operationID: String
        var displayName: String?
        var description: String?
        var baseModel: String
        var batchSize: Int
        var learningRate: Double?
        var learningRateMultiplier: Double?
        var epochCount: Int
        var timeline: TrainingTimeline
        var updated: Date

        var name: String { "tunedModels/\(id)" }
        var operationName: String { "\(name)/operations/\(operationID)" }
    }

    struct UploadedFile: Sendable {
        var id: String
        var filename: String
        var purpose: String
        var created: Date
        var content: Data
    }

    struct FineTuningJob: Sendable {
        var id: String
        var model: String
        var trainingFile: String
        var validationFile: String?
        var suffix: String?
        var seed: Int
        var batchSize: Int
        var learningRateMultiplier: Double
        var epochs: Int
        var examples: Int
        var trainedTokensPerEpoch: Int
        /// Why validation refuses the training file (line and reason), when it does.
        var invalidFile: String?
        var timeline: TrainingTimeline
        var metadata: [String: String]?
        var resultFileID: String
    }

    /// Values by id in creation order.
    struct Table<Value: Sendable>: Sendable {
        private var values: [String: Value] = [:]
        private var order: [String] = []

        /// False when the id is taken.
        mutating func insert(_ value: Value, id: String) -> Bool {
            guard values[id] == nil else { return false }
            values[id] = value
            order.append(id)
            return true
        }

        subscript(id: String) -> Value? { values[id] }

        /// Oldest first.
        var all: [Value] { order.compactMap { values[$0] } }

        mutating func update(_ id: String, _ change: (inout Value) -> Void) -> Value? {
            guard var value = values[id] else { return nil }
            change(&value)
            values[id] = value
            return value
        }

        mutating func remove(_ id: String) -> Bool {
            guard values.removeValue(forKey: id) != nil else { return false }
            order.removeAll { $0 == id }
            return true
        }
    }

    private struct Contents {
        var tunedModels = Table<TunedModel>()
        var files = Table<UploadedFile>()
        var jobs = Table<FineTuningJob>()
        /// Access token → expiry.
        var tokens: [String: Date] = [:]
        var tokensIssued = 0
        var serviceAccount: SimulatedServiceAccount?
    }

    private let contents = NIOLockedValueBox(Contents())

    // MARK: Gemini tuned models

    func addTunedModel(_ model: TunedModel) -> Bool { contents.withLockedValue { $0.tunedModels.insert(model, id: model.id) } }
    func tunedModel(_ id: String) -> TunedModel? { contents.withLockedValue { $0.tunedModels[id] } }
    func tunedModels() -> [TunedModel] { contents.withLockedValue { $0.tunedModels.all } }
    func updateTunedModel(_ id: String, _ change: (inout TunedModel) -> Void) -> TunedModel? {
        contents.withLockedValue { $0.tunedModels.update(id, change) }
    }
    func deleteTunedModel(_ id: String) -> Bool { contents.withLockedValue { $0.tunedModels.remove(id) } }

    // MARK: OpenAI files and jobs

    func addFile(_ file: UploadedFile) { _ = contents.withLockedValue { $0.files.insert(file, id: file.id) } }
    func file(_ id: String) -> UploadedFile? { contents.withLockedValue { $0.files[id] } }
    func files() -> [UploadedFile] { contents.withLockedValue { $0.files.all } }
    func deleteFile(_ id: String) -> Bool { contents.withLockedValue { $0.files.remove(id) } }

    func addJob(_ job: FineTuningJob) { _ = contents.withLockedValue { $0.jobs.insert(job, id: job.id) } }
    func job(_ id: String) -> FineTuningJob? { contents.withLockedValue { $0.jobs[id] } }
    /// Newest first, as OpenAI lists them.
    func jobs() -> [FineTuningJob] { contents.withLockedValue { $0.jobs.all.reversed() } }
    func updateJob(_ id: String, _ change: (inout FineTuningJob) -> Void) -> FineTuningJob? {
        contents.withLockedValue { $0.jobs.update(id, change) }
    }

    // MARK: OAuth

    func issueToken(lifetime: TimeInterval) -> String {
        let token = "ya29.sim-" + SimulatedID.mixedCase(40)
        contents.withLockedValue { contents in
            let now = Date()
            contents.tokens = contents.tokens.filter { $0.value > now }
            contents.tokens[token] = now.addingTimeInterval(lifetime)
            contents.tokensIssued += 1
        }
        return token
    }

    enum TokenCheck { case valid, expired, unknown }

    func check(token: String) -> TokenCheck {
        contents.withLockedValue { contents in
            guard let expiry = contents.tokens[token] else { return .unknown }
            return expiry > Date() ? .valid : .expired
        }
    }

    var tokensIssued: Int { contents.withLockedValue { $0.tokensIssued } }

    /// The simulator's own service account, made on first use (an RSA key takes a moment).
    func serviceAccount() throws -> SimulatedServiceAccount {
        try contents.withLockedValue { contents in
            if let account = contents.serviceAccount { return account }
            let account = try SimulatedServiceAccount.make()
            contents.serviceAccount = account
            return account
        }
    }

    /// The public key of the simulator's own account, when it has been made.
    func ownAccount() -> SimulatedServiceAccount? { contents.withLockedValue { $0.serviceAccount } }
}
