import Crypto
import Foundation
import _CryptoExtras

/// The signed JWT a service account trades for an access token (RFC 7523; Google's
/// "Using OAuth 2.0 for server to server applications"): RS256 over the header and claims
/// `iss`, `scope`, `aud` (the token endpoint), `iat`, `exp` (at most an hour later).
enum JWTAssertion {
    static func make(
        key: GoogleCredentialFile.ServiceAccountKey, scopes: [String], now: Date, lifetime: TimeInterval = 3600
    ) throws(ProviderError) -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID = key.privateKeyID { header["kid"] = keyID }
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": key.clientEmail, "scope": scopes.joined(separator: " "), "aud": key.tokenURI,
            "iat": issued, "exp": issued + Int(min(lifetime, 3600)),
        ]
        let signingInput = base64URL(json(header)) + "." + base64URL(json(claims))
        let privateKey: _RSA.Signing.PrivateKey
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.privateKey.reveal())
        } catch {
            // The key's text stays out of the message.
            throw ProviderError(.unauthenticated, "the private key of service account \(key.clientEmail) is not an RSA key in PEM form")
        }
        do {
            let signature = try privateKey.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .insecurePKCS1v1_5)
            return signingInput + "." + base64URL(signature.rawRepresentation)
        } catch {
            throw ProviderError(.internal, "signing the token request for \(key.clientEmail) failed")
        }
    }

    private static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
