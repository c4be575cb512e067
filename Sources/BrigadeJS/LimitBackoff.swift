/// How long a tenant whose code keeps running into the sandbox's limits waits before its code runs
/// again: the rule, pure (times are monotonic nanoseconds the caller passes in).
///
/// Every stop by a limit ends that instance, so a hostile tenant can only keep burning CPU by
/// starting instance after instance (or deploying module after module), each running up to its
/// limit. Isolation keeps those entries off the shared VMs, but the cores are still shared: the
/// abuser's entries, the collector and compiler working for them and the engine's work of
/// recording each failure took the neighbours' p99 to 3–5× its idle value with five abusers on
/// two cores (RELIABILITY.md). So each stop is a strike against the tenant: the first is free
/// (one mistake costs nothing), and from the second on its next entry waits `base`, doubling with
/// each further strike up to `cap`. Strikes are forgotten `memory` after the last one. A tenant
/// that stopped hitting limits runs as before; one that never stops ends up running one entry a
/// `cap`, whatever it starts.
struct LimitBackoff {
    /// A tenant's strikes: how many, and the last one's time (its code waits until
    /// `last + wait(afterStrikes: count)`).
    struct Strikes: Equatable {
        var count: Int
        var last: UInt64
    }

    let base: UInt64
    let cap: UInt64
    let memory: UInt64
    private(set) var tenants: [String: Strikes] = [:]
    /// Tenants remembered at most; beyond this the forgotten ones are dropped first, then all
    /// (a flood of throwaway tenants must not grow the process).
    static let maxTenants = 10_000

    /// `base`, `cap` and `memory` in nanoseconds; a `base` of 0 turns the back-off off.
    init(base: UInt64, cap: UInt64, memory: UInt64) {
        self.base = base
        self.cap = max(base, cap)
        self.memory = memory
    }

    /// Counts a stop of `tenant`'s code at `now`; returns how long its next entry will wait.
    @discardableResult
    mutating func strike(_ tenant: String, at now: UInt64) -> UInt64 {
        guard base > 0 else { return 0 }
        var strikes = remembered(tenant, at: now) ?? Strikes(count: 0, last: now)
        strikes.count += 1
        strikes.last = now
        let wait = Self.wait(afterStrikes: strikes.count, base: base, cap: cap)
        if tenants.count >= Self.maxTenants, tenants[tenant] == nil {
            tenants = tenants.filter { now &- $0.value.last < memory }
            if tenants.count >= Self.maxTenants { tenants.removeAll() }
        }
        tenants[tenant] = strikes
        return wait
    }

    /// How long `tenant`'s next entry must wait from `now` (0: it runs at once).
    mutating func wait(for tenant: String, at now: UInt64) -> UInt64 {
        guard let strikes = remembered(tenant, at: now) else { return 0 }
        let until = strikes.last &+ Self.wait(afterStrikes: strikes.count, base: base, cap: cap)
        return until > now ? until - now : 0
    }

    /// The wait after the `count`th strike: none for the first, `base` for the second, doubling
    /// after, at most `cap`.
    static func wait(afterStrikes count: Int, base: UInt64, cap: UInt64) -> UInt64 {
        guard count >= 2, base > 0 else { return 0 }
        let doublings = min(count - 2, 62)
        let (wait, overflow) = base.multipliedReportingOverflow(by: 1 << UInt64(doublings))
        return overflow ? cap : min(wait, cap)
    }

    /// `tenant`'s strikes, if one was in the last `memory`; older ones are forgotten.
    private mutating func remembered(_ tenant: String, at now: UInt64) -> Strikes? {
        guard let strikes = tenants[tenant] else { return nil }
        if now &- strikes.last < memory { return strikes }
        tenants[tenant] = nil
        return nil
    }
}
