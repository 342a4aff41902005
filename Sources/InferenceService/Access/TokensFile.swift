import Foundation
import InferWireCore

/// Reads a tokens file (`tokens_file`, `INFERWIRE_TOKENS_FILE`, `--tokens-file`):
///
///     {"tokens": [
///       {"name": "chat-app", "token": "s3cret", "models": ["chatbot", "chat-*"],
///        "operations": ["infer", "metadata"], "rate": {"requests_per_second": 5, "burst": 10}, "max_concurrent": 4},
///       {"name": "ops", "sha256": "<hex digest of the token>", "operations": ["metadata", "repository"]}
///     ]}
///
/// `token` or `sha256` (so the file need not hold the secret itself); `models` defaults to
/// every model, `operations` to all of them (infer, metadata, repository, tuning), `rate` and
/// `max_concurrent` (inference calls running at once) to none. Errors name the file and the entry, never a token.
public enum TokensFile {
    static let entryKeys: Set<String> = ["name", "token", "sha256", "models", "operations", "rate", "max_concurrent"]

    public static func load(_ path: String) throws(RepositoryError) -> AccessPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(file: path, message: "cannot read the tokens file")
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(RepositoryError) -> AccessPolicy {
        func invalid(_ message: String) -> RepositoryError { RepositoryError(file: file, message: message) }
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            throw invalid("not valid JSON: \(error)")
        }
        guard case .array(let entries)? = root["tokens"], !entries.isEmpty else {
            throw invalid("\"tokens\" must be a non-empty array")
        }
        var digests: [(digest: [UInt8], grant: AccessPolicy.Grant)] = []
        var names = Set<String>()
        for (index, entry) in entries.enumerated() {
            guard let object = entry.object else { throw invalid("tokens[\(index)] must be an object") }
            if let unknown = object.keys.filter({ !entryKeys.contains($0) }).sorted().first {
                throw invalid("tokens[\(index)]: unknown key \"\(unknown)\" (\(entryKeys.sorted().joined(separator: ", ")))")
            }
            guard let name = object["name"]?.string, !name.isEmpty else { throw invalid("tokens[\(index)].name is missing") }
            guard names.insert(name).inserted else { throw invalid("tokens[\(index)]: the name '\(name)' is used twice") }
            let place = "tokens[\(index)] ('\(name)')"
            let digest: [UInt8]
            switch (object["token"]?.string, object["sha256"]?.string) {
            case (let token?, nil) where !token.isEmpty:
                digest = AccessPolicy.digest(token)
            case (nil, let hex?):
                guard let bytes = Self.hex(hex), bytes.count == 32 else { throw invalid("\(place).sha256 must be 64 hex digits") }
                digest = bytes
            default:
                throw invalid("\(place) needs exactly one of \"token\" (non-empty) and \"sha256\"")
            }
            guard !digests.contains(where: { $0.digest == digest }) else { throw invalid("\(place): the same token is listed twice") }
            var grant = AccessPolicy.Grant(name: name)
            if let models = object["models"] {
                guard case .array(let list) = models, !list.isEmpty, list.allSatisfy({ $0.string?.isEmpty == false }) else {
                    throw invalid("\(place).models must be a non-empty array of model names (or \"prefix*\")")
                }
                grant.models = list.compactMap(\.string)
            }
            if let operations = object["operations"] {
                let known = AccessPolicy.Operation.allCases.map(\.rawValue).joined(separator: ", ")
                guard case .array(let list) = operations, !list.isEmpty else { throw invalid("\(place).operations must be a non-empty array (\(known))") }
                grant.operations = []
                for item in list {
                    guard let operation = item.string.flatMap(AccessPolicy.Operation.init(rawValue:)) else {
                        throw invalid("\(place).operations: \(item.jsonText) is not one of \(known)")
                    }
                    grant.operations.insert(operation)
                }
            }
            if let rate = object["rate"] {
                guard let perSecond = rate["requests_per_second"]?.number, perSecond > 0, perSecond <= 1e6 else {
                    throw invalid("\(place).rate.requests_per_second must be a number above 0")
                }
                let burst = rate["burst"]?.number ?? max(1, perSecond.rounded(.up))
                guard burst >= 1, burst <= 1e6, burst == burst.rounded() else { throw invalid("\(place).rate.burst must be a whole number of at least 1") }
                grant.rate = RateLimit(requestsPerSecond: perSecond, burst: Int(burst))
            }
            if let limit = object["max_concurrent"] {
                guard let count = limit.number, count >= 1, count <= 1e6, count == count.rounded() else {
                    throw invalid("\(place).max_concurrent must be a whole number of at least 1")
                }
                grant.maxConcurrent = Int(count)
            }
            digests.append((digest, grant))
        }
        return AccessPolicy(digests: digests)
    }

    private static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.lowercased().utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
