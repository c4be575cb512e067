@_spi(Stores) import Brigade
import Foundation
import GRDB

extension InstanceRow {
    init(row: Row) throws {
        let statusText: String = row["status"]
        guard let status = InstanceStatus(rawValue: statusText) else {
            throw DatabaseError(message: "unknown instance status \(statusText)")
        }
        let errorName: String? = row["error_name"]
        let retention = Retention(columnsOf: row)
        self.init(
            seq: row["seq"],
            key: InstanceKey(tenant: row["tenant"], workflow: row["workflow"], id: row["id"]),
            status: status,
            params: row["params"],
            output: row["output"],
            error: errorName.map { ErrorInfo(name: $0, message: row["error_message"] ?? "") },
            createdAt: row["created_at"],
            modifiedAt: row["modified_at"],
            startedAt: row["started_at"],
            endedAt: row["ended_at"],
            pausedAt: row["paused_at"],
            dueAt: row["due_at"],
            shard: row["shard"],
            epoch: row["epoch"],
            retention: retention,
            expiresAt: row["expires_at"],
            stepLimit: row["step_limit"],
            terminating: row["terminating"],
            trigger: InstanceTrigger(storedJSON: row["trigger"])
        )
    }
}

extension StepRecord {
    init(row: Row) throws {
        let kindText: String = row["kind"]
        let statusText: String = row["status"]
        guard let kind = StepKind(rawValue: kindText), let status = StepStatus(rawValue: statusText) else {
            throw DatabaseError(message: "unknown step kind or status \(kindText)/\(statusText)")
        }
        let errorName: String? = row["error_name"]
        self.init(
            name: row["name"],
            count: row["count"],
            kind: kind,
            position: row["position"],
            status: status,
            attempts: row["attempts"],
            config: row["config"],
            value: row["value"],
            error: errorName.map { ErrorInfo(name: $0, message: row["error_message"] ?? "") },
            nonRetryable: row["non_retryable"],
            deadline: row["deadline"],
            eventType: row["event_type"],
            startedAt: row["started_at"],
            endedAt: row["ended_at"]
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

extension HistoryEntry {
    func append(instanceSeq: Int64, in db: Database) throws {
        try Self.append([self], instanceSeq: instanceSeq, in: db)
    }

    /// Appends `entries` in order, up to 16 rows per `INSERT`: the rows are the same, the
    /// statements fewer (a step's four entries in one statement cost about a fifth less than in
    /// four, `brigade-bench sqlite-floor` folded against joined).
    static func append(_ entries: [HistoryEntry], instanceSeq: Int64, in db: Database) throws {
        var start = entries.startIndex
        while start < entries.endIndex {
            let chunk = entries[start..<min(start + 16, entries.endIndex)]
            var arguments = StatementArguments()
            for entry in chunk {
                let json = entry.data.isEmpty ? nil : String(decoding: JSONValue.object(entry.data).jsonData(), as: UTF8.self)
                _ = arguments.append(contentsOf: [instanceSeq, entry.at, entry.type.rawValue, entry.step, json])
            }
            try db.executeCached(sql: Self.insertStatements[chunk.count], arguments: arguments)
            start = chunk.endIndex
        }
    }

    /// The `INSERT` of n history rows, for n up to 16 (index n).
    private static let insertStatements: [String] = (0...16).map { count in
        "INSERT INTO history (instance_seq, at, type, step, data) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }
}

extension Retention {
    /// The `success_retention_ms` and `error_retention_ms` columns of a row, nil when both are.
    init?(columnsOf row: Row) {
        let success: Int64? = row["success_retention_ms"]
        let error: Int64? = row["error_retention_ms"]
        if success == nil && error == nil { return nil }
        self.init(success: success.map { .milliseconds($0) }, error: error.map { .milliseconds($0) })
    }
}
