/// The claim of a fresh instance (queued, never started), decided on a read and written with the
/// engine's first write instead of a commit of its own (``InstanceStore/deferredClaim(seq:now:)``,
/// ``InstanceWrite/claim``): one commit fewer per instance, and the claim's reads off the writer.
///
/// Until that write commits, the stored row is the queued one, at the epoch the claim was decided
/// on; anything that changes it meanwhile (a pause, a terminate, a claim by a restarted process)
/// fences the claim, and with it every write of the engine that took it. A crash before it
/// commits leaves the instance queued and due, as a crash before a claim did.
@_spi(Stores) public struct DeferredClaim: Sendable {
    /// What the engine replays: the row as the claim makes it (running, the next epoch).
    public var snapshot: ReplaySnapshot
    /// The claim itself, decided on the row read: written by ``InstanceWrite/claim``.
    public var change: InstanceChange

    public init(snapshot: ReplaySnapshot, change: InstanceChange) {
        self.snapshot = snapshot
        self.change = change
    }

    /// Decides the claim of `row` when it is fresh: queued and never started (a restarted one is
    /// queued too, and keeps steps to replay: `steps` and `events` are read all the same). Nil for
    /// any other row: it is claimed with a commit of its own (``InstanceStore/claim(seq:now:lease:)``).
    public static func decide(_ row: InstanceRow, steps: () throws -> [StepRecord], events: () throws -> [EventRecord], now: Int64)
        rethrows -> DeferredClaim?
    {
        guard row.status == .queued, row.startedAt == nil, case .run(let change) = InstanceTransition.claim(row, now: now) else {
            return nil
        }
        return DeferredClaim(snapshot: ReplaySnapshot(row: change.row, steps: try steps(), events: try events()), change: change)
    }
}
