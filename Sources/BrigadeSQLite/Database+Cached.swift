import GRDB

extension Database {
    /// Executes `sql` through GRDB's per-connection statement cache: the hot statements of the
    /// engine (step upserts, history appends, fenced instance updates) are parsed once, not on
    /// every write.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
