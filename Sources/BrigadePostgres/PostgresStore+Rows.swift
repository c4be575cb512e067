@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// Reading Brigade's rows from PostgreSQL's, and writing the ones every operation shares.
extension PostgresStore {
    static let instanceColumns = """
        seq, tenant, workflow, id, status, params, output, error_name, error_message, created_at, modified_at, started_at,
        ended_at, paused_at, due_at, shard, epoch, success_retention_ms, error_retention_ms, expires_at, step_limit, terminating,
        trigger
        """

    static func instanceRow(_ row: PostgresRow) throws -> InstanceRow {
        let cells = row.makeRandomAccess()
        let statusText = try cells["status"].decode(String.self)
        guard let status = InstanceStatus(rawValue: statusText) else { throw StoredRowError("unknown instance status \(statusText)") }
        let errorName = try cells["error_name"].decode(String?.self)
        return InstanceRow(
            seq: try cells["seq"].decode(Int64.self),
            key: InstanceKey(
                tenant: try cells["tenant"].decode(String.self), workflow: try cells["workflow"].decode(String.self),
                id: try cells["id"].decode(String.self)),
            status: status,
            params: try cells["params"].decode(Data.self),
            output: try cells["output"].decode(Data?.self),
            error: try errorName.map { ErrorInfo(name: $0, message: try cells["error_message"].decode(String?.self) ?? "") },
            createdAt: try cells["created_at"].decode(Int64.self),
            modifiedAt: try cells["modified_at"].decode(Int64.self),
            startedAt: try cells["started_at"].decode(Int64?.self),
            endedAt: try cells["ended_at"].decode(Int64?.self),
            pausedAt: try cells["paused_at"].decode(Int64?.self),
            dueAt: try cells["due_at"].decode(Int64?.self),
            shard: Int(try cells["shard"].decode(Int64.self)),
            epoch: try cells["epoch"].decode(Int64.self),
            retention: try retention(cells),
            expiresAt: try cells["expires_at"].decode(Int64?.self),
            stepLimit: try cells["step_limit"].decode(Int64?.self).map(Int.init),
            terminating: try cells["terminating"].decode(Bool.self),
            trigger: InstanceTrigger(storedJSON: try cells["trigger"].decode(String?.self))
        )
    }

    static func retention(_ cells: PostgresRandomAccessRow) throws -> Retention? {
        let success = try cells["success_retention_ms"].decode(Int64?.self)
        let error = try cells["error_retention_ms"].decode(Int64?.self)
        if success == nil && error == nil { return nil }
        return Retention(success: success.map { .milliseconds($0) }, error: error.map { .milliseconds($0) })
    }

    static func stepRecord(_ row: PostgresRow) throws -> StepRecord {
        let cells = row.makeRandomAccess()
        let kindText = try cells["kind"].decode(String.self)
        let statusText = try cells["status"].decode(String.self)
        guard let kind = StepKind(rawValue: kindText), let status = StepStatus(rawValue: statusText) else {
            throw StoredRowError("unknown step kind or status \(kindText)/\(statusText)")
        }
        let errorName = try cells["error_name"].decode(String?.self)
        return StepRecord(
            name: try cells["name"].decode(String.self),
            count: Int(try cells["count"].decode(Int64.self)),
            kind: kind,
            position: Int(try cells["position"].decode(Int64.self)),
            status: status,
            attempts: Int(try cells["attempts"].decode(Int64.self)),
            config: try cells["config"].decode(Data?.self),
            value: try cells["value"].decode(Data?.self),
            error: try errorName.map { ErrorInfo(name: $0, message: try cells["error_message"].decode(String?.self) ?? "") },
            nonRetryable: try cells["non_retryable"].decode(Bool.self),
            deadline: try cells["deadline"].decode(Int64?.self),
            eventType: try cells["event_type"].decode(String?.self),
            startedAt: try cells["started_at"].decode(Int64.self),
            endedAt: try cells["ended_at"].decode(Int64?.self)
        )
    }
}

/// A row that this version of Brigade cannot read (a status it does not know).
struct StoredRowError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
