import Foundation

/// A tuning run as InferWire shows it, whichever provider runs it: Gemini's tuned model (and its
/// operation) or OpenAI's fine-tuning job, in one shape the CLI records, watches and serves.
public struct TuningJob: Sendable, Equatable, Codable {
    public enum Provider: String, Sendable, Codable, CaseIterable { case gemini, openai }

    public enum State: String, Sendable, Codable {
        case validating, queued, running, succeeded, failed, cancelled

        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    public var provider: Provider
    /// `tunedModels/{id}` (Gemini) or `ftjob-…` (OpenAI).
    public var id: String
    public var baseModel: String
    public var displayName: String?
    public var state: State
    /// The provider's own word for the state (`CREATING`, `validating_files`, …).
    public var providerState: String
    public var completedSteps: Int?
    public var totalSteps: Int?
    /// Training loss per step, oldest first (Gemini's snapshots, OpenAI's metrics events).
    public var losses: [LossPoint]
    /// What to serve once it succeeded: `tunedModels/{id}` or `ft:…`.
    public var resultModel: String?
    public var error: String?
    /// Gemini's operation name, polled for progress.
    public var operation: String?
    public var hyperparameters: TuningHyperparameters

    public init(
        provider: Provider, id: String, baseModel: String, displayName: String? = nil, state: State, providerState: String,
        completedSteps: Int? = nil, totalSteps: Int? = nil, losses: [LossPoint] = [], resultModel: String? = nil,
        error: String? = nil, operation: String? = nil, hyperparameters: TuningHyperparameters = TuningHyperparameters()
    ) {
        self.provider = provider
        self.id = id
        self.baseModel = baseModel
        self.displayName = displayName
        self.state = state
        self.providerState = providerState
        self.completedSteps = completedSteps
        self.totalSteps = totalSteps
        self.losses = losses
        self.resultModel = resultModel
        self.error = error
        self.operation = operation
        self.hyperparameters = hyperparameters
    }

    /// Completed share in 0...1, when the provider reports steps.
    public var progress: Double? {
        guard let completedSteps, let totalSteps, totalSteps > 0 else { return state == .succeeded ? 1 : nil }
        return min(1, Double(completedSteps) / Double(totalSteps))
    }
}

public struct LossPoint: Sendable, Equatable, Codable {
    public var step: Int
    public var epoch: Int?
    public var loss: Double

    public init(step: Int, epoch: Int?, loss: Double) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
    }
}

/// The knobs both providers share; nil leaves the provider's default ("auto" for OpenAI).
public struct TuningHyperparameters: Sendable, Equatable, Codable {
    public var epochs: Int?
    public var batchSize: Int?
    /// Gemini's learning rate.
    public var learningRate: Double?
    /// OpenAI's multiplier (and Gemini's alternative to a rate).
    public var learningRateMultiplier: Double?

    public init(epochs: Int? = nil, batchSize: Int? = nil, learningRate: Double? = nil, learningRateMultiplier: Double? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateMultiplier = learningRateMultiplier
    }
}

/// One training example: a prompt and the answer wanted.
public struct TuningExample: Sendable, Equatable {
    public var input: String
    public var output: String
    /// An instruction before the prompt (OpenAI's system message; Gemini has no such field).
    public var system: String?

    public init(input: String, output: String, system: String? = nil) {
        self.input = input
        self.output = output
        self.system = system
    }
}

/// A page of events (OpenAI's job events) for a watcher: newest last.
public struct TuningEvent: Sendable, Equatable, Codable {
    public var id: String
    public var createdAt: Int
    public var level: String
    public var message: String
    public var step: Int?
    public var totalSteps: Int?
    public var loss: Double?
}

public struct TuningCheckpoint: Sendable, Equatable, Codable {
    public var id: String
    public var model: String
    public var step: Int
    public var loss: Double?
}
