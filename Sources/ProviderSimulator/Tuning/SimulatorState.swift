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

    private struct Contents {
        var tunedModels: [String: TunedModel] = [:]
        var tunedModelOrder: [String] = []
        var files: [String: UploadedFile] = [:]
        var fileOrder: [String] = []
        var jobs: [String: FineTuningJob] = [:]
        var jobOrder: [String] = []
        /// Access token → expiry.
        var tokens: [String: Date] = [:]
        var tokensIssued = 0
        var serviceAccount: SimulatedServiceAccount?
    }

    private let contents = NIOLockedValueBox(Contents())

    // MARK: Gemini tuned models

    func addTunedModel(_ model: TunedModel) -> Bool {
        contents.withLockedValue { contents in
            guard contents.tunedModels[model.id] == nil else { return false }
            contents.tunedModels[model.id] = model
            contents.tunedModelOrder.append(model.id)
            return true
        }
    }

    func tunedModel(_ id: String) -> TunedModel? { contents.withLockedValue { $0.tunedModels[id] } }

    func tunedModels() -> [TunedModel] {
        contents.withLockedValue { contents in contents.tunedModelOrder.compactMap { contents.tunedModels[$0] } }
    }

    func updateTunedModel(_ id: String, _ change: (inout TunedModel) -> Void) -> TunedModel? {
        contents.withLockedValue { contents in
            guard var model = contents.tunedModels[id] else { return nil }
            change(&model)
            contents.tunedModels[id] = model
            return model
        }
    }

    func deleteTunedModel(_ id: String) -> Bool {
        contents.withLockedValue { contents in
            guard contents.tunedModels.removeValue(forKey: id) != nil else { return false }
            contents.tunedModelOrder.removeAll { $0 == id }
            return true
        }
    }

    // MARK: OpenAI files and jobs

    func addFile(_ file: UploadedFile) {
        contents.withLockedValue { contents in
            contents.files[file.id] = file
            contents.fileOrder.append(file.id)
        }
    }

    func file(_ id: String) -> UploadedFile? { contents.withLockedValue { $0.files[id] } }

    func files() -> [UploadedFile] {
        contents.withLockedValue { contents in contents.fileOrder.compactMap { contents.files[$0] } }
    }

    func deleteFile(_ id: String) -> Bool {
        contents.withLockedValue { contents in
            guard contents.files.removeValue(forKey: id) != nil else { return false }
            contents.fileOrder.removeAll { $0 == id }
            return true
        }
    }

    func addJob(_ job: FineTuningJob) {
        contents.withLockedValue { contents in
            contents.jobs[job.id] = job
            contents.jobOrder.append(job.id)
        }
    }

    func job(_ id: String) -> FineTuningJob? { contents.withLockedValue { $0.jobs[id] } }

    /// Newest first, as OpenAI lists them.
    func jobs() -> [FineTuningJob] {
        contents.withLockedValue { contents in contents.jobOrder.reversed().compactMap { contents.jobs[$0] } }
    }

    func updateJob(_ id: String, _ change: (inout FineTuningJob) -> Void) -> FineTuningJob? {
        contents.withLockedValue { contents in
            guard var job = contents.jobs[id] else { return nil }
            change(&job)
            contents.jobs[id] = job
            return job
        }
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
