import Foundation
import InferWireCore
import Providers

/// Where a tune command talks to and with which credentials: the provider's own API, or
/// `--base-url` (a gateway, or `inferwire simulate`); keys and tokens from the environment or
/// files, never from the records or the command line.
struct TuneEndpoint {
    var provider: TuningJob.Provider
    /// The versioned root (`…/v1beta` for Gemini, `…/v1` for OpenAI); nil for the provider's own.
    var baseURL: String?
    var userProject: String?
    var environment: [String: String]

    /// A bare `http://host:port` gets the provider's version path; a URL with a path is kept.
    static func normalized(_ url: String?, provider: TuningJob.Provider) -> String? {
        guard let url else { return nil }
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let components = URLComponents(string: trimmed), components.path.isEmpty || components.path == "/" else { return trimmed }
        return trimmed + (provider == .gemini ? "/v1beta" : "/v1")
    }

    func gemini(_ engine: CurlEngine) throws -> GeminiTuning {
        var config: [String: JSONValue] = [:]
        if let userProject { config["user_project"] = .string(userProject) }
        var authorization: GoogleAuthorization
        if let oauth = try GoogleAuthorization.oauth(config: config, environment: environment, scopes: GoogleTokenSource.tuningScopes, engine: engine) {
            authorization = oauth
        } else if let key = try APIKeys.resolve(provider: "gemini", environment: environment) {
            authorization = GoogleAuthorization(.apiKey(key), userProject: userProject)
        } else {
            throw CLIError(code: "UNAUTHENTICATED", message: "no Google credentials: set \(GoogleAuthorization.credentialsVariable) (a service-account or gcloud key file), \(GoogleAuthorization.accessTokenVariable), or GEMINI_API_KEY", exitCode: CLIError.usageExit)
        }
        authorization.userProject = userProject ?? authorization.userProject
        return GeminiTuning(baseURL: baseURL ?? "https://generativelanguage.googleapis.com/v1beta", authorization: authorization, engine: engine)
    }

    func openAI(_ engine: CurlEngine) throws -> OpenAIFineTuning {
        guard let key = try APIKeys.resolve(provider: "openai", environment: environment) else {
            throw CLIError(code: "UNAUTHENTICATED", message: "no OpenAI key: set OPENAI_API_KEY (or MLSERVER_MODEL_OPENAI_API_KEY)", exitCode: CLIError.usageExit)
        }
        return OpenAIFineTuning(baseURL: baseURL ?? "https://api.openai.com/v1", apiKey: key, engine: engine)
    }

    /// One client for a command's whole run, so its OAuth token is exchanged once and reused.
    func client(_ engine: CurlEngine) throws -> TuneClient {
        switch provider {
        case .gemini: .gemini(try gemini(engine))
        case .openai: .openai(try openAI(engine))
        }
    }
}

/// The provider's tuning client.
enum TuneClient {
    case gemini(GeminiTuning)
    case openai(OpenAIFineTuning)

    /// The job as it stands now: Gemini's operation (or model), OpenAI's job with its metrics.
    func poll(_ job: TuningJob) async throws -> TuningJob {
        switch self {
        case .gemini(let client):
            if let operation = job.operation { return try await client.operation(operation) }
            return try await client.get(job.id)
        case .openai(let client):
            return try await client.progress(job.id)
        }
    }
}
