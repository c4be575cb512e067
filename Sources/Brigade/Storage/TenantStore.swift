import Foundation

/// Where tenants and their token hashes are kept (the same database as the instances).
public protocol TenantStore: Sendable {
    /// Adds a tenant. Throws `tenant.already_exists` if the id is taken.
    func createTenant(_ tenant: TenantRecord) async throws
    /// Every tenant, by id.
    func tenants() async throws -> [TenantRecord]
    /// The tenant with this id, if any.
    func tenant(id: String) async throws -> TenantRecord?
    /// The tenant whose token hashes to `tokenHash`, if any.
    func tenant(tokenHash: String) async throws -> TenantRecord?
    /// Replaces a tenant's token hash; the old token stops working at once. Throws
    /// `tenant.not_found` for an unknown id.
    func rotateToken(tenant: String, tokenHash: String, now: Int64) async throws
}

extension BrigadeError.Code {
    public static let tenantAlreadyExists = Self(rawValue: "tenant.already_exists")
    public static let tenantNotFound = Self(rawValue: "tenant.not_found")
    public static let invalidTenantId = Self(rawValue: "tenant.invalid_id")
}
