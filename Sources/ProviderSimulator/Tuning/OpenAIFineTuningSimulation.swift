import Foundation
import NIOHTTP1

/// OpenAI's files and fine-tuning API: `POST/GET /v1/files`, `GET/DELETE /v1/files/{id}`,
/// `GET /v1/files/{id}/content`; `POST/GET /v1/fine_tuning/jobs`, `GET …/jobs/{id}`,
/// `POST …/{id}/cancel`, `GET …/{id}/events` and `…/{id}/checkpoints`, with cursor paging
/// (`after`, `limit`). A job validates its file (one JSON object with `messages` per line, an
/// assistant turn in each, at least 10 examples: OpenAI's rules), queues, trains one step per
/// `tuningStepMilliseconds` with a falling loss, checkpoints each epoch and ends with an
/// `ft:` model that the chat route then serves.
struct OpenAIFineTuningSimulation {
    let request: SimulatorRequest
    let state: SimulatorState
    let configuration: ProviderSimulator.Configuration

    static let minimumExamples = 10
    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// `path`: the segments after `/v1/`, starting with `files` or `fine_tuning`.
    func answer(_ path: [String]) -> SimulatedResponse {
        if let refusal = OpenAISimulation(request: request, api: .openAI, configuration: configuration).keyRefusal() { return refusal }
        if let response = request.fault?.response(for: .openAI, retryAfter: request.retryAfter) { return response }
        switch (request.method, path.count, path.first) {
        case (.POST, 1, "files"): return upload()
        case (.GET, 1, "files"): return listFiles()
        case (.GET, 2, "files"): return state.file(path[1]).map { .json(.ok, JSONText.encode(json($0))) } ?? fileNotFound(path[1])
        case (.DELETE, 2, "files"):
            return state.deleteFile(path[1]) ? .json(.ok, JSONText.encode(["id": path[1], "object": "file", "deleted": true])) : fileNotFound(path[1])
        case (.GET, 3, "files") where path[2] == "content":
            return state.file(path[1]).map { .body(.ok, contentType: "application/octet-stream", $0.content) } ?? fileNotFound(path[1])
        case (.DELETE, 2, "models"):
            // Fine-tuned models of this simulator's finished jobs can be deleted.
            let owned = state.jobs().contains { Self.status($0, at: Date()) == "succeeded" && Self.modelName($0) == path[1] }
            guard owned else { return ProviderErrorBody.openAI(.notFound, "The model '\(path[1])' does not exist", code: "model_not_found") }
            return .json(.ok, JSONText.encode(["id": path[1], "object": "model", "deleted": true]))
        case (_, _, "fine_tuning") where path.count >= 2 && path[1] == "jobs":
            return jobs(Array(path.dropFirst(2)))
        default:
            return ProviderErrorBody.openAI(.notFound, "Invalid URL (\(request.method.rawValue) \(request.path))")
        }
    }

    private func jobs(_ path: [String]) -> SimulatedResponse {
        switch (request.method, path.count) {
        case (.POST, 0): return createJob()
        case (.GET, 0): return listJobs()
        case (.GET, 1): return state.job(path[0]).map { .json(.ok, JSONText.encode(json($0))) } ?? jobNotFound(path[0])
        case (.POST, 2) where path[1] == "cancel": return cancel(path[0])
        case (.GET, 2) where path[1] == "events":
            guard let job = state.job(path[0]) else { return jobNotFound(path[0]) }
            return page(events(job), object: nil)
        case (.GET, 2) where path[1] == "checkpoints":
            guard let job = state.job(path[0]) else { return jobNotFound(path[0]) }
            return page(checkpoints(job), object: nil, ids: true)
        default:
            return ProviderErrorBody.openAI(.notFound, "Invalid URL (\(request.method.rawValue) \(request.path))")
        }
    }

    private func fileNotFound(_ id: String) -> SimulatedResponse {
        ProviderErrorBody.openAI(.notFound, "No such File object: \(id)", param: "id")
    }

