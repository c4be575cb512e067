/// Counters of a store's group committer: transactions committed and the writes in them (what
/// group commit saves).
public struct CommitStatistics: Sendable {
    public var batches = 0
    public var items = 0

    public init() {}
}
