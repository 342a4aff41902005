import Foundation

/// OAuth access tokens for Google's APIs from a credentials file: a service account's signed JWT
/// or a user's refresh token, exchanged at the file's token endpoint. The token is cached and
/// refreshed ahead of expiry (five minutes, or half its life if that is shorter); concurrent
/// callers share one exchange. Tokens are `Secret`s and never logged.
public actor GoogleTokenSource {
    /// What seed 003's `gcloud auth application-default login --scopes=…` asks for.
    public static let tuningScopes = [
        "https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/generative-language.tuning",
    ]
    public static let cloudPlatformScopes = ["https://www.googleapis.com/auth/cloud-platform"]

    private let credentials: GoogleCredentialFile
    private let scopes: [String]
    private let engine: CurlEngine
    private let now: @Sendable () -> Date
    private var cached: (token: Secret, refreshAt: Date)?
    private var exchange: Task<(Secret, Date), Error>?
    /// Exchanges made so far (tests of caching and refresh read it).
    public private(set) var exchanges = 0

    public init(credentials: GoogleCredentialFile, scopes: [String], engine: CurlEngine, now: @escaping @Sendable () -> Date = Date.init) {
        self.credentials = credentials
        self.scopes = scopes
        self.engine = engine
        self.now = now
    }

    /// The project a service account belongs to, or a user file's quota project.
    public nonisolated var projectID: String? {
        switch credentials {
        case .serviceAccount(let key): key.projectID
        case .authorizedUser(let user): user.quotaProjectID
        }
    }

    public func token() async throws -> Secret {
        if let cached, now() < cached.refreshAt { return cached.token }
        if let exchange { return try await exchange.value.0 }
        let task = Task { try await self.fetch() }
        exchange = task
        defer { exchange = nil }
        do {
            let (token, refreshAt) = try await task.value
            cached = (token, refreshAt)
            return token
        } catch {
            cached = nil
            throw error
        }
    }

    private func fetch() async throws -> (Secret, Date) {
        exchanges += 1
        let started = now()
        let form: [(String, String)]
        let tokenURI: String
        switch credentials {
        case .serviceAccount(let key):
            tokenURI = key.tokenURI
            form = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    // The JWT carries wall-clock times (the token endpoint checks them); `now` only
                    // decides when the cached token is refreshed.
                    ("assertion", try JWTAssertion.make(key: key, scopes: scopes, now: Date()))]
        case .authorizedUser(let user):
            tokenURI = user.tokenURI
            form = [("grant_type", "refresh_token"), ("client_id", user.clientID),
                    ("client_secret", user.clientSecret.reveal()), ("refresh_token", user.refreshToken.reveal())]
        }
        let body = form.map { "\($0.0)=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(method: "POST", url: tokenURI, headers: [("content-type", "application/x-www-form-urlencoded")],
                                  body: Array(body.utf8), totalTimeout: .seconds(30))
        let response: HTTPResponse
        do {
            response = try await engine.execute(request)
        } catch let error as HTTPClientError {
            throw ProviderError(.unavailable, "Google token endpoint \(tokenURI) unreachable: \(error.message)")
        }
        let bytes = try await response.collect(limit: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        guard response.head.status == 200 else {
            // Google's own words (`invalid_grant: Invalid JWT Signature.`), which name no secret.
            let reason = [object["error"] as? String, object["error_description"] as? String].compactMap { $0 }.joined(separator: ": ")
            throw ProviderError(.unauthenticated, "Google token endpoint refused the credentials (HTTP \(response.head.status)\(reason.isEmpty ? "" : ": \(reason)"))")
        }
        guard let token = object["access_token"] as? String, !token.isEmpty else {
            throw ProviderError(.unauthenticated, "Google token endpoint answered without an access_token")
        }
        let lifetime = (object["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (Secret(token), started.addingTimeInterval(lifetime - min(300, lifetime / 2)))
    }

    static func formEncoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
