import Foundation
import Providers
import Testing

@Suite("Provider model")
struct ProviderModelTests {
    @Test("safety settings: the seeds' short names and the full names, any case; unknown ones refused")
    func safety() throws {
        #expect(try SafetySetting(category: "HARASSMENT", threshold: "BLOCK_LOW_AND_ABOVE")
            == SafetySetting(category: "HARM_CATEGORY_HARASSMENT", threshold: "block_low_and_above"))
        #expect(try SafetySetting(category: "hate", threshold: "BLOCK_NONE").category == "HARM_CATEGORY_HATE_SPEECH")
        #expect(try SafetySetting(category: "SEXUAL", threshold: "OFF").category == "HARM_CATEGORY_SEXUALLY_EXPLICIT")
        #expect(try SafetySetting(category: "DANGEROUS", threshold: "BLOCK_ONLY_HIGH").category == "HARM_CATEGORY_DANGEROUS_CONTENT")
        #expect(try SafetySetting(category: "CIVIC_INTEGRITY", threshold: "BLOCK_NONE").category == "HARM_CATEGORY_CIVIC_INTEGRITY")
        #expect(throws: ProviderError.self) { try SafetySetting(category: "VIOLENCE", threshold: "BLOCK_NONE") }
        #expect(throws: ProviderError.self) { try SafetySetting(category: "HATE", threshold: "SOMETIMES") }
    }

    @Test("upstream HTTP statuses map to gRPC-style codes")
    func statusCodes() {
        #expect(ProviderError.code(forHTTPStatus: 400) == .invalidArgument)
        #expect(ProviderError.code(forHTTPStatus: 401) == .unauthenticated)
        #expect(ProviderError.code(forHTTPStatus: 403) == .permissionDenied)
        #expect(ProviderError.code(forHTTPStatus: 404) == .notFound)
        #expect(ProviderError.code(forHTTPStatus: 429) == .resourceExhausted)
        #expect(ProviderError.code(forHTTPStatus: 503) == .unavailable)
        #expect(ProviderError.code(forHTTPStatus: 504) == .deadlineExceeded)
    }

    @Test("API keys: Seldon's variable first, then the provider's own, or a file; never printed")
    func keys() throws {
        let environment = ["GEMINI_API_KEY": "g-2", "MLSERVER_MODEL_GEMINI_API_KEY": "g-1", "OPENAI_API_KEY": " o-1 \n"]
        #expect(try APIKeys.resolve(provider: "gemini", environment: environment)?.reveal() == "g-1")
        #expect(try APIKeys.resolve(provider: "openai", environment: environment)?.reveal() == "o-1")
        #expect(try APIKeys.resolve(provider: "gemini", environment: ["GOOGLE_API_KEY": "g-3"])?.reveal() == "g-3")
        #expect(try APIKeys.resolve(provider: "openai", environment: [:]) == nil)
        let file = NSTemporaryDirectory() + "inferwire-key-\(UInt64.random(in: 1 ... .max))"
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let secret = try #require(try APIKeys.resolve(provider: "openai", environment: environment, file: file))
        #expect(secret.reveal() == "from-file")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(!"\([secret])".contains("from-file"))
        #expect(throws: ProviderError.self) { try APIKeys.resolve(provider: "openai", file: file + ".missing") }
    }

    @Test("a chat request in the neutral model keeps raw bytes raw")
    func neutralModel() {
        let image: [UInt8] = [0xFF, 0xD8, 0xFF, 0x00]
        let request = ChatRequest(
            model: "gemini-2.0-flash",
            messages: [ChatMessage(role: .user, parts: [.text("What is this?"), .inlineData(mimeType: "image/jpeg", bytes: image)])],
            systemInstruction: "Be brief.")
        guard case .inlineData(let mime, let data) = request.messages[0].parts[1] else {
            Issue.record("inline data lost")
            return
        }
        #expect(mime == "image/jpeg" && Array(data.readableBytesView) == image)
        let response = ChatResponse(parts: [.text("A "), .text("cat"), .toolCall(id: "c1", name: "f", arguments: "{}")])
        #expect(response.text == "A cat")
    }
}
