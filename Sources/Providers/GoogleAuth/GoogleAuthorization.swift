import Foundation
import InferWireCore

/// How a request proves who sends it to Google: an API key (`x-goog-api-key`, the Developer API),
/// an access token given as is (from a file or variable), or tokens from a credentials file.
/// `userProject` is sent as `x-goog-user-project` (the project billed, as seed 003 sends it).
public struct GoogleAuthorization: Sendable {
    public enum Source: Sendable {
        case apiKey(Secret)
        case accessToken(Secret)
        case tokens(GoogleTokenSource)
        case none
    }

    public var source: Source
    public var userProject: String?

    public init(_ source: Source, userProject: String? = nil) {
        self.source = source
        self.userProject = userProject
    }

    /// Variables read when a model's settings name no credentials.
    public static let credentialsVariable = "GOOGLE_APPLICATION_CREDENTIALS"
    public static let accessTokenVariable = "GOOGLE_OAUTH_ACCESS_TOKEN"

    public var usesOAuth: Bool {
        if case .apiKey = source { return false }
        if case .none = source { return false }
        return true
    }

    /// The headers for one request (a token exchange first, when the cached token is stale).
    public func headers() async throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        switch source {
        case .apiKey(let key): headers.append(("x-goog-api-key", key.reveal()))
        case .accessToken(let token): headers.append(("authorization", "Bearer \(token.reveal())"))
        case .tokens(let tokens): headers.append(("authorization", "Bearer \(try await tokens.token().reveal())"))
        case .none: break
        }
        if let userProject { headers.append(("x-goog-user-project", userProject)) }
        return headers
    }

    /// OAuth from settings or the environment, first match wins: `credentials_file`, then
    /// `access_token_file`, then `$GOOGLE_APPLICATION_CREDENTIALS`, then
    /// `$GOOGLE_OAUTH_ACCESS_TOKEN`. Nil when none is given.
    public static func oauth(
        config: [String: JSONValue], environment: [String: String], scopes: [String], engine: CurlEngine
    ) throws(ProviderError) -> GoogleAuthorization? {
        let userProject = config["user_project"]?.string
        if let path = config["credentials_file"]?.string ?? nonEmpty(environment[credentialsVariable]) {
            let file = try GoogleCredentialFile.load(path: path)
            let tokens = GoogleTokenSource(credentials: file, scopes: scopes, engine: engine)
            return GoogleAuthorization(.tokens(tokens), userProject: userProject)
        }
        if let path = config["access_token_file"]?.string {
            guard let data = FileManager.default.contents(atPath: path),
                let token = nonEmpty(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                throw ProviderError(.unauthenticated, "the access token file '\(path)' cannot be read or is empty")
            }
            return GoogleAuthorization(.accessToken(Secret(token)), userProject: userProject)
        }
        if let token = nonEmpty(environment[accessTokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return GoogleAuthorization(.accessToken(Secret(token)), userProject: userProject)
        }
        return nil
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
