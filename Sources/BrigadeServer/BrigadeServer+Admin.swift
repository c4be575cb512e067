import Brigade
import Foundation
import Hummingbird

extension BrigadeServer {
    /// The operator's routes under `/admin/v1` (Brigade's own, not Cloudflare's): tenants and
    /// their tokens. Only the admin token opens them.
    func addAdminRoutes(to admin: RouterGroup<BrigadeRequestContext>) {
        // GET /admin/v1/tenants
        admin.get("tenants") { _, _ in
            Self.envelope(.array(try await tenants.tenants().map(Self.tenantItem)))
        }
        // POST /admin/v1/tenants {"id": "acme"} → the tenant and its token (shown once).
        admin.post("tenants") { request, context in
            let body = try Self.object(try await requestBody(request, context) ?? .null, "The request body")
            guard let id = try Self.string(body["id"], "id") else {
                throw APIError.badRequest(.invalidTenantId, "Send {\"id\": \"<tenant id>\"}.")
            }
            try TenantRecord.validate(id: id)
            let token = TenantToken.generate()
            let record = TenantRecord(id: id, tokenHash: TenantToken.hash(token), createdAt: Date().millisecondsSince1970)
            try await tenants.createTenant(record)
            return Self.envelope(Self.tenantItem(record).merging(["token": .string(token)]))
        }
        // POST /admin/v1/tenants/{tenant_id}/token → a new token; the old one stops working.
        admin.post("tenants/:tenant/token") { _, context in
            let id = context.parameters.get("tenant") ?? ""
            let token = TenantToken.generate()
            try await tenants.rotateToken(tenant: id, tokenHash: TenantToken.hash(token), now: Date().millisecondsSince1970)
            guard let record = try await tenants.tenant(id: id) else {
                throw BrigadeError.tenantNotFound(id)
            }
            return Self.envelope(Self.tenantItem(record).merging(["token": .string(token)]))
        }
    }

    /// A tenant as the admin API lists it (never its token hash).
    public static func tenantItem(_ tenant: TenantRecord) -> JSONValue {
        .object([
            "id": .string(tenant.id), "created_on": WireFormat.timestamp(tenant.createdAt),
            "token_rotated_on": WireFormat.timestamp(tenant.tokenRotatedAt),
        ])
    }
}

extension JSONValue {
    /// This object with `other`'s keys added (or replaced); other values unchanged.
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard case .object(var object) = self else { return self }
        object.merge(other) { $1 }
        return .object(object)
    }
}
