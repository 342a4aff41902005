import Crypto
import InferWireCore

/// Who may call what. Either nobody needs a token (`.open`), or every call but the health
/// probes carries `authorization: Bearer <token>` and the token must be one of the grants:
/// each names the models it may reach (exact names or `prefix*`), the operations it may use,
/// and optionally a request rate. One server token (`auth_token`) is a single grant to
/// everything.
///
/// Tokens are kept as SHA-256 digests and looked up by the digest of what the caller sent, so
/// a comparison's time says nothing about a token, and a tokens file may hold digests only.
public struct AccessPolicy: Sendable {
    public enum Operation: String, Sendable, CaseIterable {
        /// ModelInfer and its streams, on any door (V2, OpenAI `/v1`, generate).
        case infer
        /// Server and model metadata, model readiness, the repository index.
        case metadata
        /// Repository load and unload.
        case repository
        /// The tuning gateway's relayed provider calls.
        case tuning
    }

    public struct Grant: Sendable {
        public var name: String
        /// Exact model names, or prefixes written `prefix*`; `*` is every model.
        public var models: [String]
        public var operations: Set<Operation>
        public var rate: RateLimit?
        /// Inference calls (streams included) this token may have running at once.
        public var maxConcurrent: Int?

        public init(
            name: String, models: [String] = ["*"], operations: Set<Operation> = Set(Operation.allCases), rate: RateLimit? = nil,
            maxConcurrent: Int? = nil
        ) {
            self.name = name
            self.models = models
            self.operations = operations
            self.rate = rate
            self.maxConcurrent = maxConcurrent
        }

        public func allows(model: String) -> Bool {
            models.contains { pattern in
                pattern.hasSuffix("*") ? model.hasPrefix(pattern.dropLast()) : model == pattern
            }
        }
    }

    /// The caller a token identified; nil when the server needs no token.
    public struct Caller: Sendable {
        public let grant: Grant
        let limiter: RateLimiter?
        let running: RunningCalls?
    }

    /// A running inference call counted against its token's `maxConcurrent`: release it when
    /// the call ends (answered, failed or cancelled).
    public struct CallPermit: Sendable {
        let running: RunningCalls

        public func release() { running.end() }
    }

    private let grants: [[UInt8]: Caller]

    /// No token needed: every caller may do everything.
    public static let open = AccessPolicy(grants: [:])

    public var requiresToken: Bool { !grants.isEmpty }

    /// `token → grant`; each grant with a rate gets its own bucket.
    public init(tokens: [(token: String, grant: Grant)]) {
        self.init(digests: tokens.map { (Self.digest($0.token), $0.grant) })
    }

    init(digests: [(digest: [UInt8], grant: Grant)]) {
        var grants: [[UInt8]: Caller] = [:]
        for (digest, grant) in digests {
            grants[digest] = Caller(grant: grant, limiter: grant.rate.map { RateLimiter($0) }, running: grant.maxConcurrent.map { RunningCalls(limit: $0) })
        }
        self.init(grants: grants)
    }

    private init(grants: [[UInt8]: Caller]) {
        self.grants = grants
    }

    /// One token that may do everything, without a rate limit (`auth_token`).
    public static func singleToken(_ token: String) -> AccessPolicy {
        AccessPolicy(tokens: [(token, Grant(name: "auth_token"))])
    }

    static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// The caller behind an `authorization` value, or UNAUTHENTICATED. Nil when no token is needed.
    public func identify(_ authorization: String) throws(InferenceError) -> Caller? {
        guard requiresToken else { return nil }
        guard authorization.hasPrefix("Bearer "), let caller = grants[Self.digest(String(authorization.dropFirst(7)))] else {
            throw InferenceError(.unauthenticated, authorization.isEmpty ? "this server requires a bearer token" : "the bearer token was not accepted")
        }
        return caller
    }

    /// Identifies the caller, checks the operation (and the model, when the call names one)
    /// against its grant (PERMISSION_DENIED), then takes one request from its rate
    /// (RESOURCE_EXHAUSTED, with `retry-after` seconds in the details).
    public func admit(_ authorization: String, _ operation: Operation, model: String?) throws(InferenceError) {
        _ = try admitted(authorization, operation, model: model)
    }

    /// `admit` for an inference call, which also takes one of the token's concurrent calls
    /// (RESOURCE_EXHAUSTED when all are running). Nil: nothing to release.
    public func admitCall(_ authorization: String, model: String) throws(InferenceError) -> CallPermit? {
        guard let caller = try admitted(authorization, .infer, model: model), let running = caller.running else { return nil }
        guard running.start() else {
            throw InferenceError(
                .resourceExhausted, "token '\(caller.grant.name)' has \(running.limit) calls running, its limit; retry when one ends",
                details: [InferenceError.retryAfterKey: "1"])
        }
        return CallPermit(running: running)
    }

    private func admitted(_ authorization: String, _ operation: Operation, model: String?) throws(InferenceError) -> Caller? {
        guard let caller = try identify(authorization) else { return nil }
        let grant = caller.grant
        guard grant.operations.contains(operation) else {
            throw InferenceError(.permissionDenied, "token '\(grant.name)' may not use \(operation.rawValue) calls")
        }
        if let model, !grant.allows(model: model) {
            throw InferenceError(.permissionDenied, "token '\(grant.name)' may not use model '\(model)'")
        }
        if let limiter = caller.limiter, let wait = limiter.take() {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw InferenceError(
                .resourceExhausted,
                "token '\(grant.name)' is over its rate of \(limiter.limit.requestsPerSecond.formatted) requests/s (burst \(limiter.limit.burst)); retry after \(seconds) s",
                details: [InferenceError.retryAfterKey: String(seconds)])
        }
        return caller
    }
}

extension Double {
    fileprivate var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
