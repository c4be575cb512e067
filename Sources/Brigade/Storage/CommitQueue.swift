/// The batching rule of a group committer, the same for every store: commit at once when idle,
/// and while a commit is in flight gather what arrives into the next one. Items whose submitter
/// does not wait (lazy items) never start a commit by themselves: they ride along with the next
/// one, or are flushed on their own after a delay.
///
/// A pure state machine: a store's committer keeps it in a `Mutex` and performs the action each
/// call returns (start a commit, schedule a flush) outside the lock.
@_spi(Stores) public struct CommitQueue<Item: Sendable>: Sendable {
    /// What to do after ``enqueue(_:awaited:)``.
    public enum Enqueued: Sendable, Equatable {
        /// Nothing: a commit in flight or a scheduled flush will take the item.
        case none
        /// Start a commit now, and call ``next(includeLazy:)`` until it says stop.
        case commit
        /// Schedule a flush after the lazy delay, then call ``flushIsDue()``.
        case scheduleFlush
    }

    /// What a committer does next.
    public enum Next: Sendable {
        /// Commit these items in one transaction, in this order.
        case commit([Item])
        /// Nothing left that anyone waits for; schedule a flush first when `flush`.
        case stop(flush: Bool)
    }

    private var queue: [Item] = []
    /// Items in `queue` whose submitter waits.
    private var awaited = 0
    private var inFlight = false
    private var flushScheduled = false

    public init() {}

    /// Items waiting for a commit.
    public var count: Int { queue.count }

    /// Adds an item; `awaited` when its submitter waits for the commit.
    public mutating func enqueue(_ item: Item, awaited: Bool) -> Enqueued {
        queue.append(item)
        if awaited { self.awaited += 1 }
        if inFlight { return .none }
        if self.awaited > 0 {
            inFlight = true
            return .commit
        }
        if !flushScheduled {
            flushScheduled = true
            return .scheduleFlush
        }
        return .none
    }

    /// The scheduled flush's time has come: true when the committer should start a commit (with
    /// `includeLazy`), false when a commit in flight will take the items or there are none.
    public mutating func flushIsDue() -> Bool {
        flushScheduled = false
        guard !inFlight, !queue.isEmpty else { return false }
        inFlight = true
        return true
    }

    /// The next batch for a committer that holds the in-flight mark, or stop (giving the mark up).
    /// Lazy items alone are committed only when `includeLazy` (a flush).
    public mutating func next(includeLazy: Bool) -> Next {
        if awaited > 0 || (includeLazy && !queue.isEmpty) {
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            awaited = 0
            return .commit(batch)
        }
        inFlight = false
        let flush = !queue.isEmpty && !flushScheduled
        if flush { flushScheduled = true }
        return .stop(flush: flush)
    }
}
