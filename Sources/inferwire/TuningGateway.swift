import Foundation
import HTTPDoor
import NIOCore
import Providers

/// The HTTP door's tuning routes, relayed to the providers with the server's credentials:
/// OpenAI's `/v1/files…`, `/v1/fine_tuning…` and `DELETE /v1/models/{ft model}`; Gemini's
/// `/v1beta/tunedModels…` (and `/v1/tunedModels…`, where Google's sample polls operations). A
/// provider without credentials is relayed to the bundled simulator, like its models.
enum TuningGateway {
    static func routes(providers: UpstreamProviders, environment: [String: String]) throws -> [RelayRoute] {
        let engine = providers.llm.engine
        let simulated = providers.llm.simulator.map { (root: $0.baseURL, ids: $0.providers) }
        let openAI: ProviderGateway
        if let simulated, simulated.ids.contains("openai") {
            openAI = ProviderGateway(root: simulated.root, credentials: .openAI(Secret(OpenAIProvider.descriptor.simulatorKey)), engine: engine)
        } else {
            var root = environment["OPENAI_BASE_URL"] ?? "https://api.openai.com"
            if root.hasSuffix("/") { root.removeLast() }
            if root.hasSuffix("/v1") { root.removeLast(3) }
            openAI = ProviderGateway(root: root, credentials: .openAI(try APIKeys.resolve(provider: "openai", environment: environment)), engine: engine)
        }
        let gemini: ProviderGateway
        if let simulated, simulated.ids.contains("gemini") {
            gemini = ProviderGateway(root: simulated.root, credentials: .google(GoogleAuthorization(.apiKey(Secret(GeminiProvider.descriptor.simulatorKey)))), engine: engine)
        } else {
            let root = environment["GOOGLE_GEMINI_BASE_URL"] ?? "https://generativelanguage.googleapis.com"
            let authorization = try GoogleAuthorization.oauth(config: [:], environment: environment, scopes: GoogleTokenSource.tuningScopes, engine: engine)
                ?? GoogleAuthorization(try APIKeys.resolve(provider: "gemini", environment: environment).map { .apiKey($0) } ?? .none)
            gemini = ProviderGateway(root: root, credentials: .google(authorization), engine: engine)
        }
        let openAIRelay = GatewayRelay(gateway: openAI), geminiRelay = GatewayRelay(gateway: gemini)
        return [
            RelayRoute(prefix: "/v1/files", relay: openAIRelay),
            RelayRoute(prefix: "/v1/fine_tuning", relay: openAIRelay),
            RelayRoute(prefix: "/v1/models", methods: [.delete], relay: openAIRelay),
            RelayRoute(prefix: "/v1beta/tunedModels", relay: geminiRelay),
            RelayRoute(prefix: "/v1/tunedModels", relay: geminiRelay),
        ]
    }
}

/// A `ProviderGateway` as the HTTP door's relay.
struct GatewayRelay: UpstreamRelay {
    let gateway: ProviderGateway

    func relay(_ request: RelayedRequest) async throws -> RelayedResponse {
        let answer = try await gateway.send(method: request.method, pathAndQuery: request.pathAndQuery, headers: request.headers,
                                            body: Array(request.body.readableBytesView))
        return RelayedResponse(status: answer.status, contentType: answer.contentType, body: ByteBuffer(bytes: answer.body))
    }
}
