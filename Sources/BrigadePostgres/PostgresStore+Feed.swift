@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// A tenant's history feed. Writers commit in parallel (one transaction per lane), so no id
/// grows in commit order; each history row keeps the id of the transaction that wrote it
/// (`txid`, migration v8), and a read takes only rows of transactions older than every one still
/// running (`pg_snapshot_xmin`): those are all finished and visible, so a later read never finds
/// an older row the cursor has passed. The cursor is `txid.instance.id`.
extension PostgresStore {
    @_spi(Stores) public func historyFeed(tenant: String, workflow: String?, after cursor: String?, limit: Int) async throws -> [FeedEvent]
    {
        var position: (txid: String, instance: Int64, id: Int64) = ("0", 0, 0)
        if let cursor {
            let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let txid = UInt64(parts[0]), let instance = Int64(parts[1]), let id = Int64(parts[2]) else {
                throw BrigadeError.invalidFeedCursor(cursor)
            }
            position = (String(txid), instance, id)
        }
        var binds = NumberedBinds()
        var sql = """
            SELECT h.txid::text, h.instance_seq, h.id, h.at, h.type, h.step, h.data, i.workflow, i.id, i.status
            FROM history h JOIN instances i ON i.seq = h.instance_seq
            WHERE (h.txid, h.instance_seq, h.id) > (\(try binds.bind(position.txid))::xid8, \(try binds.bind(position.instance)), \(try binds.bind(position.id)))
              AND h.txid < pg_snapshot_xmin(pg_current_snapshot())
              AND i.tenant = \(try binds.bind(tenant))
            """
        if let workflow { sql += " AND i.workflow = \(try binds.bind(workflow))" }
        sql += " ORDER BY h.txid, h.instance_seq, h.id LIMIT \(try binds.bind(Int64(limit)))"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds.binds)
        return try await read { connection, logger in
            var events: [FeedEvent] = []
            for try await (txid, instance, id, at, typeText, step, text, workflow, instanceId, statusText) in try await connection.query(
                query, logger: logger
            ).decode((String, Int64, Int64, Int64, String, String?, String?, String, String, String).self) {
                guard let status = InstanceStatus(rawValue: statusText),
                    let event = HistoryEvent(id: id, instanceId: instanceId, at: at, type: typeText, step: step, dataText: text)
                else { continue }
                events.append(FeedEvent(cursor: "\(txid).\(instance).\(id)", workflow: workflow, status: status, event: event))
            }
            return events
        }
    }

    @_spi(Stores) public func historyFeedHead() async throws -> String {
        try await read { connection, logger in
            var head = "0"
            for try await xmin in try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", logger: logger).decode(
                String.self)
            {
                head = xmin
            }
            // Before every transaction running now: their events, and all later ones, follow.
            guard let value = UInt64(head), value > 0 else { return "0.0.0" }
            return "\(value - 1).\(Int64.max).\(Int64.max)"
        }
    }
}
