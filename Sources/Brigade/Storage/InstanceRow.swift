import Foundation

/// One row of the `instances` table: the Engine's source of truth for an instance.
public struct InstanceRow: Sendable, Hashable {
    /// Store-assigned sequence number; the internal primary key.
    public var seq: Int64
    public var key: InstanceKey
    public var status: InstanceStatus
    /// The creation `params` as JSON.
    public var params: Data
    /// The `run` result as JSON, once `complete`.
    public var output: Data?
    /// The error, once `errored`.
    public var error: ErrorInfo?
    public var createdAt: Int64
    public var modifiedAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var pausedAt: Int64?
    /// The alarm: when the instance must next be looked at (creation, a timer, an event).
    public var dueAt: Int64?
    public var shard: Int
    /// The fencing epoch: bumped by every claim and every administrative change. A write that
    /// carries an older epoch is rejected.
    public var epoch: Int64
    public var retention: Retention?
    /// When the finished instance is purged.
    public var expiresAt: Int64?
    /// Its own limit on `step.do` calls (its workflow definition's `limits.steps` when it was
    /// created); nil for the `maxStepsPerInstance` setting.
    public var stepLimit: Int?
    /// A terminate with rollback was asked for (contract §2.3): the next engine replays `run`
    /// only as far as its finished steps, runs the rollbacks they registered, and ends the
    /// instance `terminated`.
    public var terminating: Bool
    /// What created it: the API, a binding, or a cron schedule's firing.
    public var trigger: InstanceTrigger

    public init(
        seq: Int64, key: InstanceKey, status: InstanceStatus, params: Data, output: Data? = nil,
        error: ErrorInfo? = nil, createdAt: Int64, modifiedAt: Int64, startedAt: Int64? = nil,
        endedAt: Int64? = nil, pausedAt: Int64? = nil, dueAt: Int64? = nil, shard: Int, epoch: Int64,
        retention: Retention? = nil, expiresAt: Int64? = nil, stepLimit: Int? = nil, terminating: Bool = false,
        trigger: InstanceTrigger = .api
    ) {
        self.trigger = trigger
        self.stepLimit = stepLimit
        self.terminating = terminating
        self.seq = seq
        self.key = key
        self.status = status
        self.params = params
        self.output = output
        self.error = error
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.pausedAt = pausedAt
        self.dueAt = dueAt
        self.shard = shard
        self.epoch = epoch
        self.retention = retention
        self.expiresAt = expiresAt
    }
}
