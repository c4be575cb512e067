import Brigade
import Hummingbird

/// Lets only the server's admin token through to the admin routes. Without one configured the
/// admin API is off, and says how to turn it on.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = BrigadeRequestContext
    let adminTokenHash: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let adminTokenHash else {
            throw APIError(
                status: .forbidden, code: 10_403, .adminDisabled,
                "This server has no admin token; start it with --admin-token or BRIGADE_ADMIN_TOKEN.")
        }
        let hint = "the admin routes take the token the server was started with (--admin-token, BRIGADE_ADMIN_TOKEN)."
        guard try TenantAuthenticator.tokenHash(request, hint: hint) == adminTokenHash else {
            throw APIError.unauthenticated("The bearer token is not the admin token; \(hint)")
        }
        return try await next(request, context)
    }
}
