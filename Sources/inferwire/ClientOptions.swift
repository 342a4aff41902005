import ArgumentParser
import Foundation
import InferWireClient

/// The options every client command shares (`health`, `models`, `infer`, and later `chat`,
/// `load`): where the server is, and whether to print JSON.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's host name or address.")
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp(
        "The server's binary protocol port. (default: $INFERWIRE_BINARY_PORT, else 8083)",
        valueName: "port"))
    var port: Int?

    @Flag(help: "Print machine-readable JSON (one object per result) instead of text.")
    var json = false

    @Option(help: ArgumentHelp(
        "A file holding the bearer token, for servers that require one. (default: $INFERWIRE_AUTH_TOKEN)",
        valueName: "path"))
    var tokenFile: String?

    @Option(help: ArgumentHelp(
        "Speak TLS, trusting the CA certificates in this PEM file. (default: $INFERWIRE_TLS_CA; none: plain TCP)",
        valueName: "path"))
    var tlsCA: String?

    @Option(help: ArgumentHelp(
        "For servers that require client certificates: this client's PEM certificate chain (with --tls-key). (default: $INFERWIRE_TLS_CERT)",
        valueName: "path"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert. (default: $INFERWIRE_TLS_KEY)", valueName: "path"))
    var tlsKey: String?

    /// TLS when a CA is given (flag or environment), with a client certificate when both halves are.
    func resolvedTLS(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ClientTLS? {
        let ca = tlsCA ?? environment["INFERWIRE_TLS_CA"]
        let cert = tlsCert ?? environment["INFERWIRE_TLS_CERT"]
        let key = tlsKey ?? environment["INFERWIRE_TLS_KEY"]
        guard (cert == nil) == (key == nil) else { throw CLIError.usage("--tls-cert and --tls-key go together") }
        guard let ca else {
            guard cert == nil else { throw CLIError.usage("--tls-cert needs --tls-ca (the CA that signed the server's certificate)") }
            return nil
        }
        return ClientTLS(trustRoots: ca, certificateChain: cert, privateKey: key)
    }

    /// The bearer token: from --token-file, else INFERWIRE_AUTH_TOKEN; never printed.
    func resolvedToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
            else {
                throw CLIError.usage("cannot read the token file '\(tokenFile)'")
            }
            return token
        }
        return environment["INFERWIRE_AUTH_TOKEN"]
    }

    /// The port to use: the flag, else INFERWIRE_BINARY_PORT, else 8083.
    func resolvedPort(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        if let port { return port }
        if let text = environment["INFERWIRE_BINARY_PORT"] {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw CLIError.usage("INFERWIRE_BINARY_PORT must be a port number, got '\(text)'")
            }
            return value
        }
        return 8083
    }

    /// A failure to connect, as UNAVAILABLE (exit 2), with a hint when nothing listens there.
    static func cannotConnect(host: String, port: Int, _ error: Error) -> CLIError {
        let detail = "\(error)".contains("Connection refused")
            ? "connection refused (is `inferwire serve` running there?)" : "\(error)"
        return CLIError.unavailable("cannot connect to \(host):\(port): \(detail)")
    }

    /// Connects, runs `body` and closes the connection whatever happens. A failure to connect
    /// is reported as UNAVAILABLE (exit 2).
    func withClient<T>(_ body: (InferWireClient) async throws -> T) async throws -> T {
        let port = try resolvedPort()
        let token = try resolvedToken()
        let client: InferWireClient
        do {
            client = try await InferWireClient.connect(host: host, port: port, token: token, tls: try resolvedTLS())
        } catch {
            throw Self.cannotConnect(host: host, port: port, error)
        }
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
