import Hummingbird
import InferWireCore
import NIOCore

/// Every failure as V2's JSON error body, `{"error": "<message>"}`, with its HTTP status: call
/// errors, unknown routes, bodies over the limit, anything else (500).
struct JSONErrorMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as InferenceError {
            return Self.response(HTTPResponse.Status(error.code), error.message).retryAfter(error)
        } catch is NIOTooManyBytesError {
            return Self.response(.contentTooLarge, "the request body is larger than this server accepts")
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return Self.response(error.status, message)
        } catch {
            return Self.response(.internalServerError, "\(error)")
        }
    }

    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: V2InferCall.errorBody(message)))
    }
}

extension Response {
    /// A rate-limited call's `Retry-After` (RESOURCE_EXHAUSTED from a token's rate), if any.
    func retryAfter(_ error: InferenceError) -> Response {
        guard let seconds = error.details[InferenceError.retryAfterKey] else { return self }
        var response = self
        response.headers[.retryAfter] = seconds
        return response
    }
}
