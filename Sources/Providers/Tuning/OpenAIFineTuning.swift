import Foundation

/// OpenAI's fine-tuning API: upload a JSONL training file (`purpose=fine-tune`), create a job,
/// retrieve, list, cancel, list its events and checkpoints. The finished job's `ft:` model is a
/// `model_id` the OpenAI provider chats with.
public struct OpenAIFineTuning: Sendable {
    let baseURL: String
    let apiKey: Secret?
    let http: TuningHTTP
    /// Sent with every request (the simulator's switches, tracing).
    public var extraHeaders: [(name: String, value: String)] = []

    public init(baseURL: String = "https://api.openai.com/v1", apiKey: Secret?, engine: CurlEngine, retry: RetryPolicy = RetryPolicy()) {
        self.baseURL = baseURL.trimmingSuffix("/")
        self.apiKey = apiKey
        self.http = TuningHTTP(provider: "OpenAI", engine: engine, retry: retry, errorFromBody: OpenAIChatFormat.error)
    }

    private func request(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") -> HTTPRequest {
        var headers: [(name: String, value: String)] = []
        if let apiKey { headers.append(("authorization", "Bearer \(apiKey.reveal())")) }
        if body != nil { headers.append(("content-type", contentType)) }
        return HTTPRequest(method: method, url: "\(baseURL)/\(path)", headers: headers + extraHeaders, body: body, totalTimeout: .seconds(300))
    }

