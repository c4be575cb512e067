/// One tenant's own limits, set by the operator (`PUT /admin/v1/tenants/{id}/limits`,
/// `brigade tenants limits`, ``BrigadeRuntime/setLimits(tenant:_:)``). Each field left nil is
/// the setting every account has (``BrigadeSettings``, `brigade serve`'s flags).
public struct TenantLimits: Sendable, Hashable {
    /// Running instances of the account (``BrigadeSettings/maxRunningPerAccount``).
    public var maxRunning: Int?
    /// Running instances per workflow of the account (``BrigadeSettings/maxRunningPerWorkflow``).
    public var maxRunningPerWorkflow: Int?
    /// Queued instances per workflow of the account (``BrigadeSettings/maxQueuedPerWorkflow``).
    public var maxQueuedPerWorkflow: Int?
    /// Creations per second of the account (``BrigadeSettings/creationRatePerAccount``).
    public var creationRate: Double?
    /// Creations per second per workflow of the account (``BrigadeSettings/creationRatePerWorkflow``).
    public var workflowCreationRate: Double?

    public init(
        maxRunning: Int? = nil, maxRunningPerWorkflow: Int? = nil, maxQueuedPerWorkflow: Int? = nil, creationRate: Double? = nil,
        workflowCreationRate: Double? = nil
    ) {
        self.maxRunning = maxRunning
        self.maxRunningPerWorkflow = maxRunningPerWorkflow
        self.maxQueuedPerWorkflow = maxQueuedPerWorkflow
        self.creationRate = creationRate
        self.workflowCreationRate = workflowCreationRate
    }

    /// No limit of its own: every field is the setting's.
    public static let defaults = TenantLimits()

    /// `settings` with these limits in place of the account-wide ones.
    public func applied(to settings: BrigadeSettings) -> BrigadeSettings {
        var effective = settings
        if let maxRunning { effective.maxRunningPerAccount = maxRunning }
        if let maxRunningPerWorkflow { effective.maxRunningPerWorkflow = maxRunningPerWorkflow }
        if let maxQueuedPerWorkflow { effective.maxQueuedPerWorkflow = maxQueuedPerWorkflow }
        if let creationRate { effective.creationRatePerAccount = creationRate }
        if let workflowCreationRate { effective.creationRatePerWorkflow = workflowCreationRate }
        return effective
    }

    /// These limits with each field `other` sets in place of this one's.
    public func overriding(with other: TenantLimits) -> TenantLimits {
        TenantLimits(
            maxRunning: other.maxRunning ?? maxRunning, maxRunningPerWorkflow: other.maxRunningPerWorkflow ?? maxRunningPerWorkflow,
            maxQueuedPerWorkflow: other.maxQueuedPerWorkflow ?? maxQueuedPerWorkflow, creationRate: other.creationRate ?? creationRate,
            workflowCreationRate: other.workflowCreationRate ?? workflowCreationRate)
    }

    /// Throws `tenant.invalid_limits` naming the first field out of range.
    public func validate() throws {
        func count(_ value: Int?, _ name: String, _ range: ClosedRange<Int>) throws {
            guard let value, !range.contains(value) else { return }
            throw BrigadeError(
                .invalidLimits, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got \(value).")
        }
        func rate(_ value: Double?, _ name: String) throws {
            guard let value, !(value.isFinite && value > 0 && value <= 1_000_000) else { return }
            throw BrigadeError(
                .invalidLimits, "\(name) must be a number of creations per second above 0 and at most 1000000; got \(value).")
        }
        try count(maxRunning, "max_running", 1...10_000_000)
        try count(maxRunningPerWorkflow, "max_running_per_workflow", 1...10_000_000)
        try count(maxQueuedPerWorkflow, "max_queued_per_workflow", 1...1_000_000_000)
        try rate(creationRate, "creation_rate")
        try rate(workflowCreationRate, "workflow_creation_rate")
    }
}

extension BrigadeError.Code {
    /// A tenant limit out of its range.
    public static let invalidLimits = Self(rawValue: "tenant.invalid_limits")
}
