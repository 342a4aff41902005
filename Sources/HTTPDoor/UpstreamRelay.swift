import HTTPTypes
import Hummingbird
import InferWireCore
import InferenceService
import NIOCore

/// Routes the HTTP door passes to an upstream as they are (the providers' tuning APIs), so one
/// gateway holds the provider keys: the door checks the caller's bearer token like on every
/// other route, drops the caller's credentials, and the relay sends the request with its own.
public protocol UpstreamRelay: Sendable {
    func relay(_ request: RelayedRequest) async throws -> RelayedResponse
}

public struct RelayedRequest: Sendable {
    public var method: String
    /// Path and query as the caller sent them, e.g. `/v1/fine_tuning/jobs?limit=2`.
    public var pathAndQuery: String
    /// The caller's headers minus credentials and hop-by-hop ones.
    public var headers: [(name: String, value: String)]
    public var body: ByteBuffer
}

public struct RelayedResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: ByteBuffer

    public init(status: Int, contentType: String?, body: ByteBuffer) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// Which paths go to which relay: each prefix as an exact path and everything under it.
public struct RelayRoute: Sendable {
    public var prefix: String
    public var methods: [HTTPRequest.Method]
    public var relay: any UpstreamRelay

    public init(prefix: String, methods: [HTTPRequest.Method] = [.get, .post, .patch, .delete], relay: any UpstreamRelay) {
        self.prefix = prefix
        self.methods = methods
        self.relay = relay
    }
}

struct RelayRoutes {
    let routes: [RelayRoute]
    let dataPlane: DataPlane
    let maxBodyBytes: Int

    /// Headers never passed on: the caller's credentials (the relay adds the provider's) and
    /// what belongs to this connection.
    static let dropped: Set<String> = [
        "authorization", "x-goog-api-key", "api-key", "host", "content-length", "connection", "transfer-encoding",
        "keep-alive", "te", "upgrade", "cookie", "expect",
    ]

    func register(on router: Router<BasicRequestContext>) {
        for route in routes {
            for path in [route.prefix, route.prefix + "/**"] {
                for method in route.methods {
                    router.on(RouterPath(path), method: method) { request, _ in try await relay(request, through: route.relay) }
                }
            }
        }
    }

    private func relay(_ request: Request, through relay: any UpstreamRelay) async throws -> Response {
        // A Gemini client sends its key as x-goog-api-key: that is where it puts this server's token.
        let authorization = request.headers[.authorization] ?? request.headers[HTTPField.Name("x-goog-api-key")!].map { "Bearer \($0)" } ?? ""
        try dataPlane.access.admit(authorization, .tuning, model: nil)
        let body = try await request.body.collect(upTo: maxBodyBytes)
        let headers = request.headers.filter { !Self.dropped.contains($0.name.canonicalName) }.map { (name: $0.name.canonicalName, value: $0.value) }
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let answer = try await relay.relay(RelayedRequest(method: request.method.rawValue, pathAndQuery: target, headers: headers, body: body))
        var fields = HTTPFields()
        if let contentType = answer.contentType { fields[.contentType] = contentType }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: .init(byteBuffer: answer.body))
    }
}
