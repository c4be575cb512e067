/// The operator's per-tenant limits (``TenantLimits``), kept with the instances so that every
/// node of a cluster applies the same.
public protocol LimitsStore: Sendable {
    /// Replaces a tenant's limits; ``TenantLimits/defaults`` removes them.
    @_spi(Stores) func putTenantLimits(_ limits: TenantLimits, tenant: String, now: Int64) async throws
    /// Every tenant's limits that differ from the defaults, by tenant.
    @_spi(Stores) func tenantLimits() async throws -> [String: TenantLimits]
}
