import Foundation
import Providers

/// The model folder a finished tuning job leaves behind: a `model-settings.json` for the tuned
/// model in MLServer's format, so `inferwire serve --repository` serves it as is.
enum TunedModelFolder {
    /// A folder name from the display name or suffix: lowercase, dashes.
    static func name(for job: TuningJob) -> String {
        let source = job.displayName ?? job.resultModel ?? job.id
        let words = source.lowercased().split { !($0.isLetter || $0.isNumber) || !$0.isASCII }
        let name = words.joined(separator: "-")
        return name.isEmpty ? "tuned-model" : String(name.prefix(60))
    }

    /// OpenAI's suffix rules: up to 64 characters; letters, digits, dashes.
    static func suffix(_ displayName: String) -> String {
        let words = displayName.lowercased().split { !($0.isLetter || $0.isNumber) || !$0.isASCII }
        return String(words.joined(separator: "-").prefix(64))
    }

    /// Writes `folder/model-settings.json`; `baseURL` is kept when the job ran on an endpoint
    /// other than the provider's own (a gateway or the simulator), so serving reaches the same one.
    static func write(_ job: TuningJob, baseURL: String?, folder: String) throws -> String {
        guard let model = job.resultModel else {
            throw CLIError(code: "FAILED_PRECONDITION", message: "job \(job.id) has no tuned model yet (\(job.providerState))", exitCode: CLIError.serverErrorExit)
        }
        var config: [String: Any] = ["model_id": model, "model_type": "chat.completions"]
        if let baseURL { config["base_url"] = baseURL }
        let settings: [String: Any] = [
            "name": (folder as NSString).lastPathComponent,
            "implementation": "mlserver_llm_api.LLMRuntime",
            "parameters": ["extra": ["provider_id": job.provider.rawValue, "config": config]],
        ]
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent("model-settings.json")
        let data = try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
        return path
    }
}
