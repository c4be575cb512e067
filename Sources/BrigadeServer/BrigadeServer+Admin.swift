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
        // GET /admin/v1/tenants/{tenant_id}/limits → its own limits and those in force.
        admin.get("tenants/:tenant/limits") { _, context in
            let id = context.parameters.get("tenant") ?? ""
            guard try await tenants.tenant(id: id) != nil else { throw BrigadeError.tenantNotFound(id) }
            return Self.envelope(try await limitsItem(tenant: id))
        }
        // PUT /admin/v1/tenants/{tenant_id}/limits {max_running?, max_running_per_workflow?,
        // max_queued_per_workflow?, creation_rate?, workflow_creation_rate?, fetch_hosts?,
        // fetch_private_hosts?}: replaces its own limits (a field absent or null: the server's
        // setting).
        admin.put("tenants/:tenant/limits") { request, context in
            let id = context.parameters.get("tenant") ?? ""
            guard try await tenants.tenant(id: id) != nil else { throw BrigadeError.tenantNotFound(id) }
            try await runtime.setLimits(tenant: id, try Self.tenantLimits(try await requestBody(request, context) ?? .null))
            return Self.envelope(try await limitsItem(tenant: id))
        }
    }

    /// A tenant's limits: its own (`null`: the server's setting) and those in force.
    func limitsItem(tenant: String) async throws -> JSONValue {
        let own = try await runtime.limits(tenant: tenant)
        let effective = own.applied(to: runtime.settings)
        let inForce = TenantLimits(
            maxRunning: effective.maxRunningPerAccount, maxRunningPerWorkflow: effective.maxRunningPerWorkflow,
            maxQueuedPerWorkflow: effective.maxQueuedPerWorkflow, creationRate: effective.creationRatePerAccount,
            workflowCreationRate: effective.creationRatePerWorkflow, fetchHosts: own.fetchHosts ?? fetchHosts,
            fetchPrivateHosts: own.fetchPrivateHosts ?? [])
        return .object(["tenant": .string(tenant), "limits": Self.limitsJSON(own), "effective": Self.limitsJSON(inForce)])
    }

    /// Limits on the wire: each field a number, or null (the server's setting, or no limit).
    public static func limitsJSON(_ limits: TenantLimits) -> JSONValue {
        func number(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
        func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
        func hosts(_ value: [String]?) -> JSONValue { value.map { .array($0.map(JSONValue.string)) } ?? .null }
        return .object([
            "max_running": number(limits.maxRunning), "max_running_per_workflow": number(limits.maxRunningPerWorkflow),
            "max_queued_per_workflow": number(limits.maxQueuedPerWorkflow), "creation_rate": number(limits.creationRate),
            "workflow_creation_rate": number(limits.workflowCreationRate), "fetch_hosts": hosts(limits.fetchHosts),
            "fetch_private_hosts": hosts(limits.fetchPrivateHosts),
        ])
    }

    /// `PUT …/limits`: every field a whole number or a rate, or null for the server's setting; an
    /// unknown field is refused (a typo would otherwise leave a limit unset).
    public static func tenantLimits(_ body: JSONValue) throws -> TenantLimits {
        let object = try Self.object(body, "The request body")
        let known = [
            "max_running", "max_running_per_workflow", "max_queued_per_workflow", "creation_rate", "workflow_creation_rate", "fetch_hosts",
            "fetch_private_hosts",
        ]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest(
                .invalidLimits, "Unknown limit \"\(unknown.prefix(40))\"; the limits are \(known.joined(separator: ", ")).")
        }
        func count(_ name: String) throws -> Int? {
            switch object[name] {
            case nil, .null?: return nil
            case let value?:
                guard let number = value.wholeNumber(in: Int.min...Int.max) else {
                    throw APIError.badRequest(.invalidLimits, "\(name) must be a whole number or null; got \(value.jsonText(limit: 40)).")
                }
                return number
            }
        }
        func rate(_ name: String) throws -> Double? {
            switch object[name] {
            case nil, .null?: return nil
            case .number(let value)?: return value
            case let value?:
                throw APIError.badRequest(
                    .invalidLimits, "\(name) must be a number of creations per second or null; got \(value.jsonText(limit: 40)).")
            }
        }
        func hosts(_ name: String) throws -> [String]? {
            switch object[name] {
            case nil, .null?: return nil
            case .array(let values)?:
                return try values.map { value in
                    guard case .string(let host) = value else {
                        throw APIError.badRequest(
                            .invalidLimits, "\(name) must be an array of host names or null; got \(value.jsonText(limit: 40)) in it.")
                    }
                    return host
                }
            case let value?:
                throw APIError.badRequest(
                    .invalidLimits, "\(name) must be an array of host names or null; got \(value.jsonText(limit: 40)).")
            }
        }
        let limits = TenantLimits(
            maxRunning: try count("max_running"), maxRunningPerWorkflow: try count("max_running_per_workflow"),
            maxQueuedPerWorkflow: try count("max_queued_per_workflow"), creationRate: try rate("creation_rate"),
            workflowCreationRate: try rate("workflow_creation_rate"), fetchHosts: try hosts("fetch_hosts"),
            fetchPrivateHosts: try hosts("fetch_private_hosts"))
        try limits.validate()
        return limits
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
