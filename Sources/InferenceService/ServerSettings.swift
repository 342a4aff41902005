import Foundation
import InferWireCore
import InferWireProtocol

/// The server's settings: defaults, then `settings.json` (MLServer's file, keys it shares keep
/// their names), then environment variables (`MLSERVER_*` where MLServer has the setting,
/// `INFERWIRE_*` for ours), then command-line flags.
public struct ServerSettings: Sendable, Equatable {
    public var host = "0.0.0.0"
    /// The binary protocol's port (`INFERWIRE_BINARY_PORT`, `binary_port`).
    public var binaryPort = 8083
    /// MLServer's `http_port`: the HTTP door (V2 REST); -1 turns it off.
    public var httpPort = 8080
    /// MLServer's `grpc_port`: the gRPC door; -1 turns it off.
    public var grpcPort = 8081
    /// The largest HTTP request body accepted (`http_max_body_size`, bytes).
    public var httpMaxBodyBytes = 64 << 20
    /// Seconds an HTTP connection may send nothing before it is closed (`http_idle_timeout`).
    public var httpIdleTimeoutSeconds = 60.0
    /// Seconds a request's head and body may take to arrive once its head has (`http_request_timeout`): 408 after.
    public var httpRequestTimeoutSeconds = 120.0
    /// MLServer's `metrics_port`: Prometheus exposition over HTTP.
    public var metricsPort = 8082
    /// MLServer's `metrics_endpoint`; empty disables the metrics server.
    public var metricsEndpoint = "/metrics"
    /// MLServer's `model_repository_root`.
    public var modelRepositoryRoot = "."
    /// MLServer's `load_models_at_startup`.
    public var loadModelsAtStartup = true
    public var maxFrameSize: UInt32 = ConnectionSettings.default.maxFrameSize
    public var maxConcurrentStreams: UInt32 = ConnectionSettings.default.maxConcurrentStreams
    public var maxConnections = 10_000
    /// Bearer token every call must carry (but the ServerLive/ServerReady probes); nil: none.
    /// Read from `INFERWIRE_AUTH_TOKEN` or the file named by `auth_token_file` /
    /// `INFERWIRE_AUTH_TOKEN_FILE`, never from settings.json itself, and never logged.
    public var authToken: String?
    /// A tokens file (`tokens_file`, `INFERWIRE_TOKENS_FILE`): several tokens, each with the
    /// models and operations it may use and a rate (`TokensFile`). Instead of `authToken`.
    public var tokensFile: String?
    /// TLS on every door (`tls_certificate`, `tls_private_key`, and for mutual TLS
    /// `tls_client_ca`: PEM files); nil: plain TCP.
    public var tls: TLSFiles.Paths?
    /// Seconds a SIGTERM drain waits for running streams.
    public var drainTimeoutSeconds = 30.0
    /// Binary connections: `handshake_timeout`, `request_message_timeout`, `idle_timeout`
    /// (seconds; 0 disables one).
    public var timeouts = ConnectionTimeouts.default

    public init() {}

    /// Who may call what: the tokens file's grants, the one `auth_token`, or no check at all.
    public func accessPolicy() throws(RepositoryError) -> AccessPolicy {
        if let tokensFile {
            guard authToken == nil else {
                throw RepositoryError(file: tokensFile, message: "set auth_token or tokens_file, not both (the tokens file can hold that token too)")
            }
            return try TokensFile.load(tokensFile)
        }
        return authToken.map(AccessPolicy.singleToken) ?? .open
    }

    public var connectionSettings: ConnectionSettings {
        ConnectionSettings(maxFrameSize: maxFrameSize, maxConcurrentStreams: maxConcurrentStreams)
    }

