import Brigade
import Hummingbird

/// Takes the tenant from the bearer token, and only from it. A request without a valid token is
/// refused with 401; a path naming another account than the token's answers 404, exactly as an
/// unknown one would, so that no route tells one tenant whether another's ids exist.
struct TenantAuthenticator: RouterMiddleware {
    typealias Context = BrigadeRequestContext
    let tenants: any TenantStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthenticated("Send `Authorization: Bearer <token>`; `brigade tenants create` prints a tenant's token.")
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard token.count <= 256, let tenant = try await tenants.tenant(tokenHash: TenantToken.hash(token)) else {
            throw APIError.unauthenticated("The bearer token is not valid; `brigade tenants rotate-token` issues a new one.")
        }
        guard context.parameters.get("account") == tenant.id else {
            throw APIError.notFound(code: 10_404, "(account.not_found) No account \"\(context.parameters.get("account") ?? "")\".")
        }
        var context = context
        context.tenant = tenant.id
        return try await next(request, context)
    }
}
