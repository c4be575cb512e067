import Brigade
import HTTPTypes
import Hummingbird

/// Takes the tenant from the bearer token, and only from it. A request without a valid token is
/// refused with 401; a path naming another account than the token's answers 404, exactly as an
/// unknown one would, so that no route tells one tenant whether another's ids exist.
///
/// The server's admin token (if it has one) acts as any existing account: the operator's key.
///
/// Without an `Authorization` header, a dashboard session's cookie stands for its account; a
/// request that changes anything must then carry the session's CSRF token in `x-brigade-csrf`
/// (a cookie alone, which another site's form could make the browser send, is not enough).
struct TenantAuthenticator: RouterMiddleware {
    typealias Context = BrigadeRequestContext
    let tenants: any TenantStore
    let adminTokenHash: String?
    var sessions: DashboardSessions? = nil

    static let csrfHeader = HTTPField.Name("x-brigade-csrf")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.headers[.authorization] == nil, let (_, session) = sessions?.session(for: request) {
            let account = context.parameters.get("account") ?? ""
            guard session.account == account else {
                throw APIError.notFound(code: 10_404, .accountNotFound, "No account \"\(account.prefix(80))\".")
            }
            if request.method != .get && request.method != .head {
                guard let given = request.headers[Self.csrfHeader], TenantToken.hash(given) == TenantToken.hash(session.csrf) else {
                    throw APIError(
                        status: .forbidden, code: 10_403, .csrfMissing,
                        "A change from a dashboard session needs its CSRF token in x-brigade-csrf; reload the page.")
                }
            }
            var context = context
            context.tenant = session.account
            return try await next(request, context)
        }
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
            throw APIError.notFound(code: 10_404, .accountNotFound, "No account \"\(account.prefix(80))\".")
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
