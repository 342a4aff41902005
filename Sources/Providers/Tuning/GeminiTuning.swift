import Foundation

/// Gemini's tuning API (seed 003): create a tuned model from examples and hyperparameters (a
/// long-running operation), poll the operation, get, list with paging, delete. The tuned model's
/// name (`tunedModels/{id}`) is then a `model_id` the Gemini provider generates with.
public struct GeminiTuning: Sendable {
    let baseURL: String
    let authorization: GoogleAuthorization
    let http: TuningHTTP
    /// Sent with every request (the simulator's switches, tracing).
    public var extraHeaders: [(name: String, value: String)] = []

    public init(baseURL: String = "https://generativelanguage.googleapis.com/v1beta", authorization: GoogleAuthorization,
                engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.baseURL = baseURL.trimmingSuffix("/")
        self.authorization = authorization
        self.http = TuningHTTP(provider: "Gemini", engine: engine, retry: retry, errorFromBody: GeminiFormat.error)
    }

    private func request(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> HTTPRequest {
        var headers = try await authorization.headers()
        if body != nil { headers.append(("content-type", "application/json")) }
        return HTTPRequest(method: method, url: "\(baseURL)/\(path)", headers: headers + extraHeaders, body: body, totalTimeout: .seconds(120))
    }

    /// Starts tuning; the job's `operation` is what `operation(_:)` polls.
    public func create(
        baseModel: String, displayName: String?, hyperparameters: TuningHyperparameters, examples: [TuningExample], tunedModelID: String? = nil
    ) async throws -> TuningJob {
        var hyper: [String: Any] = [:]
        if let epochs = hyperparameters.epochs { hyper["epochCount"] = epochs }
        if let batch = hyperparameters.batchSize { hyper["batchSize"] = batch }
        if let rate = hyperparameters.learningRate { hyper["learningRate"] = rate }
        if let multiplier = hyperparameters.learningRateMultiplier { hyper["learningRateMultiplier"] = multiplier }
        var body: [String: Any] = [
            "baseModel": baseModel.hasPrefix("models/") || baseModel.hasPrefix("tunedModels/") ? baseModel : "models/\(baseModel)",
            "tuningTask": ["hyperparameters": hyper,
                           "trainingData": ["examples": ["examples": examples.map { ["textInput": $0.input, "output": $0.output] }]]],
        ]
        if let displayName { body["displayName"] = displayName }
        let path = "tunedModels" + (tunedModelID.map { "?tunedModelId=\(GoogleTokenSource.formEncoded($0))" } ?? "")
        let operation = try await http.object(try await request("POST", path, body: TuningHTTP.json(body)), retrying: false)
        var job = Self.job(fromOperation: operation)
        job.baseModel = body["baseModel"] as? String ?? baseModel
        job.displayName = displayName
        job.hyperparameters = hyperparameters
        return job
    }

    /// The operation's progress: steps, loss snapshots, and the result or error once done.
    public func operation(_ name: String) async throws -> TuningJob {
        Self.job(fromOperation: try await http.object(try await request("GET", name)))
    }

    /// The tuned model: its state, and the snapshots so far.
    public func get(_ name: String) async throws -> TuningJob {
        Self.job(fromModel: try await http.object(try await request("GET", Self.modelName(name))))
    }

    public func list(pageSize: Int? = nil, pageToken: String? = nil) async throws -> (jobs: [TuningJob], nextPageToken: String?) {
        var query: [String] = []
        if let pageSize { query.append("pageSize=\(pageSize)") }
        if let pageToken { query.append("pageToken=\(GoogleTokenSource.formEncoded(pageToken))") }
        let object = try await http.object(try await request("GET", "tunedModels" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))))
        let models = object["tunedModels"] as? [[String: Any]] ?? []
        return (models.map(Self.job(fromModel:)), object["nextPageToken"] as? String)
    }

    public func delete(_ name: String) async throws {
        _ = try await http.object(try await request("DELETE", Self.modelName(name)))
    }

    static func modelName(_ name: String) -> String {
        name.hasPrefix("tunedModels/") ? name : "tunedModels/\(name)"
    }

    // MARK: Shapes

    static func state(_ word: String?) -> TuningJob.State {
        switch word {
        case "ACTIVE": .succeeded
        case "FAILED": .failed
        default: .running
        }
    }

    static func losses(_ snapshots: Any?) -> [LossPoint] {
        (snapshots as? [[String: Any]] ?? []).compactMap { snapshot in
            guard let step = TuningHTTP.integer(snapshot["step"]), let loss = TuningHTTP.double(snapshot["meanLoss"]) else { return nil }
            return LossPoint(step: step, epoch: TuningHTTP.integer(snapshot["epoch"]), loss: loss)
        }
    }

    static func hyperparameters(_ value: Any?) -> TuningHyperparameters {
        let object = value as? [String: Any] ?? [:]
        return TuningHyperparameters(
            epochs: TuningHTTP.integer(object["epochCount"]), batchSize: TuningHTTP.integer(object["batchSize"]),
            learningRate: TuningHTTP.double(object["learningRate"]), learningRateMultiplier: TuningHTTP.double(object["learningRateMultiplier"]))
    }

    static func job(fromModel model: [String: Any]) -> TuningJob {
        let name = model["name"] as? String ?? ""
        let task = model["tuningTask"] as? [String: Any] ?? [:]
        let word = model["state"] as? String ?? "STATE_UNSPECIFIED"
        let state = state(word)
        let losses = losses(task["snapshots"])
        return TuningJob(
            provider: .gemini, id: name, baseModel: model["baseModel"] as? String ?? "", displayName: model["displayName"] as? String,
            state: state, providerState: word, completedSteps: losses.last?.step, losses: losses,
            resultModel: state == .succeeded ? name : nil, error: state == .failed ? "tuning failed" : nil,
            hyperparameters: hyperparameters(task["hyperparameters"]))
    }

    static func job(fromOperation operation: [String: Any]) -> TuningJob {
        let metadata = operation["metadata"] as? [String: Any] ?? [:]
        let model = metadata["tunedModel"] as? String ?? ""
        let done = operation["done"] as? Bool ?? false
        let error = (operation["error"] as? [String: Any]).map { $0["message"] as? String ?? "tuning failed" }
        let response = operation["response"] as? [String: Any]
        let state: TuningJob.State = !done ? .running : (error != nil ? .failed : .succeeded)
        return TuningJob(
            provider: .gemini, id: model, baseModel: response?["baseModel"] as? String ?? "", displayName: response?["displayName"] as? String,
            state: state, providerState: !done ? "CREATING" : (error != nil ? "FAILED" : "ACTIVE"),
            completedSteps: TuningHTTP.integer(metadata["completedSteps"]) ?? 0, totalSteps: TuningHTTP.integer(metadata["totalSteps"]),
            losses: losses(metadata["snapshots"]), resultModel: state == .succeeded ? model : nil, error: error,
            operation: operation["name"] as? String,
            hyperparameters: hyperparameters((response?["tuningTask"] as? [String: Any])?["hyperparameters"]))
    }
}
