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

    /// The row a store inserts (under `seq`) and its first history entries: queued, with
    /// `workflow_queued`; claimed, as ``InstanceTransition/claim(_:now:)`` leaves that row at its
    /// creation time — the claim's own rule, not a copy of it. A store calls this once per
    /// instance (the seq it passes before the insert does not matter: only the row's other
    /// columns are written).
    public func initial(seq: Int64 = 0) -> (row: InstanceRow, history: [HistoryEntry]) {
        let queued = InstanceRow(
            seq: seq, key: key, status: .queued, params: params, createdAt: createdAt, modifiedAt: createdAt, dueAt: createdAt,
            shard: shard, epoch: 0, retention: retention, stepLimit: stepLimit, trigger: trigger)
        let first = HistoryEntry(.workflowQueued, at: createdAt)
        guard claimed, case .run(let claim) = InstanceTransition.claim(queued, now: createdAt) else { return (queued, [first]) }
        return (claim.row, [first] + claim.history)
    }

    /// The row as a store inserts it, under `seq` (see ``initial(seq:)``).
    public func row(seq: Int64) -> InstanceRow {
        initial(seq: seq).row
    }

    /// What the engine of a claimed instance replays from: its row, no steps, and no events —
    /// none can be stored before the creation commits, and one sent after reaches the engine,
    /// or makes the SousChef drop this snapshot (see `SousChefState`).
    public func claimedSnapshot(seq: Int64) -> ReplaySnapshot {
        ReplaySnapshot(row: row(seq: seq), steps: [], events: [])
    }
}
