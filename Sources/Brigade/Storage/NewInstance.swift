import Foundation

/// A new instance, as written by the creation path.
@_spi(Stores) public struct NewInstance: Sendable {
    public var key: InstanceKey
    public var params: Data
    public var shard: Int
    public var retention: Retention?
    public var createdAt: Int64
    /// Its own step limit, or nil for the setting.
    public var stepLimit: Int?
    /// What created it (`api` unless a schedule or a binding did).
    public var trigger: InstanceTrigger
    /// Claimed by its creation for an engine of this node (one node, no leases): written
    /// `running` at epoch 1 with the first claim's history, so that the engine starts from
    /// ``claimedSnapshot(seq:)`` without a claim of its own — one write fewer per instance. What
    /// a claimed row holds is ``InstanceTransition/claim(_:now:)``'s rule applied at creation.
    public var claimed: Bool = false

    public init(
        key: InstanceKey, params: Data, shard: Int, retention: Retention?, createdAt: Int64, stepLimit: Int? = nil,
        trigger: InstanceTrigger = .api
    ) {
        self.stepLimit = stepLimit
        self.trigger = trigger
        self.key = key
        self.params = params
        self.shard = shard
        self.retention = retention
        self.createdAt = createdAt
    }

    /// The status it is written with.
    public var status: InstanceStatus { claimed ? .running : .queued }
    /// The epoch it is written with: a claimed instance is at its first claim's.
    public var epoch: Int64 { claimed ? 1 : 0 }
    /// When it started: at creation when claimed.
    public var startedAt: Int64? { claimed ? createdAt : nil }
    /// Its first history entries: `workflow_queued`, and the first claim's when claimed.
    public var history: [HistoryEntry] {
        let queued = HistoryEntry(.workflowQueued, at: createdAt)
        return claimed ? [queued] + InstanceTransition.claimHistory(startedBefore: false, at: createdAt) : [queued]
    }

    /// The row as a store inserts it, under `seq`.
    public func row(seq: Int64) -> InstanceRow {
        InstanceRow(
            seq: seq, key: key, status: status, params: params, createdAt: createdAt, modifiedAt: createdAt, startedAt: startedAt,
            dueAt: createdAt, shard: shard, epoch: epoch, retention: retention, stepLimit: stepLimit, trigger: trigger)
    }

    /// What the engine of a claimed instance replays from: its row, no steps, and no events —
    /// none can be stored before the creation commits, and one sent after reaches the engine,
    /// or makes the SousChef drop this snapshot (see `SousChefState`).
    public func claimedSnapshot(seq: Int64) -> ReplaySnapshot {
        ReplaySnapshot(row: row(seq: seq), steps: [], events: [])
    }
}
