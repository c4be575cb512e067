@_spi(Stores) import Brigade
import Foundation
import GRDB

extension InstanceRow {
    /// The columns ``init(row:)`` reads, in its order: every read of instance rows selects these,
    /// and the row is read by index (a read by name lowercases the name and searches the
    /// columns: 2 % of W3's CPU on the claim path).
    static let columns = """
        instances.seq, instances.tenant, instances.workflow, instances.id, instances.status, instances.params, \
        instances.output, instances.error_name, instances.error_message, instances.created_at, instances.modified_at, \
        instances.started_at, instances.ended_at, instances.paused_at, instances.due_at, instances.shard, instances.epoch, \
        instances.success_retention_ms, instances.error_retention_ms, instances.expires_at, instances.step_limit, \
        instances.terminating, instances.trigger
        """

    init(row: Row) throws {
        let statusText: String = row[4]
        guard let status = InstanceStatus(rawValue: statusText) else {
            throw DatabaseError(message: "unknown instance status \(statusText)")
        }
        let errorName: String? = row[7]
        self.init(
            seq: row[0],
            key: InstanceKey(tenant: row[1], workflow: row[2], id: row[3]),
            status: status,
            params: row[5],
            output: row[6],
            error: errorName.map { ErrorInfo(name: $0, message: row[8] ?? "") },
            createdAt: row[9],
            modifiedAt: row[10],
            startedAt: row[11],
            endedAt: row[12],
            pausedAt: row[13],
            dueAt: row[14],
            shard: row[15],
            epoch: row[16],
            retention: Retention(milliseconds: row[17], row[18]),
            expiresAt: row[19],
            stepLimit: row[20],
            terminating: row[21],
            trigger: InstanceTrigger(storedJSON: row[22])
        )
    }
}

extension StepRecord {
    /// The columns ``init(row:)`` reads, in its order (read by index, as instance rows are).
    static let columns = """
        steps.name, steps.count, steps.kind, steps.position, steps.status, steps.attempts, steps.config, steps.value, \
        steps.error_name, steps.error_message, steps.non_retryable, steps.deadline, steps.event_type, steps.started_at, \
        steps.ended_at
        """

    init(row: Row) throws {
        let kindText: String = row[2]
        let statusText: String = row[4]
        guard let kind = StepKind(rawValue: kindText), let status = StepStatus(rawValue: statusText) else {
            throw DatabaseError(message: "unknown step kind or status \(kindText)/\(statusText)")
        }
        let errorName: String? = row[8]
        self.init(
            name: row[0],
            count: row[1],
            kind: kind,
            position: row[3],
            status: status,
            attempts: row[5],
            config: row[6],
            value: row[7],
            error: errorName.map { ErrorInfo(name: $0, message: row[9] ?? "") },
            nonRetryable: row[10],
            deadline: row[11],
            eventType: row[12],
            startedAt: row[13],
            endedAt: row[14]
        )
    }

    func upsert(instanceSeq: Int64, in db: Database) throws {
        try db.executeCached(
            sql: """
                INSERT OR REPLACE INTO steps (instance_seq, name, count, kind, position, status, attempts, config,
                    value, error_name, error_message, non_retryable, deadline, event_type, started_at, ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                instanceSeq, name, count, kind.rawValue, position, status.rawValue, attempts, config,
                value, error?.name, error?.message, nonRetryable, deadline, eventType, startedAt, endedAt,
            ]
        )
    }
}

extension HistoryEvent {
    /// The columns ``events(ofRow:instanceId:)`` reads, first in every read of history rows.
    static let columns = "history.id, history.at, history.type, history.step, history.data"

    /// The events of a history row selected with ``columns`` first: one for a plain row, its
    /// entries for a packed one (``HistoryEvent/events(ofRow:instanceId:at:type:step:dataText:)``).
    static func events(ofRow row: Row, instanceId: String) -> [HistoryEvent] {
        let (id, at, type, step, data): (Int64, Int64, String, String?, String?) = (row[0], row[1], row[2], row[3], row[4])
        return events(ofRow: id, instanceId: instanceId, at: at, type: type, step: step, dataText: data)
    }
}

extension HistoryEntry {
    /// Appends `entries` in order: one row for one entry, and one packed row for more
    /// (``HistoryEntry/packed(_:)``), inserted at the id its last entry gets so that the ids of
    /// the others, just below it, are taken too. One writer, so the ids are in commit order.
    static func append(_ entries: [HistoryEntry], instanceSeq: Int64, in db: Database) throws {
        guard let first = entries.first else { return }
        if entries.count == 1 {
            let json = first.data.isEmpty ? nil : String(decoding: JSONValue.object(first.data).jsonData(), as: UTF8.self)
            try db.executeCached(
                sql: "INSERT INTO history (instance_seq, at, type, step, data) VALUES (?, ?, ?, ?, ?)",
                arguments: [instanceSeq, first.at, first.type.rawValue, first.step, json])
            return
        }
        // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence (none before the first row).
        try db.executeCached(
            sql: """
                INSERT INTO history (id, instance_seq, at, type, step, data)
                VALUES (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'history'), 0) + ?, ?, ?, ?, NULL, ?)
                """,
            arguments: [entries.count, instanceSeq, first.at, Self.packedType, Self.packed(entries)])
    }
}

extension EventRecord {
    /// A row of `SELECT seq, type, payload, created_at FROM events`, read by index.
    init(row: Row) {
        self.init(seq: row[0], type: row[1], payload: row[2], createdAt: row[3])
    }
}

extension Retention {
    /// The `success_retention_ms` and `error_retention_ms` columns of a row, nil when both are.
    init?(columnsOf row: Row) {
        self.init(milliseconds: row["success_retention_ms"], row["error_retention_ms"])
    }

    /// Retention from its two stored columns, nil when both are.
    init?(milliseconds success: Int64?, _ error: Int64?) {
        if success == nil && error == nil { return nil }
        self.init(success: success.map { .milliseconds($0) }, error: error.map { .milliseconds($0) })
    }
}
