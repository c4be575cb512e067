/// An item of a group committer's batch that may be an engine's write: what
/// ``CommitQueue/joiningWrites(_:)`` needs to join the writes of one instance.
@_spi(Stores) public protocol JoinableCommitItem: Sendable {
    /// The engine's write this item applies, or nil for any other change (a claim, a pause, a
    /// creation), which may touch any instance.
    var write: InstanceWrite? { get }
    /// Becomes the item that applies `joined` (this item's write and `later`'s as one) and
    /// completes `later`'s waiters as well as its own.
    mutating func absorb(_ later: Self, joined: InstanceWrite)
}

extension CommitQueue where Item: JoinableCommitItem {
    /// `batch` with the writes of one instance joined where they can be
    /// (``InstanceWrite/joined(with:)``): an attempt's start and its outcome are one item, one
    /// fence and one step row instead of two. A write joins the instance's last write before it
    /// only across writes of other instances — any other item may touch any instance, so nothing
    /// joins across it — and takes that write's place, which moves it before writes of other
    /// instances only. The rule of every store's committer.
    public static func joiningWrites(_ batch: [Item]) -> [Item] {
        guard batch.count > 1 else { return batch }
        var joined: [Item] = []
        joined.reserveCapacity(batch.count)
        var lastWrite: [Int64: Int] = [:]
        for item in batch {
            guard let write = item.write else {
                lastWrite.removeAll(keepingCapacity: true)
                joined.append(item)
                continue
            }
            if let index = lastWrite[write.seq], let earlier = joined[index].write, let both = earlier.joined(with: write) {
                joined[index].absorb(item, joined: both)
            } else {
                lastWrite[write.seq] = joined.count
                joined.append(item)
            }
        }
        return joined
    }
}
