/// What a door knows about a call besides its message: who asks, under which id, and where the
/// door routed it. Every door (binary frames, HTTP, and later gRPC) fills one and hands it to
/// the data plane with the typed request.
public struct RequestContext: Sendable {
    public var requestID: String
    /// Free metadata passed to the runtime (binary HEADERS metadata, gRPC metadata, HTTP headers).
    public var metadata: [String: String]
    /// The `authorization` value the caller sent (`Bearer <token>`), "" when none. A secret:
    /// never logged or echoed.
    public var authorization: String
    /// The model the door routed to (binary HEADERS, a REST path), "" when it did not: a
    /// message naming another model is refused, an empty message name takes this one.
    public var routedModel: String
    public var routedVersion: String

    public init(
        requestID: String, metadata: [String: String] = [:], authorization: String = "",
        routedModel: String = "", routedVersion: String = ""
    ) {
        self.requestID = requestID
        self.metadata = metadata
        self.authorization = authorization
        self.routedModel = routedModel
        self.routedVersion = routedVersion
    }

    /// The context a runtime sees: everything but the caller's credentials, which stop at the
    /// data plane's check.
    public var forRuntime: RequestContext {
        var copy = self
        copy.authorization = ""
        return copy
    }
}

extension RequestContext: CustomStringConvertible {
    /// Printable without the credentials.
    public var description: String {
        "RequestContext(requestID: \(requestID), routedModel: \(routedModel), routedVersion: \(routedVersion), metadata keys: \(metadata.keys.sorted()), authorization: \(authorization.isEmpty ? "none" : "<redacted>"))"
    }
}
