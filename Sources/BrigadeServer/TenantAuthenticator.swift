import Brigade
import Hummingbird

/// Takes the tenant from the bearer token, and only from it. A request without a valid token is
/// refused with 401; a path naming another account than the token's answers 404, exactly as an
/// unknown one would, so that no route tells one tenant whether another's ids exist.
///
/// The server's admin token (if it has one) acts as any existing account: the operator's key.
struct TenantAuthenticator: RouterMiddleware {
    typealias Context = BrigadeRequestContext
    let tenants: any TenantStore
    let adminTokenHash: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let hash = try Self.tokenHash(request, hint: "`brigade tenants create` prints a tenant's token.")
        let account = context.parameters.get("account") ?? ""
        let tenant: TenantRecord?
        if hash == adminTokenHash {
            tenant = try await tenants.tenant(id: account)
        } else {
            guard let owner = try await tenants.tenant(tokenHash: hash) else {
                throw APIError.unauthenticated("The bearer token is not valid; `brigade tenants rotate-token` issues a new one.")
            }
            tenant = owner.id == account ? owner : nil
        }
        guard let tenant else {
            throw APIError.notFound(code: 10_404, "(account.not_found) No account \"\(account.prefix(80))\".")
        }
        var context = context
        context.tenant = tenant.id
        return try await next(request, context)
    }

    /// The SHA-256 of the request's bearer token; 401 when there is none.
    static func tokenHash(_ request: Request, hint: String) throws -> String {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthenticated("Send `Authorization: Bearer <token>`; \(hint)")
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 256 else {
            throw APIError.unauthenticated("The bearer token is not valid; \(hint)")
        }
        return TenantToken.hash(token)
    }
}

/// Lets only the server's admin token through to the admin routes. Without one configured the
/// admin API is off, and says how to turn it on.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = BrigadeRequestContext
    let adminTokenHash: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let adminTokenHash else {
            throw APIError(
                status: .forbidden, code: 10_403,
                message: "(admin.disabled) This server has no admin token; start it with --admin-token or BRIGADE_ADMIN_TOKEN.")
        }
        let hint = "the admin routes take the token the server was started with (--admin-token, BRIGADE_ADMIN_TOKEN)."
        guard try TenantAuthenticator.tokenHash(request, hint: hint) == adminTokenHash else {
            throw APIError.unauthenticated("The bearer token is not the admin token; \(hint)")
        }
        return try await next(request, context)
    }
}