    private func jobNotFound(_ id: String) -> SimulatedResponse {
        ProviderErrorBody.openAI(.notFound, "Could not find fine tune: \(id)", param: "fine_tune_id", code: "fine_tune_not_found")
    }

    // MARK: Files

    private func upload() -> SimulatedResponse {
        guard let form = MultipartForm(contentType: request.headers.first(name: "content-type"), body: request.body) else {
            return ProviderErrorBody.openAI(.badRequest, "Invalid request: expected multipart/form-data with 'file' and 'purpose'.")
        }
        guard let purpose = form.field("purpose") else {
            return ProviderErrorBody.openAI(.badRequest, "Missing required parameter: 'purpose'.", param: "purpose", code: "missing_required_parameter")
        }
        let purposes: Set<String> = ["fine-tune", "assistants", "batch", "vision", "user_data", "evals"]
        guard purposes.contains(purpose) else {
            return ProviderErrorBody.openAI(.badRequest, "'\(purpose)' is not one of \(purposes.sorted()) - 'purpose'", param: "purpose")
        }
        guard let file = form.file("file") else {
            return ProviderErrorBody.openAI(.badRequest, "Missing required parameter: 'file'.", param: "file", code: "missing_required_parameter")
        }
        if purpose == "fine-tune", !(file.filename ?? "").hasSuffix(".jsonl") {
            return ProviderErrorBody.openAI(.badRequest, "Invalid file format for Fine-Tuning API. Must be .jsonl", param: "file")
        }
        let uploaded = SimulatorState.UploadedFile(id: "file-" + SimulatedID.mixedCase(22), filename: file.filename ?? "file", purpose: purpose, created: Date(), content: file.body)
        state.addFile(uploaded)
        return .json(.ok, JSONText.encode(json(uploaded)))
    }

    private func listFiles() -> SimulatedResponse {
        let files = state.files().filter { request.query["purpose"] == nil || $0.purpose == request.query["purpose"] }
        return .json(.ok, JSONText.encode(["object": "list", "data": files.map(json), "has_more": false]))
    }

    private func json(_ file: SimulatorState.UploadedFile) -> [String: Any] {
        ["id": file.id, "object": "file", "bytes": file.content.count, "created_at": Int(file.created.timeIntervalSince1970),
         "expires_at": NSNull(), "filename": file.filename, "purpose": file.purpose, "status": "processed", "status_details": NSNull()]
    }

    // MARK: Jobs

