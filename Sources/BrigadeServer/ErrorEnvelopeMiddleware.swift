import HTTPTypes
import Hummingbird

/// Outermost middleware: every error, including the router's own 404 and 405 and a body over
/// the limit, leaves as an envelope. Client input never produces a 5xx unless the server is at
/// fault, and then the detail goes to the log, not the response.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    typealias Context = BrigadeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return apiError.response()
        }
    }
}
