import Foundation
import InferWireClient
import InferWireCore
import InferenceService
import LLMAPI
import NIOCore
import ProtoWire
import Providers
import TestSupport
import Testing

/// A provider added the way a new one is: its descriptor and one catalog line, nothing else.
/// The runtime must read its key variables, media, parameter vocabulary and system-message
/// placement from the descriptor alone.
@Suite("Provider catalog", .timeLimit(.minutes(1)))
struct ProviderCatalogTests {
    /// Answers with what it received, so the test sees what the runtime built.
    struct ReportingProvider: LLMProvider {
        let key: String?
        let baseURL: String?

        func complete(_ request: ChatRequest, deadline: ContinuousClock.Instant?) async throws -> ChatResponse {
            let parts = request.messages.flatMap { message in
                message.parts.map { part -> String in
                    switch part {
                    case .text(let text): "\(message.role.rawValue):\(text)"
                    case .inlineData(let type, let data): "\(message.role.rawValue):\(type)(\(data.readableBytes))"
                    default: "\(message.role.rawValue):other"
                    }
                }
            }
            let report = "key=\(key ?? "none") system=\(request.systemInstruction ?? "none") tone=\(request.requestFields["tone"] ?? "none") " + parts.joined(separator: " ")
            var response = ChatResponse(parts: [.text(report)], raw: "{}")
            response.candidates = [ChatCandidate(parts: [.text(report)])]
            return response
        }

        func stream(_ request: ChatRequest, deadline: ContinuousClock.Instant?) -> AsyncThrowingStream<ChatStreamEvent, Error> {
            AsyncThrowingStream { continuation in
                continuation.yield(.text("streamed"))
                continuation.finish()
            }
        }
    }

    static let descriptor = ProviderDescriptor(
        id: "reporting",
        keyVariables: { _ in ["REPORTING_API_KEY"] },
        defaultBaseURL: "http://127.0.0.1:1/unused",
        simulatorKey: "unused",
        media: MediaSupport(accepts: { $0 == "image/png" }, summary: "PNG images"),
        parameters: ParameterVocabulary(
            normalize: { object, place throws(ProviderError) in
                try ParameterVocabulary.checkKeys(object, known: ["tone"], in: place)
                return object
            },
            apply: { object, request throws(ProviderError) in
                if let tone = object["tone"] { request.requestFields["tone"] = tone.string ?? tone.jsonText }
            }),
        systemMessages: .instruction,
        make: { connection throws(ProviderError) in ReportingProvider(key: connection.apiKey?.reveal(), baseURL: connection.baseURL) })

    static func withServer(_ body: (InferWireClient, InferWireServer) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        try folder.write("reporting/model-settings.json", #"{"name": "reporting", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "reporting", "config": {"model_id": "r-1", "llm_parameters": {"tone": "dry"}}}}}"#)
        try folder.write("typo/model-settings.json", #"{"name": "typo", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "reporting", "config": {"model_id": "r-1", "llm_parameters": {"temperature": 1}}}}}"#)
        try folder.write("unknown/model-settings.json", #"{"name": "unknown", "implementation": "mlserver_llm_api.LLMRuntime", "parameters": {"extra": {"provider_id": "anthropic", "config": {"model_id": "c-1"}}}}"#)
        var catalog = ProviderCatalog.standard
        catalog.register(descriptor)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        let llm = LLMEnvironment(catalog: catalog, engine: engine, environment: ["REPORTING_API_KEY": "k-123"])
        var runtimes = RuntimeFactory.builtIn
        LLMRuntime.register(in: &runtimes, environment: llm)
        try await LoopbackServer.with(repository: folder.path, runtimes: runtimes, body)
    }

    @Test("a provider registered in the catalog serves: its key variable, vocabulary, system placement and media come from its descriptor")
    func registeredProvider() async throws {
        try await Self.withServer { client, _ in
            let index = Dictionary(uniqueKeysWithValues: try await client.repositoryIndex().map { ($0.name, $0) })
            #expect(index["reporting"]?.state == "READY", "\(index["reporting"]?.reason ?? "")")
            #expect(index["typo"]?.reason.contains("llm_parameters.temperature is not a known setting (known: tone)") == true, "\(index["typo"]?.reason ?? "")")
            #expect(index["unknown"]?.reason.contains("provider_id \"anthropic\" is not supported (\"gemini\", \"openai\", \"reporting\")") == true, "\(index["unknown"]?.reason ?? "")")

            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
            let answer = try await client.infer(Tensors.chat("reporting", [
                Tensors.text("role", ["system", "user"]),
                Tensors.text("content", [#"["Be terse."]"#, #"["Look", "\#(Data(png).base64EncodedString())"]"#]),
                Tensors.text("type", [#"["text"]"#, #"["text", "image/png"]"#]),
            ]))
            #expect(try Tensors.strings(answer, "content") == ["key=k-123 system=Be terse. tone=dry user:Look user:image/png(10)"])

            await #expect { _ = try await client.infer(Tensors.chat("reporting", [
                Tensors.text("role", ["user"]), Tensors.bytesInput("content", [[0xFF, 0xD8, 0xFF, 0xE0]]), Tensors.text("type", ["image/jpeg"]),
            ])) } throws: {
                guard let error = $0 as? InferenceError else { return false }
                return error.code == .invalidArgument && error.message.contains("reporting does not accept image/jpeg (PNG images)")
            }
        }
    }
}
