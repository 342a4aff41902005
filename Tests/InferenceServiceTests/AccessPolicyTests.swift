import Crypto
import Foundation
import InferWireCore
import NIOCore
import Testing

@testable import InferenceService

@Suite("Access policy: tokens file, grants, token bucket")
struct AccessPolicyTests {
    static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func parse(_ json: String) throws(RepositoryError) -> AccessPolicy {
        try TokensFile.parse(Data(json.utf8), file: "tokens.json")
    }

    @Test("a bucket gives its burst, then one request per 1/rate seconds, never more than the burst after a pause")
    func bucket() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bucket = TokenBucket(RateLimit(requestsPerSecond: 4, burst: 2), now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == 0.25)
        #expect(bucket.take(now: start + .milliseconds(100)).map { abs($0 - 0.15) < 1e-9 } == true)
        #expect(bucket.take(now: start + .milliseconds(250)) == nil)
        // An hour idle refills to the burst, not beyond.
        let later = start + .hours(1)
        #expect(bucket.take(now: later) == nil)
        #expect(bucket.take(now: later) == nil)
        #expect(bucket.take(now: later) != nil)
    }

    @Test("grants: exact names and prefixes, operations, unknown and missing tokens")
    func grants() throws {
        let policy = try parse(#"{"tokens": [{"name": "a", "token": "t-a", "models": ["chatbot", "chat-*"], "operations": ["infer"]}]}"#)
        #expect(policy.requiresToken)
        try policy.admit("Bearer t-a", .infer, model: "chatbot")
        try policy.admit("Bearer t-a", .infer, model: "chat-llm")
        #expect(throws: InferenceError(.permissionDenied, "token 'a' may not use model 'chatbots'")) { try policy.admit("Bearer t-a", .infer, model: "chatbots") }
        #expect(throws: InferenceError(.permissionDenied, "token 'a' may not use metadata calls")) { try policy.admit("Bearer t-a", .metadata, model: "chatbot") }
        #expect(throws: InferenceError(.unauthenticated, "the bearer token was not accepted")) { try policy.admit("Bearer t-b", .infer, model: "chatbot") }
        #expect(throws: InferenceError(.unauthenticated, "the bearer token was not accepted")) { try policy.admit("t-a", .infer, model: "chatbot") }
        #expect(throws: InferenceError(.unauthenticated, "this server requires a bearer token")) { try policy.admit("", .infer, model: "chatbot") }
        try AccessPolicy.open.admit("", .repository, model: "anything")
        try AccessPolicy.singleToken("s").admit("Bearer s", .tuning, model: nil)
    }

    @Test("a bad tokens file is refused with the file and the entry named, and no token in the message")
    func badFiles() {
        let cases: [(String, String)] = [
            (#"{"tokens": []}"#, #""tokens" must be a non-empty array"#),
            (#"{"tokens": [{"token": "secret-1"}]}"#, "tokens[0].name is missing"),
            (#"{"tokens": [{"name": "a", "token": "secret-1", "sha256": "00"}]}"#, #"tokens[0] ('a') needs exactly one of "token" (non-empty) and "sha256""#),
            (#"{"tokens": [{"name": "a", "sha256": "xyz"}]}"#, "tokens[0] ('a').sha256 must be 64 hex digits"),
            (#"{"tokens": [{"name": "a", "token": "secret-1", "operations": ["write"]}]}"#, #"tokens[0] ('a').operations: "write" is not one of infer, metadata, repository, tuning"#),
            (#"{"tokens": [{"name": "a", "token": "secret-1", "rate": {"requests_per_second": 0}}]}"#, "tokens[0] ('a').rate.requests_per_second must be a number above 0"),
            (#"{"tokens": [{"name": "a", "token": "secret-1"}, {"name": "b", "token": "secret-1"}]}"#, "tokens[1] ('b'): the same token is listed twice"),
            (#"{"tokens": [{"name": "a", "token": "secret-1", "model": ["x"]}]}"#, #"tokens[0]: unknown key "model""#),
        ]
        for (json, expected) in cases {
            do {
                _ = try parse(json)
                Issue.record("accepted: \(json)")
            } catch {
                #expect(error.file == "tokens.json" && error.message.hasPrefix(expected), "\(error.message)")
                #expect(!error.message.contains("secret-1"))
            }
        }
    }

    @Test("auth_token and tokens_file together are refused; either alone makes the policy")
    func settings() throws {
        var settings = ServerSettings()
        #expect(try settings.accessPolicy().requiresToken == false)
        settings.authToken = "one"
        #expect(try settings.accessPolicy().requiresToken)
        settings.tokensFile = "/nonexistent/tokens.json"
        #expect(throws: RepositoryError.self) { try settings.accessPolicy() }
        settings.authToken = nil
        #expect(throws: RepositoryError(file: "/nonexistent/tokens.json", message: "cannot read the tokens file")) { try settings.accessPolicy() }
    }
}
