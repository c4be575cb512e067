@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// A decided change of an instance (``InstanceChange``) that keeps its steps, as one prepared
/// statement: a claim, a pause, a terminate, an event's wake-up. The row's mutable columns are
/// written only while its epoch (and, in a cluster, the node's lease) is the one the change was
/// decided at, then its history is appended. Changes that drop or shift steps (restart, resume)
/// are rare and keep their statement built per shape.
struct InstanceChangeStatement: PostgresPreparedStatement {
    static let name = "brigade_instance_change"
    /// The rows the fence matched: 1, or 0 when stale.
    typealias Row = Int64

    static let sql = """
        WITH fence AS (
            UPDATE instances SET status = $2, output = $3, error_name = $4, error_message = $5, started_at = $6, ended_at = $7,
                paused_at = $8, due_at = $9, epoch = $10, expires_at = $11, modified_at = $12, terminating = $14
            WHERE seq = $1 AND epoch = $13 AND \(StatementParts.leaseHeld(first: 15))
            RETURNING seq),
        \(StatementParts.appendHistory(instance: "$1", first: 18))
        SELECT count(*) FROM fence
        """

    static let bindingDataTypes: [PostgresDataType] = {
        let row: [PostgresDataType] = [.int8, .text, .bytea, .text, .text, .int8, .int8, .int8, .int8, .int8, .int8, .int8, .int8, .bool]
        return row + StatementParts.leaseTypes + StatementParts.historyTypes
    }()

    let change: InstanceChange
    let lease: LeaseFence?

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 20)
        let row = change.row
        binds.append(row.seq)
        binds.append(row.status.rawValue)
        try binds.append(row.output)
        binds.append(row.error?.name)
        binds.append(row.error?.message)
        binds.append(row.startedAt)
        binds.append(row.endedAt)
        binds.append(row.pausedAt)
        binds.append(row.dueAt)
        binds.append(row.epoch)
        binds.append(row.expiresAt)
        binds.append(row.modifiedAt)
        binds.append(change.decidedAtEpoch)
        binds.append(row.terminating)
        StatementParts.bindLease(lease, to: &binds)
        try StatementParts.bindHistory(change.history, to: &binds)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
