import Foundation
import NIOHTTP1

/// Gemini's tuning API as seed 003 uses it (`/v1beta/tunedModels…`, also under `/v1`): create a
/// tuned model (a long-running operation), list with paging, get, patch, delete, and poll the
/// operation, whose metadata reports steps, percent and a snapshot (step, epoch, mean loss) per
/// step. Bodies may use either casing and, like Google's parser, trailing commas (the seed's curl
/// sample has them). Tuning takes `tuningStepMilliseconds` per step (header
/// `x-simulator-tuning-step-ms` at creation overrides it). An example whose output is
/// `sim-fail-tuning` makes the run fail halfway, as a bad dataset would.
struct GeminiTuningSimulation {
    let request: SimulatorRequest
    let state: SimulatorState
    let configuration: ProviderSimulator.Configuration

    static let metadataType = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
    static let modelType = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"

    /// `path` is what follows `/v1beta/` or `/v1/`, split at `/`, starting with `tunedModels`.
    func answer(_ path: [String]) -> SimulatedResponse {
        if let refusal = GoogleCallerCheck(request: request, state: state, configuration: configuration).refusal(apiKeyAllowed: true) { return refusal }
        if let response = request.fault?.response(for: .gemini, retryAfter: request.retryAfter) { return response }
        switch (request.method, path.count) {
        case (.POST, 1): return create()
        case (.GET, 1): return list()
        case (.GET, 2): return model(path[1]).map { .json(.ok, JSONText.encode(json($0), pretty: true)) } ?? notFound(path[1])
        case (.PATCH, 2): return patch(path[1])
        case (.DELETE, 2):
            return state.deleteTunedModel(path[1]) ? .json(.ok, "{}\n") : notFound(path[1])
        case (.GET, 3) where path[2] == "operations":
            guard let model = model(path[1]) else { return notFound(path[1]) }
            return .json(.ok, JSONText.encode(["operations": [operation(model)]], pretty: true))
        case (.GET, 4) where path[2] == "operations":
            guard let model = model(path[1]), model.operationID == path[3] else {
                return ProviderErrorBody.gemini(.notFound, "Operation tunedModels/\(path[1])/operations/\(path[3]) not found.")
            }
            return .json(.ok, JSONText.encode(operation(model), pretty: true))
        default:
            return ProviderErrorBody.gemini(.notFound, "Requested entity was not found: \(request.path)")
        }
    }

    private func model(_ id: String) -> SimulatorState.TunedModel? { state.tunedModel(id) }

    private func notFound(_ id: String) -> SimulatedResponse {
        ProviderErrorBody.gemini(.notFound, "Tuned model tunedModels/\(id) does not exist.")
    }

    // MARK: Create

