import Foundation

/// Nodes and shard leases: the capability a store has when several Brigade nodes can share it
/// (PostgreSQL). A store without it (SQLite) is one node that runs every shard.
///
/// Every time in here is the **database's** clock: nodes' clocks may disagree, and a lease's
/// expiry must mean the same to all of them. A store only reads and writes rows; which slots to
/// take or give up is ``LeasePlan``'s decision.
public protocol LeaseStore: Sendable {
    /// Records that `node` is alive until `ttl` from now, extends every lease it holds to `ttl`
    /// from now (including one that expired while no other node took it), and answers what the
    /// cluster looks like afterwards, in one transaction. A slot the node held that the answer no
    /// longer gives it (another node, another epoch) is lost.
    @_spi(Stores) func heartbeat(node: String, ttl: Duration) async throws -> ClusterView

    /// What the cluster looks like, without a heartbeat (for `brigade cluster status`).
    @_spi(Stores) func clusterView() async throws -> ClusterView

    /// Takes each of `slots` that is free (never leased, expired, or already this node's), bumping
    /// its epoch when it changes hands, and extends it to `ttl` from now.
    /// - Returns: the slots taken, with their epochs; a slot another node still holds is absent.
    @_spi(Stores) func acquire(slots: [Int], node: String, ttl: Duration) async throws -> [LeaseFence]

    /// Gives up `slots` at once (expired now), so that another node can take them without waiting
    /// for the expiry. Only slots this node holds are touched.
    @_spi(Stores) func release(slots: [Int], node: String) async throws

    /// Removes `node`: releases its leases and deletes its row (a graceful shutdown).
    @_spi(Stores) func leave(node: String) async throws

    /// Wakes the node that runs the wake-up's shard (another process): a creation, an event or an
    /// administrative change of one of its instances was committed.
    @_spi(Stores) func wake(_ wakeup: ShardWakeup) async throws

    /// A stored event of an instance that has not been consumed, for the owner of a wake-up of
    /// kind ``ShardWakeup/Kind/event`` whose engine is in memory; nil once it was consumed.
    @_spi(Stores) func pendingEvent(_ eventSeq: Int64, instance seq: Int64) async throws -> EventRecord?

    /// Records `report` as `node`'s row for `tenant`'s concurrency slots and answers how many the
    /// node may use now, under a lock per account so that the rows read are the truth: the
    /// decision is ``SlotShare/decide(node:holders:limit:)`` over the rows of live nodes. When it
    /// is fewer than the row held, `shrink` is called inside the transaction with it, lowers the
    /// node's capacity and answers how many instances still run; the row then holds the larger
    /// of the two, so the holdings never add up past the limit while those instances stop. A
    /// larger number is the caller's to apply after this returns (it is committed then).
    @_spi(Stores) func shareSlots(
        tenant: String, node: String, limit: Int, report: SlotShare.Holder, shrink: @escaping @Sendable (Int) -> Int
    ) async throws -> Int

    /// The wake-ups addressed to this store's nodes, until the task is cancelled. The sweep covers
    /// any that are lost (a dropped connection, a node that started after the wake-up).
    @_spi(Stores) func wakeups() -> AsyncStream<ShardWakeup>
}

/// A wake-up of a shard by another node: what was committed for which of its instances.
@_spi(Stores) public struct ShardWakeup: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A new instance.
        case created
        /// An event was stored (`event` is its seq).
        case event
        /// Paused, resumed, terminated, restarted or deleted: the owner drops what it holds in
        /// memory for the instance and reads it again.
        case changed
        /// A stream on the sending node follows the instance: the node that runs it sends
        /// `history` after its writes for ``InstanceSignals/remoteWatchTime`` (renewed by the
        /// stream while it lives).
        case watch
        /// The instance's history grew on the node that runs it: streams that follow it read
        /// again.
        case history
    }

    public var kind: Kind
    public var tenant: String
    public var workflow: String
    public var shard: Int
    public var seq: Int64
    public var id: String
    public var event: Int64?
    /// The instance's status when the event was stored.
    public var status: InstanceStatus?

    public init(kind: Kind, shard: ShardKey, seq: Int64, id: String, event: Int64? = nil, status: InstanceStatus? = nil) {
        self.kind = kind
        self.tenant = shard.tenant
        self.workflow = shard.workflow
        self.shard = shard.shard
        self.seq = seq
        self.id = id
        self.event = event
        self.status = status
    }

    public var shardKey: ShardKey { ShardKey(tenant: tenant, workflow: workflow, shard: shard) }
}

/// The nodes and leases of a cluster, read in one transaction on the database's clock.
public struct ClusterView: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public var id: String
        /// When it started and when it last said it was alive (ms since 1970, database clock).
        public var startedAt: Int64
        public var heartbeatAt: Int64
        /// Whether its heartbeat has not expired.
        public var live: Bool

        public init(id: String, startedAt: Int64, heartbeatAt: Int64, live: Bool) {
            self.id = id
            self.startedAt = startedAt
            self.heartbeatAt = heartbeatAt
            self.live = live
        }
    }

    public struct Lease: Sendable, Hashable {
        public var slot: Int
        public var node: String
        public var epoch: Int64
        /// Expiry (ms since 1970, database clock) and whether it has passed.
        public var expiresAt: Int64
        public var expired: Bool

        public init(slot: Int, node: String, epoch: Int64, expiresAt: Int64, expired: Bool) {
            self.slot = slot
            self.node = node
            self.epoch = epoch
            self.expiresAt = expiresAt
            self.expired = expired
        }
    }

    public var nodes: [Node]
    public var leases: [Lease]
    /// The database's clock when this was read.
    public var now: Int64

    public init(nodes: [Node], leases: [Lease], now: Int64) {
        self.nodes = nodes
        self.leases = leases
        self.now = now
    }
}
