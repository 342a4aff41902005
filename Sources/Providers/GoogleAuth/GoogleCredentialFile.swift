import Foundation

/// A Google credentials file, as `GOOGLE_APPLICATION_CREDENTIALS` names one: a service account's
/// key (`type: service_account`, signed into JWTs) or a user's refresh token as
/// `gcloud auth application-default login` writes it (`type: authorized_user`). The secret parts
/// are `Secret`s: no error or log shows them.
public enum GoogleCredentialFile: Sendable {
    case serviceAccount(ServiceAccountKey)
    case authorizedUser(AuthorizedUser)

    public struct ServiceAccountKey: Sendable {
        public var clientEmail: String
        /// PEM (PKCS#8, as Google issues them).
        public var privateKey: Secret
        public var privateKeyID: String?
        public var tokenURI: String
        public var projectID: String?
    }

    public struct AuthorizedUser: Sendable {
        public var clientID: String
        public var clientSecret: Secret
        public var refreshToken: Secret
        public var tokenURI: String
        public var quotaProjectID: String?
    }

    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    public static func load(path: String) throws(ProviderError) -> GoogleCredentialFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProviderError(.unauthenticated, "the Google credentials file '\(path)' cannot be read")
        }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws(ProviderError) -> GoogleCredentialFile {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ProviderError(.unauthenticated, "the Google credentials file '\(source)' is not a JSON object")
        }
        func field(_ name: String) throws(ProviderError) -> String {
            guard let value = object[name] as? String, !value.isEmpty else {
                throw ProviderError(.unauthenticated, "the Google credentials file '\(source)' has no \"\(name)\"")
            }
            return value
        }
        let tokenURI = object["token_uri"] as? String ?? defaultTokenURI
        switch object["type"] as? String {
        case "service_account":
            return .serviceAccount(ServiceAccountKey(
                clientEmail: try field("client_email"), privateKey: Secret(try field("private_key")),
                privateKeyID: object["private_key_id"] as? String, tokenURI: tokenURI, projectID: object["project_id"] as? String))
        case "authorized_user":
            return .authorizedUser(AuthorizedUser(
                clientID: try field("client_id"), clientSecret: Secret(try field("client_secret")),
                refreshToken: Secret(try field("refresh_token")), tokenURI: tokenURI,
                quotaProjectID: object["quota_project_id"] as? String))
        case let type:
            throw ProviderError(.unauthenticated, "the Google credentials file '\(source)' has type \"\(type ?? "none")\"; service_account and authorized_user are supported")
        }
    }
}
