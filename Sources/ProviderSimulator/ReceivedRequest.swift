import Crypto
import Foundation
import NIOConcurrencyHelpers

/// What one request brought to the simulator, so a test can assert exactly what a provider
/// client sent: the parts of the last user turn (with byte counts and SHA-256 of inline data),
/// the system instruction, the generation parameters and the safety settings.
public struct ReceivedRequest: Sendable, Equatable, Codable {
    public enum API: String, Sendable, Codable { case openAI = "openai", azure, gemini }

    public var api: API
    public var path: String
    public var model: String
    public var stream: Bool
    public var messageCount: Int
    /// The parts of the last user (or tool) turn, in order.
    public var parts: [ReceivedPart]
    public var systemInstruction: String?
    /// Gemini: `generationConfig` with camelCase keys; OpenAI: every top-level field that is not
    /// model, messages, stream, stream_options, tools or tool_choice. JSON text, sorted keys.
    public var parameters: String
    /// `category → threshold` as received (Gemini only).
    public var safetySettings: [String: String]
    public var toolNames: [String]
    public var userAgent: String?
    /// `category → method` for the settings that carry one (Vertex AI only).
    public var safetyMethods: [String: String] = [:]
}

public struct ReceivedPart: Sendable, Equatable, Codable {
    /// `text`, `inline` (bytes with a MIME type), `file` (a URI or file id), `tool_call`, `tool_result`.
    public var kind: String
    public var mimeType: String?
    /// UTF-8 bytes of a text, decoded bytes of inline data.
    public var byteCount: Int
    /// Lowercase hex SHA-256 of the same bytes.
    public var sha256: String
    /// The text itself, for text and tool-result parts, cut at 4,096 characters.
    public var text: String?
    /// The text's length in characters (not cut).
    public var characters: Int?
    /// A file part's `videoMetadata` as JSON text (sorted keys), when it has one.
    public var videoMetadata: String?

    static func text(_ value: String, kind: String = "text") -> ReceivedPart {
        ReceivedPart(kind: kind, mimeType: nil, byteCount: value.utf8.count, sha256: hex(SHA256.hash(data: Array(value.utf8))),
                     text: String(value.prefix(4096)), characters: value.count)
    }

    static func inline(_ bytes: Data, mimeType: String) -> ReceivedPart {
        ReceivedPart(kind: "inline", mimeType: mimeType, byteCount: bytes.count, sha256: hex(SHA256.hash(data: bytes)), text: nil, characters: nil)
    }

    static func other(_ kind: String, mimeType: String? = nil, text: String? = nil) -> ReceivedPart {
        ReceivedPart(kind: kind, mimeType: mimeType, byteCount: 0, sha256: "", text: text, characters: text?.count)
    }

    /// How the answer text names this part: `text(12)`, `image/png(48213)`, `file`.
    var summary: String {
        switch kind {
        case "text": "text(\(characters ?? 0))"
        case "inline": "\(mimeType ?? "?")(\(byteCount))"
        default: kind
        }
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }
}

/// The last requests the simulator answered (bounded), and counts a test can wait on.
public final class RequestLog: Sendable {
    private struct State {
        var requests: [ReceivedRequest] = []
        var arrived = 0
        var abandoned = 0
        var openConnections = 0
    }

    private let state = NIOLockedValueBox(State())
    private let capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// Requests in arrival order, oldest first; at most the last `capacity`.
    public var requests: [ReceivedRequest] { state.withLockedValue { $0.requests } }

    /// Every request that arrived, answered, refused or faulted alike.
    public var requestCount: Int { state.withLockedValue { $0.arrived } }

    /// Responses the client walked away from: the connection closed before the answer ended.
    public var abandonedResponses: Int { state.withLockedValue { $0.abandoned } }

    public var openConnections: Int { state.withLockedValue { $0.openConnections } }

    public func clear() {
        state.withLockedValue { $0.requests.removeAll() }
    }

    func append(_ request: ReceivedRequest) {
        state.withLockedValue { state in
            if state.requests.count == capacity { state.requests.removeFirst() }
            state.requests.append(request)
        }
    }

    func arrived() { state.withLockedValue { $0.arrived += 1 } }

    func connectionOpened() { state.withLockedValue { $0.openConnections += 1 } }

    func connectionClosed(midResponse: Bool) {
        state.withLockedValue { state in
            state.openConnections -= 1
            if midResponse { state.abandoned += 1 }
        }
    }
}