    private func create() -> SimulatedResponse {
        guard let raw = LenientJSON.object(request.body), let body = GoogleJSON.camelCased(raw) as? [String: Any] else {
            return ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unexpected token.")
        }
        let known: Set<String> = ["displayName", "description", "baseModel", "tunedModelSource", "tuningTask", "temperature", "topP", "topK", "readerProjectNumbers", "name"]
        if let unknown = body.keys.sorted().first(where: { !known.contains($0) }) {
            return ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unknown name \"\(unknown)\": Cannot find field.")
        }
        let source = (body["tunedModelSource"] as? [String: Any])?["tunedModel"] as? String
        guard let baseModel = body["baseModel"] as? String ?? source, !baseModel.isEmpty else {
            return ProviderErrorBody.gemini(.badRequest, "* CreateTunedModelRequest.tuned_model.base_model: base_model or tuned_model_source is required\n")
        }
        let task = body["tuningTask"] as? [String: Any] ?? [:]
        let hyper = task["hyperparameters"] as? [String: Any] ?? [:]
        let batchSize = GoogleJSON.integer(hyper["batchSize"]) ?? 4
        let epochCount = GoogleJSON.integer(hyper["epochCount"]) ?? 5
        let learningRate = (hyper["learningRate"] as? NSNumber)?.doubleValue
        let multiplier = (hyper["learningRateMultiplier"] as? NSNumber)?.doubleValue
        if learningRate != nil && multiplier != nil {
            return ProviderErrorBody.gemini(.badRequest, "* tuning_task.hyperparameters: learning_rate and learning_rate_multiplier are mutually exclusive\n")
        }
        guard batchSize > 0, epochCount > 0, (learningRate ?? 0.001) > 0, (multiplier ?? 1) > 0 else {
            return ProviderErrorBody.gemini(.badRequest, "* tuning_task.hyperparameters: batch_size, epoch_count and learning_rate must be positive\n")
        }
        let examples = ((task["trainingData"] as? [String: Any])?["examples"] as? [String: Any])?["examples"] as? [[String: Any]] ?? []
        guard !examples.isEmpty else {
            return ProviderErrorBody.gemini(.badRequest, "* tuning_task.training_data: training data must contain at least one example\n")
        }
        for (index, example) in examples.enumerated() {
            guard example["textInput"] is String, example["output"] is String else {
                return ProviderErrorBody.gemini(.badRequest, "* tuning_task.training_data.examples.examples[\(index)]: text_input and output are required strings\n")
            }
        }
        let poisoned = examples.contains { $0["output"] as? String == "sim-fail-tuning" }
        let displayName = body["displayName"] as? String
        let id = request.query["tunedModelId"] ?? Self.id(from: displayName)
        let step = Int64(request.headers.first(name: "x-simulator-tuning-step-ms") ?? "") ?? configuration.tuningStepMilliseconds
        let now = Date()
        var timeline = TrainingTimeline(created: now, stepMilliseconds: step, examples: examples.count, batchSize: batchSize, epochs: epochCount)
        if poisoned { timeline.failAtStep = max(1, timeline.totalSteps / 2) }
        let model = SimulatorState.TunedModel(
            id: id, operationID: SimulatedID.lowercase(12), displayName: displayName, description: body["description"] as? String,
            baseModel: baseModel, batchSize: batchSize, learningRate: multiplier == nil ? (learningRate ?? 0.001) : nil,
            learningRateMultiplier: multiplier, epochCount: epochCount, timeline: timeline, updated: now)
        guard state.addTunedModel(model) else {
            return ProviderErrorBody.gemini(.conflict, "Tuned model tunedModels/\(id) already exists.")
        }
        return .json(.ok, JSONText.encode(operation(model), pretty: true))
    }

    /// `number generator model` → `number-generator-model-dzlmi0gswwqb`, as Google names them.
    static func id(from displayName: String?) -> String {
        let words = (displayName ?? "tuned model").lowercased().split { !($0.isLetter || $0.isNumber) || !$0.isASCII }
        let stem = words.joined(separator: "-").prefix(40)
        return (stem.isEmpty ? "tuned-model" : String(stem)) + "-" + SimulatedID.lowercase(12)
    }

    private func patch(_ id: String) -> SimulatedResponse {
        guard let raw = LenientJSON.object(request.body), let body = GoogleJSON.camelCased(raw) as? [String: Any] else {
            return ProviderErrorBody.gemini(.badRequest, "Invalid JSON payload received. Unexpected token.")
        }
        let mask = Set((request.query["updateMask"] ?? body.keys.joined(separator: ",")).split(separator: ",").map { GoogleJSON.camelCase(String($0)) })
        if let field = mask.sorted().first(where: { !["displayName", "description"].contains($0) }) {
            return ProviderErrorBody.gemini(.badRequest, "Field \(field) cannot be updated.")
        }
        let updated = state.updateTunedModel(id) { model in
            if mask.contains("displayName") { model.displayName = body["displayName"] as? String }
            if mask.contains("description") { model.description = body["description"] as? String }
            model.updated = Date()
        }
        return updated.map { .json(.ok, JSONText.encode(json($0), pretty: true)) } ?? notFound(id)
    }

    // MARK: List

    private func list() -> SimulatedResponse {
        let size = min(1000, max(1, Int(request.query["pageSize"] ?? "") ?? 10))
        let start = request.query["pageToken"].flatMap { Int($0.dropFirst("page-".count)) } ?? 0
        let all = state.tunedModels()
        guard start >= 0, start <= all.count else { return ProviderErrorBody.gemini(.badRequest, "Invalid page token.") }
        let page = all[start..<min(all.count, start + size)]
        var body: [String: Any] = ["tunedModels": page.map(json)]
        if start + size < all.count { body["nextPageToken"] = "page-\(start + size)" }
        return .json(.ok, JSONText.encode(page.isEmpty ? [:] : body, pretty: true))
    }

    // MARK: Shapes

    private func stateName(_ model: SimulatorState.TunedModel, at now: Date) -> String {
        if model.timeline.failed(at: now) { return "FAILED" }
        return model.timeline.succeeded(at: now) ? "ACTIVE" : "CREATING"
    }

    private func snapshots(_ model: SimulatorState.TunedModel, upTo completed: Int) -> [[String: Any]] {
        guard completed > 0 else { return [] }
        return (1...completed).map { step in
            ["step": step, "epoch": model.timeline.epoch(ofStep: step),
             "meanLoss": TrainingTimeline.meanLoss(step: step, totalSteps: model.timeline.totalSteps),
             "computeTime": GoogleTime.string(model.timeline.time(ofStep: step))]
        }
    }

    func json(_ model: SimulatorState.TunedModel) -> [String: Any] {
        let now = Date()
        let completed = model.timeline.completedSteps(at: now)
        var hyper: [String: Any] = ["epochCount": model.epochCount, "batchSize": model.batchSize]
        if let rate = model.learningRate { hyper["learningRate"] = rate }
        if let multiplier = model.learningRateMultiplier { hyper["learningRateMultiplier"] = multiplier }
        var task: [String: Any] = ["startTime": GoogleTime.string(model.timeline.startTime), "hyperparameters": hyper,
                                   "snapshots": snapshots(model, upTo: completed)]
        let state = stateName(model, at: now)
        if state != "CREATING" { task["completeTime"] = GoogleTime.string(model.timeline.finishTime) }
        var body: [String: Any] = [
            "name": model.name, "baseModel": model.baseModel, "state": state, "createTime": GoogleTime.string(model.timeline.created),
            "updateTime": GoogleTime.string(max(model.updated, state == "CREATING" ? model.updated : model.timeline.finishTime)),
            "tuningTask": task, "temperature": 0.9, "topP": 1, "topK": 1,
        ]
        if let name = model.displayName { body["displayName"] = name }
        if let description = model.description { body["description"] = description }
        return body
    }

    func operation(_ model: SimulatorState.TunedModel) -> [String: Any] {
        let now = Date()
        let completed = model.timeline.completedSteps(at: now)
        var metadata: [String: Any] = ["@type": Self.metadataType, "totalSteps": model.timeline.totalSteps, "tunedModel": model.name]
        if completed > 0 {
            metadata["completedSteps"] = completed
            metadata["completedPercent"] = Double(completed) * 100 / Double(model.timeline.totalSteps)
            metadata["snapshots"] = snapshots(model, upTo: completed)
        }
        var body: [String: Any] = ["name": model.operationName, "metadata": metadata]
        switch stateName(model, at: now) {
        case "ACTIVE":
            body["done"] = true
            body["response"] = json(model).merging(["@type": Self.modelType]) { $1 }
        case "FAILED":
            body["done"] = true
            body["error"] = ["code": 3, "message": "Tuning failed at step \(completed): the training data produced a non-finite loss (example output 'sim-fail-tuning')."]
        default:
            break
        }
        return body
    }

    /// Whether generation may use this tuned model: nil when it may, else Google's refusal.
    static func generationRefusal(_ id: String, state: SimulatorState) -> SimulatedResponse? {
        guard let model = state.tunedModel(id) else {
            return ProviderErrorBody.gemini(.notFound, "Tuned model tunedModels/\(id) does not exist.")
        }
        guard model.timeline.succeeded(at: Date()) else {
            return ProviderErrorBody.gemini(.badRequest, "Tuned model tunedModels/\(id) is not ACTIVE and cannot be used for generation.", googleStatus: "FAILED_PRECONDITION")
        }
        return nil
    }
}

