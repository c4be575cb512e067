import Foundation

/// A decided change of one instance, produced by the rules in ``InstanceTransition`` and
/// applied by a store as it is: the store only writes the new row when the epoch it was decided
/// on is still current, changes the steps as told and appends the history.
///
/// Every store applies it the same way, so the rules of pause, resume, terminate, restart, claim
/// and event delivery live once, in Swift, and not in any store's SQL.
@_spi(Stores) public struct InstanceChange: Sendable, Hashable {
    /// What happens to the instance's steps (and buffered events) with the row.
    public enum Steps: Sendable, Hashable {
        /// Left as they are.
        case keep
        /// The deadlines of steps still `waiting` or `retrying` move later by this many
        /// milliseconds (a resume: sleeps, back-offs and event timeouts are frozen while paused).
        case shiftDeadlines(by: Int64)
        /// Steps at this position and after are deleted: they run again.
        case drop(fromPosition: Int)
        /// Every step and every buffered event is deleted: the instance starts over.
        case dropAll
    }

    /// The row as it is after the change. A store writes its mutable columns: `status`,
    /// `output`, `error`, `startedAt`, `endedAt`, `pausedAt`, `dueAt`, `epoch`, `expiresAt` and
    /// `modifiedAt`.
    public var row: InstanceRow
    /// The epoch the change was decided on: the store applies nothing when the stored row has
    /// another.
    public var decidedAtEpoch: Int64
    public var steps: Steps
    public var history: [HistoryEntry]
    /// For a change that ends a child workflow (a terminate): its outcome for the parent, which
    /// a store delivers in the same transaction (see ``InstanceWrite/notice``).
    public var notice: ParentNotice?

    public init(row: InstanceRow, decidedAtEpoch: Int64, steps: Steps = .keep, history: [HistoryEntry] = []) {
        self.notice = ParentNotice(finished: row)
        self.row = row
        self.decidedAtEpoch = decidedAtEpoch
        self.steps = steps
        self.history = history
    }
}
