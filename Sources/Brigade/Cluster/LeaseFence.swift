import Foundation

/// What a node's write shows to prove it still holds the lease of the shard the instance lives
/// in: the lease slot, the node, and the epoch the node was granted the lease at.
///
/// A store that runs several nodes (PostgreSQL) applies a claim or an engine's write only while
/// the lease row still names this node at this epoch and has not expired on the database's
/// clock; otherwise the write is rejected whole with ``FencedWriteError``. A node that was paused
/// past its lease (a long GC pause, SIGSTOP, a VM migration) therefore cannot write again once
/// another node may have taken over.
@_spi(Stores) public struct LeaseFence: Sendable, Hashable, CustomStringConvertible {
    /// The lease slot (see ``ShardKey/leaseSlot(slots:)``).
    public var slot: Int
    /// The node holding the lease.
    public var node: String
    /// Bumped each time the slot changes hands.
    public var epoch: Int64

    public init(slot: Int, node: String, epoch: Int64) {
        self.slot = slot
        self.node = node
        self.epoch = epoch
    }

    public var description: String { "slot \(slot) @\(epoch) (\(node))" }
}

extension ShardKey {
    /// The lease slot of this SousChef shard among `slots` (FNV-1a of tenant, workflow and shard).
    ///
    /// Nodes lease a fixed number of slots rather than one lease per workflow shard (Temporal's
    /// fixed history shard count is the model): the lease table stays small and the same size
    /// however many tenants and workflows there are, and spreading the slots evenly over the live
    /// nodes spreads the SousChefs with them.
    public func leaseSlot(slots: Int) -> Int {
        var hash = FNV1a()
        hash.add(tenant)
        hash.add(0)
        hash.add(workflow)
        hash.add(0)
        hash.add(String(shard))
        return Int(hash.value % UInt64(max(1, slots)))
    }
}
