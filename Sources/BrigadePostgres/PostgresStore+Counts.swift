@_spi(Stores) import Brigade
import Logging
import PostgresNIO

/// How many instances are in each status.
///
/// A trigger keeps the counts exact on every path that changes an instance, into rows of the
/// connection that made the change (`slot`, its backend's pid, migration v3): writers on several
/// connections, and several nodes, then never wait for one another on a shared counts row, nor
/// deadlock on two of them. A count is the sum of its rows; the rows of connections that have
/// closed are folded into slot 0 now and then, so that their number stays that of live connections.
extension PostgresStore {
    @_spi(Stores) public func instanceCounts(tenant: String, workflow: String) async throws -> [InstanceStatus: Int] {
        try await counts(
            """
            SELECT status, sum(count)::bigint FROM instance_counts WHERE tenant = \(tenant) AND workflow = \(workflow)
            GROUP BY status HAVING sum(count) > 0
            """)
    }

    @_spi(Stores) public func instanceCountsByStatus() async throws -> [InstanceStatus: Int] {
        try await counts("SELECT status, sum(count)::bigint FROM instance_counts GROUP BY status")
    }

    /// The (status, count) rows of `query` as counts by status.
    private func counts(_ query: PostgresQuery) async throws -> [InstanceStatus: Int] {
        try await read { client, logger in
            var counts: [InstanceStatus: Int] = [:]
            for try await (status, count) in try await client.query(query, logger: logger).decode((String, Int64).self) {
                if let status = InstanceStatus(rawValue: status) { counts[status] = Int(count) }
            }
            return counts
        }
    }

    /// Folds the counts rows of connections that have closed into slot 0. Runs in the purge's
    /// transaction; one node folds at a time (an advisory lock, not waited for: a node that does
    /// not get it leaves the fold to the one that has it).
    static func foldCounts(on connection: PostgresConnection, logger: Logger) async throws {
        var locked = false
        for try await got in try await connection.query("SELECT pg_try_advisory_xact_lock(6272034918566)", logger: logger).decode(Bool.self) {
            locked = got
        }
        guard locked else { return }
        try await connection.query(
            """
            WITH gone AS (
                DELETE FROM instance_counts WHERE slot <> 0 AND slot NOT IN (SELECT pid FROM pg_stat_activity)
                RETURNING tenant, workflow, status, count)
            INSERT INTO instance_counts AS c (tenant, workflow, status, slot, count)
            SELECT tenant, workflow, status, 0, sum(count) FROM gone GROUP BY tenant, workflow, status
            ON CONFLICT (tenant, workflow, status, slot) DO UPDATE SET count = c.count + excluded.count
            """, logger: logger)
    }
}