    private func createJob() -> SimulatedResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any] else {
            return ProviderErrorBody.openAI(.badRequest, "We could not parse the JSON body of your request.")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            return ProviderErrorBody.openAI(.badRequest, "Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter")
        }
        guard model != "missing" else {
            return ProviderErrorBody.openAI(.badRequest, "Model \(model) is not available for fine-tuning or does not exist.", param: "model", code: "model_not_available")
        }
        guard let fileID = body["training_file"] as? String else {
            return ProviderErrorBody.openAI(.badRequest, "Missing required parameter: 'training_file'.", param: "training_file", code: "missing_required_parameter")
        }
        guard let file = state.file(fileID), file.purpose == "fine-tune" else {
            return ProviderErrorBody.openAI(.badRequest, "invalid training_file: \(fileID)", param: "training_file", code: "invalid_training_file")
        }
        let suffix = body["suffix"] as? String
        if let suffix, suffix.count > 64 {
            return ProviderErrorBody.openAI(.badRequest, "suffix must be at most 64 characters", param: "suffix")
        }
        let method = body["method"] as? [String: Any]
        let hyper = ((method?[method?["type"] as? String ?? "supervised"] as? [String: Any])?["hyperparameters"] as? [String: Any])
            ?? body["hyperparameters"] as? [String: Any] ?? [:]
        let dataset = Self.validate(file.content)
        let examples = dataset.examples
        let epochs: Int, batchSize: Int, multiplier: Double
        do {
            epochs = try Self.setting(hyper["n_epochs"], name: "n_epochs", auto: 3, range: 1...50)
            batchSize = try Self.setting(hyper["batch_size"], name: "batch_size", auto: max(1, min(8, examples / 10)), range: 1...256)
            multiplier = try Self.rate(hyper["learning_rate_multiplier"])
        } catch let refusal as Refusal {
            return refusal.response
        } catch {
            return ProviderErrorBody.openAI(.badRequest, "\(error)")
        }
        let step = Int64(request.headers.first(name: "x-simulator-tuning-step-ms") ?? "") ?? configuration.tuningStepMilliseconds
        let timeline = TrainingTimeline(created: Date(), stepMilliseconds: step, examples: max(1, examples), batchSize: batchSize, epochs: epochs, leadSteps: 2)
        let job = SimulatorState.FineTuningJob(
            id: "ftjob-" + SimulatedID.mixedCase(24), model: model, trainingFile: fileID, validationFile: body["validation_file"] as? String,
            suffix: suffix, seed: body["seed"] as? Int ?? 42, batchSize: batchSize, learningRateMultiplier: multiplier, epochs: epochs,
            examples: examples, trainedTokensPerEpoch: dataset.tokens, invalidFile: dataset.problem, timeline: timeline,
            metadata: body["metadata"] as? [String: String], resultFileID: "file-" + SimulatedID.mixedCase(22))
        state.addJob(job)
        return .json(.ok, JSONText.encode(json(job)))
    }

    private static func setting(_ value: Any?, name: String, auto: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value, value as? String != "auto" else { return auto }
        guard let number = value as? Int, range.contains(number) else {
            throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid value for \(name): must be 'auto' or an integer in \(range.lowerBound)...\(range.upperBound)", param: "hyperparameters.\(name)"))
        }
        return number
    }

    private static func rate(_ value: Any?) throws -> Double {
        guard let value, value as? String != "auto" else { return 1.8 }
        guard let number = (value as? NSNumber)?.doubleValue, number > 0 else {
            throw Refusal(response: ProviderErrorBody.openAI(.badRequest, "Invalid value for learning_rate_multiplier: must be 'auto' or a positive number", param: "hyperparameters.learning_rate_multiplier"))
        }
        return number
    }

    /// OpenAI's checks of a chat fine-tuning file: the examples, their tokens (about four
    /// characters each), and the first problem found, naming its line.
    static func validate(_ content: Data) -> (examples: Int, tokens: Int, problem: String?) {
        var examples = 0
        var characters = 0
        var lineNumber = 0
        for line in content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                return (examples, characters / 4, "Invalid file format. Line \(lineNumber) is not valid JSON.")
            }
            guard let messages = object["messages"] as? [[String: Any]], !messages.isEmpty else {
                return (examples, characters / 4, "Invalid file format. Line \(lineNumber), key \"messages\": a non-empty list of messages is required.")
            }
            for (index, message) in messages.enumerated() {
                guard let role = message["role"] as? String, roles.contains(role) else {
                    return (examples, characters / 4, "Invalid file format. Line \(lineNumber), message \(index + 1): unrecognized role.")
                }
                characters += (message["content"] as? String)?.count ?? 0
            }
            guard messages.contains(where: { $0["role"] as? String == "assistant" }) else {
                return (examples, characters / 4, "Invalid file format. Line \(lineNumber): examples must have at least one assistant message.")
            }
            examples += 1
        }
        if examples < minimumExamples {
            return (examples, characters / 4, "Training file has \(examples) example(s), but must have at least \(minimumExamples) examples.")
        }
        return (examples, max(1, characters / 4), nil)
    }

    private func listJobs() -> SimulatedResponse {
        page(state.jobs().map { (id: $0.id, json: json($0)) }, object: nil)
    }

    private func cancel(_ id: String) -> SimulatedResponse {
        guard let job = state.job(id) else { return jobNotFound(id) }
        let status = Self.status(job, at: Date())
        guard !["succeeded", "failed", "cancelled"].contains(status) else {
            return ProviderErrorBody.openAI(.badRequest, "Job has already completed: \(id)", param: "fine_tune_id", code: "invalid_job_state")
        }
        let cancelled = state.updateJob(id) { $0.timeline.stoppedAt = Date() }
        return .json(.ok, JSONText.encode(json(cancelled ?? job)))
    }

    // MARK: Shapes

    static func status(_ job: SimulatorState.FineTuningJob, at now: Date) -> String {
        if job.timeline.stoppedAt != nil { return "cancelled" }
        let elapsed = now.timeIntervalSince(job.timeline.created) / job.timeline.stepSeconds
        if elapsed < 1 { return "validating_files" }
        if job.invalidFile != nil { return "failed" }
        if elapsed < 2 { return "queued" }
        return job.timeline.succeeded(at: now) ? "succeeded" : "running"
    }

    static func modelName(_ job: SimulatorState.FineTuningJob) -> String {
        "ft:\(job.model):sim-org:\(job.suffix ?? ""):\(job.id.dropFirst("ftjob-".count).prefix(8))"
    }

    private func json(_ job: SimulatorState.FineTuningJob) -> [String: Any] {
        let now = Date()
        let status = Self.status(job, at: now)
        let hyper: [String: Any] = ["n_epochs": job.epochs, "batch_size": job.batchSize, "learning_rate_multiplier": job.learningRateMultiplier]
        var body: [String: Any] = [
            "object": "fine_tuning.job", "id": job.id, "model": job.model, "created_at": Int(job.timeline.created.timeIntervalSince1970),
            "finished_at": NSNull(), "fine_tuned_model": NSNull(), "organization_id": "org-sim", "result_files": [String](),
            "status": status, "validation_file": job.validationFile.map { $0 as Any } ?? NSNull(), "training_file": job.trainingFile,
            "hyperparameters": hyper, "trained_tokens": NSNull(), "error": NSNull(), "seed": job.seed,
            "estimated_finish": NSNull(), "integrations": [Any](), "user_provided_suffix": job.suffix.map { $0 as Any } ?? NSNull(),
            "method": ["type": "supervised", "supervised": ["hyperparameters": hyper]],
            "metadata": job.metadata.map { $0 as Any } ?? NSNull(),
        ]
        switch status {
        case "succeeded":
            body["finished_at"] = Int(job.timeline.finishTime.timeIntervalSince1970)
            body["fine_tuned_model"] = Self.modelName(job)
            body["result_files"] = [job.resultFileID]
            body["trained_tokens"] = job.trainedTokensPerEpoch * job.epochs
        case "failed":
            body["finished_at"] = Int(job.timeline.created.timeIntervalSince1970 + job.timeline.stepSeconds)
            body["error"] = ["code": "invalid_training_file", "message": "The job failed due to an invalid training file. \(job.invalidFile ?? "")", "param": "training_file"]
        case "cancelled":
            body["finished_at"] = Int((job.timeline.stoppedAt ?? now).timeIntervalSince1970)
        case "running":
            body["estimated_finish"] = Int(job.timeline.finishTime.timeIntervalSince1970)
        default:
            break
        }
        return body
    }

    /// The job's events up to now, newest first, with ids stable across polls.
    private func events(_ job: SimulatorState.FineTuningJob) -> [(id: String, json: [String: Any])] {
        let now = Date()
        let timeline = job.timeline
        var list: [(Date, String, String, String, [String: Any])] = []  // time, level, type, message, data
        list.append((timeline.created, "info", "message", "Created fine-tuning job: \(job.id)", [:]))
        list.append((timeline.created, "info", "message", "Validating training file: \(job.trainingFile)", [:]))
        let status = Self.status(job, at: now)
        let validated = timeline.created.addingTimeInterval(timeline.stepSeconds)
        if let problem = job.invalidFile, status == "failed" {
            list.append((validated, "error", "message", "Training file \(job.trainingFile) failed validation: \(problem)", [:]))
            list.append((validated, "error", "message", "The job failed due to an invalid training file.", [:]))
        } else if job.invalidFile == nil, now >= validated, (timeline.stoppedAt ?? now) >= validated {
            list.append((validated, "info", "message", "Files validated, moving job to queued state", [:]))
            if !timeline.preparing(at: now) {
                list.append((timeline.startTime, "info", "message", "Fine-tuning job started", [:]))
            }
            let completed = timeline.completedSteps(at: now)
            let epochEnds = Set(timeline.epochEnds(upTo: completed))
            if completed > 0 {
                for step in 1...completed {
                    let loss = TrainingTimeline.meanLoss(step: step, totalSteps: timeline.totalSteps)
                    list.append((timeline.time(ofStep: step), "info", "metrics", "Step \(step)/\(timeline.totalSteps): training loss=\(String(format: "%.4f", loss))",
                                 ["step": step, "train_loss": loss, "total_steps": timeline.totalSteps,
                                  "train_mean_token_accuracy": Self.accuracy(step: step, total: timeline.totalSteps)]))
                    if epochEnds.contains(step) {
                        list.append((timeline.time(ofStep: step), "info", "message", "Checkpoint created at step \(step)", [:]))
                    }
                }
            }
            if status == "succeeded" {
                list.append((timeline.finishTime, "info", "message", "New fine-tuned model created", [:]))
                list.append((timeline.finishTime, "info", "message", "The job has successfully completed", [:]))
            }
        }
        if let stopped = timeline.stoppedAt {
            list.append((stopped, "info", "message", "Fine-tuning job cancelled", [:]))
        }
        let stem = job.id.dropFirst("ftjob-".count).prefix(12)
        return list.enumerated().map { index, event in
            let id = "ftevent-\(stem)\(String(format: "%05d", index))"
            return (id, ["object": "fine_tuning.job.event", "id": id, "created_at": Int(event.0.timeIntervalSince1970),
                         "level": event.1, "type": event.2, "message": event.3, "data": event.4])
        }.reversed()
    }

    private static func accuracy(step: Int, total: Int) -> Double {
        ((0.55 + 0.4 * (1 - exp(-3 * Double(step) / Double(max(1, total))))) * 10_000).rounded() / 10_000
    }

    /// One checkpoint per finished epoch, the last three kept, newest first.
    private func checkpoints(_ job: SimulatorState.FineTuningJob) -> [(id: String, json: [String: Any])] {
        let completed = job.timeline.completedSteps(at: Date())
        let stem = job.id.dropFirst("ftjob-".count).prefix(12)
        return job.timeline.epochEnds(upTo: completed).suffix(3).reversed().map { step in
            let id = "ftckpt_\(stem)\(String(format: "%05d", step))"
            let loss = TrainingTimeline.meanLoss(step: step, totalSteps: job.timeline.totalSteps)
            return (id, ["object": "fine_tuning.job.checkpoint", "id": id, "created_at": Int(job.timeline.time(ofStep: step).timeIntervalSince1970),
                         "fine_tuned_model_checkpoint": Self.modelName(job) + ":ckpt-step-\(step)", "step_number": step,
                         "fine_tuning_job_id": job.id,
                         "metrics": ["step": step, "train_loss": loss, "train_mean_token_accuracy": Self.accuracy(step: step, total: job.timeline.totalSteps),
                                     "full_valid_loss": loss * 1.05, "full_valid_mean_token_accuracy": Self.accuracy(step: step, total: job.timeline.totalSteps) * 0.97]])
        }
    }

    /// OpenAI's cursor pages: items after the `after` id, at most `limit` (default 20).
    private func page(_ items: [(id: String, json: [String: Any])], object: String?, ids: Bool = false) -> SimulatedResponse {
        var start = 0
        if let after = request.query["after"] {
            guard let index = items.firstIndex(where: { $0.id == after }) else {
                return ProviderErrorBody.openAI(.badRequest, "Invalid 'after': no item \(after)", param: "after")
            }
            start = index + 1
        }
        let limit = min(100, max(1, Int(request.query["limit"] ?? "") ?? 20))
        let page = items[start..<min(items.count, start + limit)]
        var body: [String: Any] = ["object": "list", "data": page.map(\.json), "has_more": start + limit < items.count]
        if ids {
            body["first_id"] = page.first.map { $0.id as Any } ?? NSNull()
            body["last_id"] = page.last.map { $0.id as Any } ?? NSNull()
        }
        return .json(.ok, JSONText.encode(body))
    }
}
