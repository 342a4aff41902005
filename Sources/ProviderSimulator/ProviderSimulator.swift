import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for OpenAI and Gemini on loopback: their endpoints, JSON shapes, SSE framing and
/// error bodies, with deterministic answers that say what arrived, and faults on request.
///
/// The answer text is `received <n> part(s): <summary>` where the summary lists each part
/// (`text(<chars>)`, `image/png(<bytes>)`, …), so tests can assert what a provider sent.
/// Faults: header `x-simulator-fault` = `429` (with Retry-After), `500`, `503`, `reset`
/// (connection closed mid-stream), `truncate` (stream cut inside an event), `invalid-json`,
/// `block` (Gemini promptFeedback / OpenAI content_filter); `x-simulator-latency-ms` delays the
/// head; `x-simulator-chunk-delay-ms` spaces stream events. Model "missing" answers 404.
public final class ProviderSimulator: Sendable {
    public struct Configuration: Sendable {
        public var openAIKey: String
        public var geminiKey: String

        public init(openAIKey: String = "sim-openai-key", geminiKey: String = "sim-gemini-key") {
            self.openAIKey = openAIKey
            self.geminiKey = geminiKey
        }
    }

    private let channel: Channel
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: Channel) {
        self.channel = channel
    }

    public static func start(
        host: String = "127.0.0.1", port: Int = 0, configuration: Configuration = Configuration(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ProviderSimulator {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SimulatorHandler(configuration: configuration))
                }
            }
            .bind(host: host, port: port).get()
        return ProviderSimulator(channel: channel)
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Describes the parts of the last user turn, the way the answers report them.
enum PartSummary {
    static func openAI(_ content: Any?) -> [String] {
        if let text = content as? String { return ["text(\(text.count))"] }
        return (content as? [[String: Any]] ?? []).map { part in
            switch part["type"] as? String {
            case "text": return "text(\((part["text"] as? String ?? "").count))"
            case "image_url":
                let url = (part["image_url"] as? [String: Any])?["url"] as? String ?? ""
                return dataURI(url) ?? "image_url"
            case "input_audio":
                let audio = part["input_audio"] as? [String: Any] ?? [:]
                return "audio/\(audio["format"] as? String ?? "?")(\(decodedCount(audio["data"] as? String)))"
            case "file":
                return dataURI((part["file"] as? [String: Any])?["file_data"] as? String ?? "") ?? "file"
            default: return "unknown"
            }
        }
    }

    static func gemini(_ parts: [[String: Any]]) -> [String] {
        parts.map { part in
            if let text = part["text"] as? String { return "text(\(text.count))" }
            if let inline = (part["inlineData"] ?? part["inline_data"]) as? [String: Any] {
                let mime = (inline["mimeType"] ?? inline["mime_type"]) as? String ?? "?"
                return "\(mime)(\(decodedCount(inline["data"] as? String)))"
            }
            if part["fileData"] != nil || part["file_data"] != nil { return "file" }
            if part["functionResponse"] != nil || part["function_response"] != nil { return "function_response" }
            return "unknown"
        }
    }

    private static func dataURI(_ url: String) -> String? {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let mime = url[url.index(url.startIndex, offsetBy: 5)..<comma].replacingOccurrences(of: ";base64", with: "")
        return "\(mime)(\(decodedCount(String(url[url.index(after: comma)...]))))"
    }

    /// Decoded byte count, or -1 for invalid base64 (the real APIs reject it; so do we).
    static func decodedCount(_ base64: String?) -> Int {
        guard let base64, let data = Data(base64Encoded: base64) else { return -1 }
        return data.count
    }
}
