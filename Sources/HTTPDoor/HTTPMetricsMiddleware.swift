import Hummingbird
import InferenceService

/// Counts every HTTP request by route pattern, method and status, and times it (to the response
/// head: a streamed body's length is the client's pace, not the server's work).
struct HTTPMetricsMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        metrics.httpFinished(
            route: context.endpointPath ?? "NotFound", method: request.method.rawValue, status: response.status.code,
            duration: ContinuousClock.now - started)
        return response
    }
}
