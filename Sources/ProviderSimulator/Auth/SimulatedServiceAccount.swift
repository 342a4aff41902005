import Crypto
import Foundation
import _CryptoExtras

/// A Google service account the simulator trusts: its key file (served at
/// `GET /_simulator/service-account`, in Google's JSON layout) holds the private key that signs
/// token requests; the simulator keeps the public half to verify them.
struct SimulatedServiceAccount: Sendable {
    static let email = "tuner@inferwire-sim.iam.gserviceaccount.com"

    var privateKeyPEM: String
    var publicKey: _RSA.Signing.PublicKey
    var keyID: String

    static func make() throws -> SimulatedServiceAccount {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return SimulatedServiceAccount(privateKeyPEM: key.pkcs8PEMRepresentation, publicKey: key.publicKey, keyID: SimulatedID.lowercase(40))
    }

    /// The key file, with `token_uri` pointing at this simulator.
    func keyFile(tokenURI: String) -> [String: Any] {
        [
            "type": "service_account", "project_id": "inferwire-sim", "private_key_id": keyID, "private_key": privateKeyPEM,
            "client_email": Self.email, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs", "universe_domain": "googleapis.com",
        ]
    }
}