/// JSON as Google's proto3 parsers take it.
enum GoogleJSON {
    /// Every key in lowerCamelCase (tuning messages hold no free-form JSON, so all keys are field names).
    static func camelCased(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return Dictionary(object.map { (camelCase($0.key), camelCased($0.value)) }, uniquingKeysWith: { $1 })
        }
        if let array = value as? [Any] { return array.map(camelCased) }
        return value
    }

    static func camelCase(_ name: String) -> String { GeminiFieldNames.camelCase(name) }

    /// int32 fields arrive as numbers or (proto3 JSON) strings.
    static func integer(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }
}

/// JSON as Google's parser accepts it: trailing commas before `}` or `]` are allowed.
enum LenientJSON {
    static func object(_ data: Data) -> [String: Any]? {
        var cleaned = [UInt8]()
        cleaned.reserveCapacity(data.count)
        var inString = false
        var escaped = false
        var pendingComma: Int?
        for byte in data {
            if inString {
                cleaned.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                cleaned.append(byte)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if let comma = pendingComma { cleaned[comma] = UInt8(ascii: " ") }
                pendingComma = nil
                cleaned.append(byte)
            case UInt8(ascii: ","):
                pendingComma = cleaned.count
                cleaned.append(byte)
            default:
                pendingComma = nil
                if byte == UInt8(ascii: "\"") { inString = true }
                cleaned.append(byte)
            }
        }
        return (try? JSONSerialization.jsonObject(with: Data(cleaned))) as? [String: Any]
    }
}
