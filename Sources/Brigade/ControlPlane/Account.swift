import Synchronization

/// One tenant's control-plane record: its limits, the Gatekeeper of its concurrency slots, and
/// the token buckets of its creation rates (per account and per workflow).
final class Account: Sendable {
    let tenant: String
    let gatekeeper: Gatekeeper
    /// The settings with the tenant's own limits in place (``TenantLimits``); they change when
    /// the operator sets them.
    private let effective: Mutex<BrigadeSettings>
    var settings: BrigadeSettings { effective.withLock { $0 } }

    private struct Buckets: Sendable {
        var account: TokenBucket?
        var workflows: [String: TokenBucket] = [:]
        /// In a cluster, the live nodes: each admits its share of the rates, so that together
        /// they never admit more than the limits (a client that always reaches one node sees
        /// that node's share).
        var nodes = 1
    }

    private let buckets = Mutex(Buckets())

    init(tenant: String, settings: BrigadeSettings) {
        self.tenant = tenant
        self.effective = Mutex(settings)
        self.gatekeeper = Gatekeeper(tenant: tenant, settings: settings)
    }

    /// Puts new limits in place: the rates start again from full buckets, the per-workflow cap
    /// applies at the next cycle and, on one node, the concurrency at once (in a cluster the
    /// slot share reads it at its next turn).
    func apply(_ settings: BrigadeSettings, shared: Bool) {
        effective.withLock { $0 = settings }
        buckets.withLock { buckets in buckets = Buckets(nodes: buckets.nodes) }
        gatekeeper.setWorkflowCap(settings.maxRunningPerWorkflow)
        if !shared { _ = gatekeeper.setCapacity(settings.maxRunningPerAccount) }
    }

    /// Sets how many live nodes share the creation rates (1 outside a cluster). The buckets start
    /// again at the new rate.
    func shareRates(among nodes: Int) {
        buckets.withLock { buckets in
            guard buckets.nodes != max(1, nodes) else { return }
            buckets = Buckets(nodes: max(1, nodes))
        }
    }

    /// Admits `count` creations (or restarts) of `workflow` at `now`, or throws `rate_limited`
    /// with the time to wait. Both buckets are charged, or neither.
    func admitCreations(workflow: String, count: Int, now: Int64) throws {
        let settings = self.settings
        let burst = Double(settings.creationBurst.wholeMilliseconds) / 1_000
        try buckets.withLock { buckets in
            var checks: [(String, Double, (allowed: Bool, retryAfterMilliseconds: Int64?))] = []
            // The message names the whole limit; this node's bucket fills at its share of it.
            let share = Double(buckets.nodes)
            if let rate = settings.creationRatePerAccount {
                if buckets.account == nil { buckets.account = TokenBucket(rate: rate / share, capacity: rate / share * burst, now: now) }
                checks.append(("account \"\(tenant)\"", rate, buckets.account!.check(count, now: now)))
            }
            if let rate = settings.creationRatePerWorkflow {
                if buckets.workflows[workflow] == nil {
                    buckets.workflows[workflow] = TokenBucket(rate: rate / share, capacity: rate / share * burst, now: now)
                }
                checks.append(("workflow \"\(workflow)\"", rate, buckets.workflows[workflow]!.check(count, now: now)))
            }
            for (scope, rate, check) in checks where !check.allowed {
                let rateText = rate == rate.rounded() ? "\(Int(rate))" : "\(rate)"
                guard let wait = check.retryAfterMilliseconds else {
                    throw BrigadeError(
                        .rateLimited,
                        "Creating \(count) instances at once exceeds what the creation limit of \(scope) (\(rateText) per second) ever allows; send smaller batches."
                    )
                }
                throw BrigadeError(
                    .rateLimited,
                    "Too many instance creations for \(scope): the limit is \(rateText) per second. Retry after \(wait) ms.",
                    retryAfter: .milliseconds(wait)
                )
            }
            if settings.creationRatePerAccount != nil { buckets.account!.take(count) }
            if settings.creationRatePerWorkflow != nil { buckets.workflows[workflow]!.take(count) }
        }
    }
}
