/// Counters of a store's group committer: transactions committed and the writes in them (what
/// group commit saves).
public struct CommitStatistics: Sendable {
    /// Transactions committed (or failed whole).
    public var batches = 0
    /// Writes in them.
    public var items = 0
    /// Statements that applied those writes: fewer than the writes where a store joins writes
    /// of one instance (PostgreSQL; on SQLite, equal).
    public var statements = 0
    /// Transactions the database aborted to break a deadlock with another writer, and that ran
    /// again (PostgreSQL; always 0 on SQLite, which has one writer).
    public var conflicts = 0

    public init() {}

    /// The counters of several committers together (the PostgreSQL store's writer lanes).
    public static func + (lhs: CommitStatistics, rhs: CommitStatistics) -> CommitStatistics {
        var sum = lhs
        sum.batches += rhs.batches
        sum.items += rhs.items
        sum.statements += rhs.statements
        sum.conflicts += rhs.conflicts
        return sum
    }
}
