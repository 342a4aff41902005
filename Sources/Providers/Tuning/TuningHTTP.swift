import Foundation

/// JSON over `UpstreamCall` for the tuning clients: send, check the status, parse an object.
struct TuningHTTP: Sendable {
    let provider: String
    let engine: CurlEngine
    let retry: RetryPolicy
    let errorFromBody: @Sendable (Int, [UInt8]) -> ProviderError

    /// `retrying: false` for requests that create something: a retry after a lost answer could
    /// create it twice.
    func object(_ request: HTTPRequest, retrying: Bool = true) async throws -> [String: Any] {
        let response = try await UpstreamCall.send(
            request, provider: provider, engine: engine, retry: retrying ? retry : RetryPolicy(maxAttempts: 1),
            deadline: ContinuousClock.now + .seconds(120), errorFromBody: errorFromBody)
        let bytes = try await response.collect(limit: 64 << 20)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw ProviderError(.internal, "\(provider) answered with a body that is not a JSON object")
        }
        return object
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    static func integer(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }

    static func double(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        if let text = value as? String { return Double(text) }
        return nil
    }
}
