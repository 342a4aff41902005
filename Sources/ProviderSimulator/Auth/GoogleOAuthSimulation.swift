import Crypto
import Foundation
import NIOHTTP1
import _CryptoExtras

/// Google's OAuth 2.0 token endpoint (`POST /token`): service accounts (RFC 7523's JWT bearer
/// grant: an RS256 JWT signed by a trusted account's key, addressed to this endpoint, unexpired,
/// valid for at most an hour, with a scope) and users' refresh tokens as `gcloud auth
/// application-default login` stores them (`refresh_token` grant; the simulator's user is
/// `sim-client-id` / `sim-client-secret` / `sim-refresh-token`). Answers an access token the
/// Gemini and Vertex routes then accept until it expires.
struct GoogleOAuthSimulation {
    let request: SimulatorRequest
    let state: SimulatorState
    let configuration: ProviderSimulator.Configuration

    func answer() -> SimulatedResponse {
        let form = Self.formFields(String(decoding: request.body, as: UTF8.self))
        if form["grant_type"] == "refresh_token" { return refresh(form) }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return refusal("unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")")
        }
        guard let assertion = form["assertion"] else { return refusal("invalid_request", "Missing required parameter: assertion") }
        let pieces = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 3,
            let header = Self.object(base64URL: pieces[0]), let claims = Self.object(base64URL: pieces[1]),
            let signature = Self.data(base64URL: pieces[2])
        else {
            return refusal("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        guard header["alg"] as? String == "RS256" else { return refusal("invalid_grant", "Invalid JWT: alg must be RS256") }
        guard let issuer = claims["iss"] as? String, let key = trustedKey(for: issuer) else {
            return refusal("invalid_grant", "Invalid JWT Signature.")
        }
        let signed = Data(assertion.utf8.prefix(pieces[0].utf8.count + 1 + pieces[1].utf8.count))
        guard key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5) else {
            return refusal("invalid_grant", "Invalid JWT Signature.")
        }
        let now = Date().timeIntervalSince1970
        guard let issued = (claims["iat"] as? NSNumber)?.doubleValue, let expires = (claims["exp"] as? NSNumber)?.doubleValue,
            issued <= now + 60, expires > now, expires - issued <= 3600
        else {
            return refusal("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        guard let audience = claims["aud"] as? String, audience.hasSuffix("/token") else {
            return refusal("invalid_grant", "Invalid JWT: aud must be the token endpoint")
        }
        guard let scope = claims["scope"] as? String, !scope.isEmpty else {
            return refusal("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        }
        let lifetime = configuration.tokenLifetimeSeconds
        let token = state.issueToken(lifetime: TimeInterval(lifetime))
        return .json(.ok, JSONText.encode(["access_token": token, "expires_in": lifetime, "token_type": "Bearer"]))
    }

    static let userClient = (id: "sim-client-id", secret: "sim-client-secret", refreshToken: "sim-refresh-token")

    private func refresh(_ form: [String: String]) -> SimulatedResponse {
        guard form["client_id"] == Self.userClient.id, form["client_secret"] == Self.userClient.secret else {
            return .json(.unauthorized, JSONText.encode(["error": "invalid_client", "error_description": "Unauthorized"]))
        }
        guard form["refresh_token"] == Self.userClient.refreshToken else {
            return refusal("invalid_grant", "Token has been expired or revoked.")
        }
        let lifetime = configuration.tokenLifetimeSeconds
        let token = state.issueToken(lifetime: TimeInterval(lifetime))
        return .json(.ok, JSONText.encode(["access_token": token, "expires_in": lifetime, "token_type": "Bearer",
                                           "scope": "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/generative-language.tuning"]))
    }

    private func trustedKey(for issuer: String) -> _RSA.Signing.PublicKey? {
        if let pem = configuration.trustedServiceAccounts[issuer] { return try? _RSA.Signing.PublicKey(pemRepresentation: pem) }
        if issuer == SimulatedServiceAccount.email { return state.ownAccount()?.publicKey }
        return nil
    }

    private func refusal(_ error: String, _ description: String) -> SimulatedResponse {
        .json(.badRequest, JSONText.encode(["error": error, "error_description": description]))
    }

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func data(base64URL text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    static func object(base64URL text: Substring) -> [String: Any]? {
        data(base64URL: text).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
}

/// Who may call Google's routes: an API key (Developer API only) or an access token this
/// simulator issued (or one of the configured static tokens), in Google's error shapes.
struct GoogleCallerCheck {
    let request: SimulatorRequest
    let state: SimulatorState
    let configuration: ProviderSimulator.Configuration

    /// Nil when the caller may go on. Vertex (`apiKeyAllowed: false`) takes tokens only.
    func refusal(apiKeyAllowed: Bool) -> SimulatedResponse? {
        if let authorization = request.headers.first(name: "authorization") {
            guard authorization.hasPrefix("Bearer ") else { return unauthenticated() }
            let token = String(authorization.dropFirst("Bearer ".count))
            if configuration.accessTokens.contains(token) { return nil }
            return state.check(token: token) == .valid ? nil : unauthenticated()
        }
        let key = request.headers.first(name: "x-goog-api-key") ?? request.query["key"]
        guard apiKeyAllowed else {
            return ProviderErrorBody.gemini(.unauthorized, "API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that assert a principal. See https://cloud.google.com/docs/authentication", details: [
                ["@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING", "domain": "googleapis.com",
                 "metadata": ["service": "aiplatform.googleapis.com", "method": "google.cloud.aiplatform.v1.PredictionService.GenerateContent"]],
            ], headers: [("www-authenticate", #"Bearer realm="https://accounts.google.com/""#)])
        }
        guard let key else {
            return ProviderErrorBody.gemini(.forbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
        }
        guard key == configuration.geminiKey else {
            return ProviderErrorBody.gemini(.badRequest, "API key not valid. Please pass a valid API key.", details: [
                ["@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                 "metadata": ["service": "generativelanguage.googleapis.com"]],
            ])
        }
        return nil
    }

    private func unauthenticated() -> SimulatedResponse {
        ProviderErrorBody.gemini(.unauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.", details: [
            ["@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED", "domain": "googleapis.com"],
        ], headers: [("www-authenticate", #"Bearer realm="https://accounts.google.com/", error="invalid_token""#)])
    }
}
