import Foundation

/// Instances, their steps, events and history.
///
/// All state-changing calls are atomic. Writes made on behalf of an Engine carry its claim epoch
/// and are rejected with `FencedWriteError` once the epoch is stale. Administrative changes
/// (pause, resume, terminate, restart, delete) bump the epoch, so they fence any engine still
/// running the instance; their rules are `InstanceTransition`'s, not the store's. Times are
/// milliseconds since 1970 taken from the engine's clock.
public protocol InstanceStore: Sendable {

    /// Inserts new instances (status `queued`, due now, a `workflow_queued` history entry).
    /// Instances whose retention has expired are purged first so that their ids can be reused.
    /// Throws `workflow.queue_full` when the workflow would hold more than `maxQueued` queued
    /// instances.
    /// - Returns: for each input, its new sequence number, or nil when it was skipped because the
    ///   id exists. With `skipExisting == false` an existing id throws `instance.already_exists`.
    @_spi(Stores) func createInstances(_ instances: [NewInstance], skipExisting: Bool, maxQueued: Int) async throws -> [Int64?]

    /// The instance row, or nil.
    @_spi(Stores) func instance(_ key: InstanceKey) async throws -> InstanceRow?

    /// Claims an instance for an Engine: bumps the epoch and marks it `running`, and returns
    /// everything a replay needs, read in the same transaction. With a `lease` (a store shared
    /// by a cluster), throws `FencedWriteError` and changes nothing once the node no longer
    /// holds it; a store of one node ignores it.
    @_spi(Stores) func claim(seq: Int64, now: Int64, lease: LeaseFence?) async throws -> ClaimResult

    /// Applies an Engine's write. `awaitCommit == false` queues it for the next commit and
    /// returns at once (used for records whose loss in a crash is harmless).
    @_spi(Stores) func write(_ write: InstanceWrite, awaitCommit: Bool) async throws

    /// Non-terminal instances of one shard whose alarm is due at or before `dueBefore`, in
    /// (due time, seq) order, starting after `after` (from the beginning when nil).
    @_spi(Stores) func dueInstances(_ shard: ShardKey, after: DueInstance.Position?, dueBefore: Int64, limit: Int) async throws -> [DueInstance]

    /// The shards (tenant, workflow, shard) that hold instances with an alarm set.
    @_spi(Stores) func activeShards() async throws -> [ShardKey]

    /// Stores an event for an instance and, when it is hibernating, makes it due now.
    @_spi(Stores) func sendEvent(_ key: InstanceKey, type: String, payload: Data, now: Int64) async throws -> SentEvent

    /// The oldest event of `type` the instance `seq` has not consumed, or nil (how a child's
    /// outcome, stored by the child's last write, reaches its parent's engine in memory).
    @_spi(Stores) func pendingEvent(instance seq: Int64, type: String) async throws -> EventRecord?

    /// Applies an administrative transition: reads the row under the store's write lock, asks
    /// `InstanceTransition.decide(_:steps:now:)` (with the steps when
    /// `InstanceTransition.needsSteps`) and applies the change it answers in the same
    /// transaction. Throws `instance.not_found` for an unknown key, and what the decision throws.
    /// - Returns: the row as it is afterwards.
    @_spi(Stores) func apply(_ transition: InstanceTransition, to key: InstanceKey, now: Int64) async throws -> InstanceRow

    /// Deletes an instance and everything stored for it.
    @_spi(Stores) func delete(_ key: InstanceKey) async throws -> InstanceRow

    /// Deletes finished instances whose retention ended before `now`.
    @_spi(Stores) func purgeExpired(now: Int64, limit: Int) async throws -> Int

    /// The step records of an instance, in recording order.
    @_spi(Stores) func steps(of key: InstanceKey) async throws -> [StepRecord]

    /// History events of an instance after `afterId`, in id order.
    @_spi(Stores) func history(of key: InstanceKey, afterId: Int64, limit: Int) async throws -> [HistoryEvent]

    /// The history events of a tenant's instances — of one workflow, or of all when `workflow` is
    /// nil — committed after `cursor` (nil: from the first), in commit order: a reader that
    /// resumes from the last cursor it saw gets every later event once, including those of
    /// transactions that were still open when it last read. At most `limit`.
    @_spi(Stores) func historyFeed(tenant: String, workflow: String?, after cursor: String?, limit: Int) async throws -> [FeedEvent]

    /// The cursor of the feed's present: reading after it gives only what commits from now on
    /// (on PostgreSQL, possibly also a few events of transactions that were running now).
    @_spi(Stores) func historyFeedHead() async throws -> String

    /// Up to `limit` instances of a workflow in (creation time, id) order, strictly after
    /// `position` in that direction, optionally of one status and created within `created`
    /// (milliseconds, inclusive).
    @_spi(Stores) func listInstances(
        tenant: String, workflow: String, status: InstanceStatus?, created: ClosedRange<Int64>?, after position: ListingPosition?,
        direction: InstanceQuery.Direction, limit: Int
    ) async throws -> [InstanceRow]

    /// How many instances of a workflow are in each status (statuses with none are absent).
    @_spi(Stores) func instanceCounts(tenant: String, workflow: String) async throws -> [InstanceStatus: Int]

    /// How many instances are in each status, over every tenant and workflow (for metrics).
    @_spi(Stores) func instanceCountsByStatus() async throws -> [InstanceStatus: Int]
}

extension InstanceStore {
    /// Claims an instance without a lease (one node).
    @_spi(Stores) public func claim(seq: Int64, now: Int64) async throws -> ClaimResult {
        try await claim(seq: seq, now: now, lease: nil)
    }
}
