@_spi(Stores) import Brigade
import Foundation
import NIOCore
import PostgresNIO

/// An engine's write (``InstanceWrite``) as one prepared statement: the hot path of every step.
///
/// One text for every write, whatever it holds: the instance row's change is written through
/// `coalesce`/`CASE` on parameters that are NULL when there is nothing to change, and the step
/// rows, consumed events and history entries arrive as arrays that `unnest` turns into rows. So
/// the server parses and plans it once per connection instead of once per write (with a text
/// built per shape, that was most of the server's CPU per step), and the client sends only the
/// parameters.
///
/// The fence is the statement's first part: the instance row is updated only while its epoch
/// (and, in a cluster, the node's lease) is the one the write was decided at; every other part
/// reads the fence's row, so none of them writes when it did not match. History ids continue
/// from the instance's highest under the row lock the fence took.
struct InstanceWriteStatement: PostgresPreparedStatement {
    /// Named here: the default name is `String(reflecting:)` of the type, worked out again on
    /// every execution (3 % of the client's CPU in W3).
    static let name = "brigade_instance_write"
    /// The rows the fence matched (1, or 0 when stale) and the events this write consumed.
    typealias Row = (Int64, Int64)

    static let sql = """
        WITH fence AS (
            UPDATE instances SET modified_at = $2,
                status = coalesce($4, status),
                due_at = CASE WHEN $4::text IS NULL THEN due_at ELSE $5 END,
                output = coalesce($6, output),
                error_name = coalesce($7, error_name),
                error_message = CASE WHEN $7::text IS NULL THEN error_message ELSE $8 END,
                paused_at = CASE WHEN $4::text = 'paused' THEN coalesce($9, $2) ELSE paused_at END,
                ended_at = coalesce($10, ended_at),
                expires_at = coalesce($11, expires_at)
            WHERE seq = $1 AND epoch = $3 AND \(StatementParts.leaseHeld(first: 12))
            RETURNING seq),
        written AS (
            INSERT INTO steps (instance_seq, name, count, kind, position, status, attempts, config, value, error_name,
                error_message, non_retryable, deadline, event_type, started_at, ended_at)
            SELECT fence.seq, s.* FROM fence,
                unnest($15::text[], $16::bigint[], $17::text[], $18::bigint[], $19::text[], $20::bigint[], $21::bytea[],
                    $22::bytea[], $23::text[], $24::text[], $25::boolean[], $26::bigint[], $27::text[], $28::bigint[], $29::bigint[]) AS s
            ON CONFLICT (instance_seq, name, count) DO UPDATE SET kind = excluded.kind, position = excluded.position,
                status = excluded.status, attempts = excluded.attempts, config = excluded.config, value = excluded.value,
                error_name = excluded.error_name, error_message = excluded.error_message,
                non_retryable = excluded.non_retryable, deadline = excluded.deadline, event_type = excluded.event_type,
                started_at = excluded.started_at, ended_at = excluded.ended_at),
        consumed AS (
            UPDATE events SET consumed = true
            WHERE seq = ANY($30::bigint[]) AND instance_seq = (SELECT seq FROM fence) AND NOT consumed RETURNING seq),
        \(StatementParts.appendHistory(instance: "$1", first: 31))
        SELECT (SELECT count(*) FROM fence), (SELECT count(*) FROM consumed)
        """

    /// Declared rather than inferred, so that a NULL parameter has its column's type.
    static let bindingDataTypes: [PostgresDataType] = {
        let row: [PostgresDataType] = [.int8, .int8, .int8, .text, .int8, .bytea, .text, .text, .int8, .int8, .int8]
        let steps: [PostgresDataType] = [
            .textArray, .int8Array, .textArray, .int8Array, .textArray, .int8Array, .byteaArray, .byteaArray, .textArray, .textArray,
            .boolArray, .int8Array, .textArray, .int8Array, .int8Array,
        ]
        let events: [PostgresDataType] = [.int8Array]
        return row + StatementParts.leaseTypes + steps + events + StatementParts.historyTypes
    }()

    let write: InstanceWrite

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 34)
        let update = write.update
        binds.append(write.seq)
        binds.append(write.now)
        binds.append(write.epoch)
        binds.append(update?.status.rawValue)
        binds.append(update?.dueAt)
        try binds.append(update?.output)
        binds.append(update?.error?.name)
        binds.append(update?.error?.message)
        binds.append(update?.status == .paused ? update?.pausedAt : nil)
        binds.append(update?.endedAt)
        binds.append(update?.expiresAt)
        StatementParts.bindLease(write.lease, to: &binds)
        // One record per step: two for one step in one statement would be two updates of a row.
        let steps = StepRecord.lastOfEach(write.steps)
        try binds.append(NullableArray(steps.map { Optional($0.name) }))
        try binds.append(NullableArray(steps.map { Optional(Int64($0.count)) }))
        try binds.append(NullableArray(steps.map { Optional($0.kind.rawValue) }))
        try binds.append(NullableArray(steps.map { Optional(Int64($0.position)) }))
        try binds.append(NullableArray(steps.map { Optional($0.status.rawValue) }))
        try binds.append(NullableArray(steps.map { Optional(Int64($0.attempts)) }))
        try binds.append(NullableArray(steps.map { $0.config.map { ByteBuffer(bytes: $0) } }))
        try binds.append(NullableArray(steps.map { $0.value.map { ByteBuffer(bytes: $0) } }))
        try binds.append(NullableArray(steps.map { $0.error?.name }))
        try binds.append(NullableArray(steps.map { $0.error?.message }))
        try binds.append(NullableArray(steps.map { Optional($0.nonRetryable) }))
        try binds.append(NullableArray(steps.map(\.deadline)))
        try binds.append(NullableArray(steps.map(\.eventType)))
        try binds.append(NullableArray(steps.map { Optional($0.startedAt) }))
        try binds.append(NullableArray(steps.map(\.endedAt)))
        try binds.append(NullableArray(write.consumedEvents.map { Optional($0) }))
        try StatementParts.bindHistory(write.history, to: &binds)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
