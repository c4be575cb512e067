@_spi(Stores) import Brigade
import Foundation
import GRDB

/// A tenant's history feed: SQLite has one writer, so history ids grow in commit order and the
/// id is the cursor.
extension SQLiteStore {
    @_spi(Stores) public func historyFeed(tenant: String, workflow: String?, after cursor: String?, limit: Int) async throws -> [FeedEvent]
    {
        var afterId: Int64 = 0
        if let cursor {
            guard let id = Int64(cursor), id >= 0 else { throw BrigadeError.invalidFeedCursor(cursor) }
            afterId = id
        }
        let from = afterId
        return try await pool.read { db in
            // Along history's primary key from the cursor: a reader that keeps up reads only
            // what is new.
            var sql = """
                SELECT \(HistoryEvent.columns), instances.workflow, instances.id, instances.status
                FROM history JOIN instances ON instances.seq = history.instance_seq
                WHERE history.id > ? AND instances.tenant = ?
                """
            var arguments: StatementArguments = [from, tenant]
            if let workflow {
                sql += " AND instances.workflow = ?"
                _ = arguments.append(contentsOf: [workflow])
            }
            sql += " ORDER BY history.id LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            // Rows, not events: a packed row holds several, all of one instance.
            var events: [FeedEvent] = []
            for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) {
                let (workflow, instanceId, statusText): (String, String, String) = (row[5], row[6], row[7])
                guard let status = InstanceStatus(rawValue: statusText) else { continue }
                for event in HistoryEvent.events(ofRow: row, instanceId: instanceId) where event.id > from {
                    events.append(FeedEvent(cursor: String(event.id), workflow: workflow, status: status, event: event))
                }
            }
            return Array(events.prefix(limit))
        }
    }

    @_spi(Stores) public func historyFeedHead() async throws -> String {
        try await pool.read { db in String(try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM history") ?? 0) }
    }
}
