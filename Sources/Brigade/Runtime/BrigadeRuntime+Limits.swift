import Foundation

/// Per-tenant limits: the operator gives one tenant limits of its own (``TenantLimits``) in place
/// of the settings every account has. Kept in the store, so they outlive a restart and every
/// node of a cluster applies them (each reads them again every ``BrigadeSettings/clusterPollInterval``).
extension BrigadeRuntime {
    /// A tenant's own limits (``TenantLimits/defaults`` when it has none).
    public func limits(tenant: String) async throws -> TenantLimits {
        try await ready()
        return state.withLock { $0.limits[tenant] ?? .defaults }
    }

    /// A tenant's own limits as this node holds them now, without waiting (``TenantLimits/defaults``
    /// before the runtime has read them): for what is asked on every call, such as the egress
    /// policy of each `fetch()`.
    public func currentLimits(tenant: String) -> TenantLimits {
        state.withLock { $0.limits[tenant] ?? .defaults }
    }

    /// The settings a tenant runs under: the runtime's, with its own limits in place.
    public func effectiveSettings(tenant: String) async throws -> BrigadeSettings {
        try await limits(tenant: tenant).applied(to: settings)
    }

    /// Gives a tenant limits of its own (``TenantLimits/defaults`` removes them), in force at
    /// once on this node. Throws `tenant.invalid_limits` for a value out of range.
    public func setLimits(tenant: String, _ limits: TenantLimits) async throws {
        try limits.validate()
        try await ready()
        try await store.putTenantLimits(limits, tenant: tenant, now: clock.nowMilliseconds())
        apply([tenant: limits], replacingAll: false)
    }

    /// Reads every tenant's limits from the store (at the start, once).
    func loadLimits() async throws {
        let stored = try await store.tenantLimits()
        state.withLock { $0.limits = stored }
    }

    /// In a cluster: reads the limits again every poll interval, for changes made on other nodes.
    func limitsLoop() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(
                    until: Date(millisecondsSince1970: clock.nowMilliseconds() + settings.clusterPollInterval.wholeMilliseconds))
            } catch {
                return
            }
            do {
                apply(try await store.tenantLimits(), replacingAll: true)
            } catch {
                logger.warning("reading tenants' limits failed; the ones in force stay: \(error)")
            }
        }
    }

    /// Puts `changed` in force on the accounts that exist; with `replacingAll`, a tenant absent
    /// from it goes back to the defaults.
    private func apply(_ changed: [String: TenantLimits], replacingAll: Bool) {
        let shared = store is any LeaseStore
        let updates = state.withLock { state -> [(Account, TenantLimits)] in
            var updates: [(Account, TenantLimits)] = []
            let tenants = replacingAll ? Set(state.limits.keys).union(changed.keys) : Set(changed.keys)
            for tenant in tenants {
                let new = changed[tenant] ?? .defaults
                guard (state.limits[tenant] ?? .defaults) != new else { continue }
                state.limits[tenant] = new == .defaults ? nil : new
                if let account = state.accounts[tenant] { updates.append((account, new)) }
            }
            return updates
        }
        for (account, limits) in updates { account.apply(limits.applied(to: settings), shared: shared) }
    }
}