    /// Reads `settings.json`; unknown keys (MLServer's REST and gRPC settings) are ignored.
    public mutating func apply(file path: String) throws(RepositoryError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(file: path, message: "cannot read the settings file")
        }
        let values: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONValue.parse(data) else {
                throw RepositoryError(file: path, message: "the top level must be a JSON object")
            }
            values = object
        } catch let error as RepositoryError {
            throw error
        } catch {
            throw RepositoryError(file: path, message: "not valid JSON: \(error)")
        }
        try apply(values.compactMapValues { value -> String? in
            switch value {
            case .string(let string): string
            case .number(let number):
                number.isFinite && number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .bool(let bool): String(bool)
            default: nil
            }
        }, source: path)
    }

    /// Applies environment variables.
    public mutating func apply(environment: [String: String]) throws(RepositoryError) {
        var values: [String: String] = [:]
        for (key, value) in environment {
            for prefix in ["MLSERVER_", "INFERWIRE_"] where key.hasPrefix(prefix) {
                values[key.dropFirst(prefix.count).lowercased()] = value
            }
        }
        try apply(values, source: "environment")
    }

    private mutating func apply(_ values: [String: String], source: String) throws(RepositoryError) {
        func number<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws(RepositoryError) -> T? {
            guard let text = values[key] else { return nil }
            guard let value = T(text), value >= 0 else {
                throw RepositoryError(file: source, message: "\(key) must be a non-negative integer, got '\(text)'")
            }
            return value
        }
        if let value = values["host"] { host = value }
        if let value = try number("binary_port", Int.self) { binaryPort = value }
        if let text = values["http_port"] {
            guard let value = Int(text), (-1...65535).contains(value) else {
                throw RepositoryError(file: source, message: "http_port must be 0...65535, or -1 for no HTTP door, got '\(text)'")
            }
            httpPort = value
        }
        if let value = try number("http_max_body_size", Int.self) { httpMaxBodyBytes = value }
        if let text = values["grpc_port"] {
            guard let value = Int(text), (-1...65535).contains(value) else {
                throw RepositoryError(file: source, message: "grpc_port must be 0...65535, or -1 for no gRPC door, got '\(text)'")
            }
            grpcPort = value
        }
        if let text = values["http_idle_timeout"] {
            guard let value = Double(text), value > 0, value < 86_400 else {
                throw RepositoryError(file: source, message: "http_idle_timeout must be a number of seconds, got '\(text)'")
            }
            httpIdleTimeoutSeconds = value
        }
        if let text = values["http_request_timeout"] {
            guard let value = Double(text), value > 0, value < 86_400 else {
                throw RepositoryError(file: source, message: "http_request_timeout must be a number of seconds, got '\(text)'")
            }
            httpRequestTimeoutSeconds = value
        }
        if let value = values["model_repository_root"] { modelRepositoryRoot = value }
        if let value = try number("metrics_port", Int.self) { metricsPort = value }
        if let value = values["metrics_endpoint"] { metricsEndpoint = value }
        if let value = values["load_models_at_startup"] {
            guard let flag = Bool(value.lowercased()) else {
                throw RepositoryError(file: source, message: "load_models_at_startup must be true or false, got '\(value)'")
            }
            loadModelsAtStartup = flag
        }
        if let value = try number("max_frame_size", UInt32.self) {
            guard value >= ConnectionSettings.minimumFrameSize else {
                throw RepositoryError(file: source, message: "max_frame_size must be at least \(ConnectionSettings.minimumFrameSize)")
            }
            maxFrameSize = value
        }
        if let value = try number("max_concurrent_streams", UInt32.self) { maxConcurrentStreams = value }
        if let value = try number("max_connections", Int.self) { maxConnections = value }
        if source == "environment", let value = values["auth_token"], !value.isEmpty { authToken = value }
        if let file = values["auth_token_file"] {
            guard let data = FileManager.default.contents(atPath: file),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
            else {
                throw RepositoryError(file: source, message: "auth_token_file '\(file)' cannot be read or is empty")
            }
            authToken = token
        }
        if let file = values["tokens_file"], !file.isEmpty { tokensFile = file }
        switch (values["tls_certificate"], values["tls_private_key"]) {
        case (nil, nil):
            if values["tls_client_ca"] != nil, tls == nil {
                throw RepositoryError(file: source, message: "tls_client_ca needs tls_certificate and tls_private_key")
            }
        case (let certificate?, let key?):
            tls = TLSFiles.Paths(certificateChain: certificate, privateKey: key, clientCA: values["tls_client_ca"] ?? tls?.clientCA)
        case (let certificate, let key):
            guard let existing = tls else {
                throw RepositoryError(file: source, message: "tls_certificate and tls_private_key go together")
            }
            tls = TLSFiles.Paths(
                certificateChain: certificate ?? existing.certificateChain, privateKey: key ?? existing.privateKey,
                clientCA: values["tls_client_ca"] ?? existing.clientCA)
        }
        if let clientCA = values["tls_client_ca"], tls != nil { tls?.clientCA = clientCA }
        for (key, path) in [("handshake_timeout", \ConnectionTimeouts.handshake), ("request_message_timeout", \.requestMessage), ("idle_timeout", \.idle)] {
            guard let text = values[key] else { continue }
            guard let value = Double(text), value >= 0, value < 86_400 * 365 else {
                throw RepositoryError(file: source, message: "\(key) must be a number of seconds, got '\(text)'")
            }
            timeouts[keyPath: path] = .nanoseconds(Int64(value * 1e9))
        }
        if let text = values["drain_timeout"] {
            guard let value = Double(text), value >= 0, value < 86_400 * 365 else {
                throw RepositoryError(file: source, message: "drain_timeout must be a number of seconds, got '\(text)'")
            }
            drainTimeoutSeconds = value
        }
    }
}