    /// Uploads a training file; returns its id (`file-…`).
    public func upload(_ content: [UInt8], filename: String) async throws -> String {
        let boundary = "inferwire-" + UUID().uuidString
        var body: [UInt8] = []
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename.replacingOccurrences(of: "\"", with: ""))\"\r\n".utf8)
        body += Array("Content-Type: application/jsonl\r\n\r\n".utf8)
        body += content
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let object = try await http.object(request("POST", "files", body: body, contentType: "multipart/form-data; boundary=\(boundary)"), retrying: false)
        guard let id = object["id"] as? String else { throw ProviderError(.internal, "OpenAI answered an upload without a file id") }
        return id
    }

    public func create(
        baseModel: String, trainingFile: String, hyperparameters: TuningHyperparameters, suffix: String? = nil, seed: Int? = nil
    ) async throws -> TuningJob {
        var hyper: [String: Any] = [:]
        if let epochs = hyperparameters.epochs { hyper["n_epochs"] = epochs }
        if let batch = hyperparameters.batchSize { hyper["batch_size"] = batch }
        if let multiplier = hyperparameters.learningRateMultiplier { hyper["learning_rate_multiplier"] = multiplier }
        var body: [String: Any] = [
            "model": baseModel, "training_file": trainingFile,
            "method": ["type": "supervised", "supervised": ["hyperparameters": hyper]],
        ]
        if let suffix { body["suffix"] = suffix }
        if let seed { body["seed"] = seed }
        return Self.job(try await http.object(request("POST", "fine_tuning/jobs", body: TuningHTTP.json(body)), retrying: false))
    }

    public func get(_ id: String) async throws -> TuningJob {
        Self.job(try await http.object(request("GET", "fine_tuning/jobs/\(id)")))
    }

    /// Newest first; `after` is the last id of the previous page.
    public func list(after: String? = nil, limit: Int? = nil) async throws -> (jobs: [TuningJob], hasMore: Bool) {
        let object = try await http.object(request("GET", "fine_tuning/jobs" + Self.query(after: after, limit: limit)))
        return ((object["data"] as? [[String: Any]] ?? []).map(Self.job), object["has_more"] as? Bool ?? false)
    }

    public func cancel(_ id: String) async throws -> TuningJob {
        Self.job(try await http.object(request("POST", "fine_tuning/jobs/\(id)/cancel"), retrying: false))
    }

    /// Events oldest first (OpenAI pages them newest first; this walks every page).
    public func events(_ id: String) async throws -> [TuningEvent] {
        var events: [TuningEvent] = []
        var after: String?
        repeat {
            let object = try await http.object(request("GET", "fine_tuning/jobs/\(id)/events" + Self.query(after: after, limit: 100)))
            let page = (object["data"] as? [[String: Any]] ?? []).map { event -> TuningEvent in
                let data = event["data"] as? [String: Any] ?? [:]
                return TuningEvent(id: event["id"] as? String ?? "", createdAt: TuningHTTP.integer(event["created_at"]) ?? 0,
                                   level: event["level"] as? String ?? "info", message: event["message"] as? String ?? "",
                                   step: TuningHTTP.integer(data["step"]), totalSteps: TuningHTTP.integer(data["total_steps"]),
                                   loss: TuningHTTP.double(data["train_loss"]))
            }
            events += page
            after = (object["has_more"] as? Bool ?? false) ? page.last?.id : nil
        } while after != nil
        return events.reversed()
    }

    /// The job with its progress filled in from the metrics events (steps, loss per step).
    public func progress(_ id: String) async throws -> TuningJob {
        var job = try await get(id)
        let metrics = try await events(id).filter { $0.step != nil && $0.loss != nil }
        job.losses = metrics.map { LossPoint(step: $0.step!, epoch: nil, loss: $0.loss!) }
        job.completedSteps = metrics.last?.step ?? (job.state == .succeeded ? job.completedSteps : 0)
        job.totalSteps = metrics.last?.totalSteps
        return job
    }

    /// Deletes a fine-tuned model (`ft:…`); the job stays listed.
    public func deleteModel(_ model: String) async throws {
        _ = try await http.object(request("DELETE", "models/\(GoogleTokenSource.formEncoded(model))"))
    }

    public func checkpoints(_ id: String) async throws -> [TuningCheckpoint] {
        let object = try await http.object(request("GET", "fine_tuning/jobs/\(id)/checkpoints"))
        return (object["data"] as? [[String: Any]] ?? []).map { checkpoint in
            let metrics = checkpoint["metrics"] as? [String: Any] ?? [:]
            return TuningCheckpoint(id: checkpoint["id"] as? String ?? "", model: checkpoint["fine_tuned_model_checkpoint"] as? String ?? "",
                                    step: TuningHTTP.integer(checkpoint["step_number"]) ?? 0, loss: TuningHTTP.double(metrics["train_loss"]))
        }
    }

    private static func query(after: String?, limit: Int?) -> String {
        var items: [String] = []
        if let after { items.append("after=\(GoogleTokenSource.formEncoded(after))") }
        if let limit { items.append("limit=\(limit)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    // MARK: Shapes

    static func state(_ word: String) -> TuningJob.State {
        switch word {
        case "validating_files": .validating
        case "queued": .queued
        case "succeeded": .succeeded
        case "failed": .failed
        case "cancelled": .cancelled
        default: .running
        }
    }

    static func job(_ object: [String: Any]) -> TuningJob {
        let word = object["status"] as? String ?? "queued"
        let hyper = (((object["method"] as? [String: Any])?["supervised"] as? [String: Any])?["hyperparameters"] as? [String: Any])
            ?? object["hyperparameters"] as? [String: Any] ?? [:]
        let error = (object["error"] as? [String: Any]).flatMap { $0["message"] as? String }
        return TuningJob(
            provider: .openai, id: object["id"] as? String ?? "", baseModel: object["model"] as? String ?? "",
            displayName: object["user_provided_suffix"] as? String, state: state(word), providerState: word,
            resultModel: object["fine_tuned_model"] as? String, error: error,
            hyperparameters: TuningHyperparameters(
                epochs: TuningHTTP.integer(hyper["n_epochs"]), batchSize: TuningHTTP.integer(hyper["batch_size"]),
                learningRateMultiplier: TuningHTTP.double(hyper["learning_rate_multiplier"])))
    }
}
