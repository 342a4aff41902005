import Foundation

/// Sends a caller's request on to a provider with the gateway's credentials and hands back the
/// provider's answer as it is (status, content type, body), errors included (a refused key
/// quoted in one is redacted): the tuning routes
/// of the HTTP door are this, so an SDK pointed at InferWire tunes through it without the keys.
/// One attempt: a relayed POST is not ours to repeat. Only an unreachable provider gets an
/// answer of the gateway's own, 502 in that provider's error shape.
public struct ProviderGateway: Sendable {
    public enum Credentials: Sendable {
        /// `Authorization: Bearer <key>`.
        case openAI(Secret?)
        case google(GoogleAuthorization)
    }

    /// Scheme, host and port (and any path prefix) the caller's path is appended to.
    public let root: String
    let credentials: Credentials
    let engine: CurlEngine

    public init(root: String, credentials: Credentials, engine: CurlEngine) {
        self.root = root.trimmingSuffix("/")
        self.credentials = credentials
        self.engine = engine
    }

    public func send(method: String, pathAndQuery: String, headers: [(name: String, value: String)], body: [UInt8]) async throws
        -> (status: Int, contentType: String?, body: [UInt8])
    {
        var sent = headers
        switch credentials {
        case .openAI(let key):
            if let key { sent.append(("authorization", "Bearer \(key.reveal())")) }
        case .google(let authorization):
            let own = try await authorization.headers()
            // The gateway's user project, if it has one, wins over the caller's.
            if own.contains(where: { $0.name == "x-goog-user-project" }) { sent.removeAll { $0.name == "x-goog-user-project" } }
            sent += own
        }
        let request = HTTPRequest(method: method, url: root + pathAndQuery, headers: sent, body: body.isEmpty && method == "GET" ? nil : body,
                                  totalTimeout: .seconds(600))
        do {
            let response = try await engine.execute(request)
            var answer = try await response.collect(limit: 512 << 20)
            // A refused key is quoted back (masked, but partly): that key is the gateway's, not the caller's.
            if response.head.status == 401 || response.head.status == 403 {
                answer = Array(OpenAIChatFormat.redactingKeys(String(decoding: answer, as: UTF8.self)).utf8)
            }
            return (response.head.status, response.head.header("content-type"), answer)
        } catch let error as HTTPClientError {
            return (502, "application/json", Array(unreachable(error.message).utf8))
        }
    }

    private func unreachable(_ message: String) -> String {
        let text = "InferWire could not reach the provider at \(root): \(message)"
        let quoted = (try? JSONSerialization.data(withJSONObject: [text], options: [])).map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
        switch credentials {
        case .openAI: return #"{"error":{"message":\#(quoted),"type":"server_error","param":null,"code":null}}"#
        case .google: return #"{"error":{"code":502,"message":\#(quoted),"status":"UNAVAILABLE"}}"#
        }
    }
}
