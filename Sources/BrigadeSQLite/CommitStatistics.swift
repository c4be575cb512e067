/// Counters of the group committer.
public struct CommitStatistics: Sendable {
    public var batches = 0
    public var items = 0
}
