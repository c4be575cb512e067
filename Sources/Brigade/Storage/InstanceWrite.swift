import Foundation

/// A change an Engine makes to its instance, applied atomically and only while the engine still
/// owns the instance (its claim epoch is current): the fence that keeps a stale engine's writes out.
@_spi(Stores) public struct InstanceWrite: Sendable {
    public var seq: Int64
    public var epoch: Int64
    /// The lease of the node that writes, in a cluster: the write is also rejected once the node
    /// no longer holds it (see ``LeaseFence``).
    public var lease: LeaseFence?
    /// Step records to insert or replace.
    public var steps: [StepRecord] = []
    /// Buffered events consumed by waits in this write.
    public var consumedEvents: [Int64] = []
    /// A change of the instance row, if any.
    public var update: InstanceUpdate?
    public var history: [HistoryEntry] = []
    /// The outcome of a child workflow that this write ends, delivered to its parent in the
    /// same transaction (a store inserts it as the parent's event, as ``InstanceStore/sendEvent(_:type:payload:now:)``
    /// does, and ignores it when the parent is gone).
    public var notice: ParentNotice?
    public var now: Int64

    public init(seq: Int64, epoch: Int64, now: Int64) {
        self.seq = seq
        self.epoch = epoch
        self.now = now
    }
}
