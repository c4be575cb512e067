@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// A new instance with its first history entries, as one prepared statement that also reads how
/// many of its workflow's instances were queued before it (the queue cap's count, read in the
/// same round trip; the rule that judges it stays ``InstanceTransition/checkQueueRoom(workflow:queued:adding:maxQueued:)``).
struct InsertInstanceStatement: PostgresPreparedStatement {
    static let name = "brigade_insert_instance"
    /// The new instance's seq (nil when the id is taken) and the workflow's queued count before it.
    typealias Row = (Int64?, Int64)

    static let sql = """
        WITH queued AS (
            SELECT coalesce(sum(count), 0)::bigint AS n FROM instance_counts WHERE tenant = $1 AND workflow = $2 AND status = 'queued'),
        fence AS (
            INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at, shard, epoch,
                started_at, success_retention_ms, error_retention_ms, step_limit, trigger)
            VALUES ($1, $2, $3, $12, $4, $5, $5, $5, $6, $13, $14, $7, $8, $9, $11)
            ON CONFLICT (tenant, workflow, id) DO NOTHING RETURNING seq),
        first AS (
            INSERT INTO history (instance_seq, id, at, type)
            SELECT seq, entry.n, $5, entry.type FROM fence, unnest($10::text[]) WITH ORDINALITY AS entry(type, n))
        SELECT (SELECT seq FROM fence), (SELECT n FROM queued)
        """

    static let bindingDataTypes: [PostgresDataType] = [
        .text, .text, .text, .bytea, .int8, .int8, .int8, .int8, .int8, .textArray, .text, .text, .int8, .int8,
    ]

    let instance: NewInstance

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 14)
        binds.append(instance.key.tenant)
        binds.append(instance.key.workflow)
        binds.append(instance.key.id)
        try binds.append(instance.params)
        binds.append(instance.createdAt)
        binds.append(Int64(instance.shard))
        binds.append(instance.retention?.success?.wholeMilliseconds)
        binds.append(instance.retention?.error?.wholeMilliseconds)
        binds.append(instance.stepLimit.map(Int64.init))
        // The first entries (`NewInstance.initial`) all carry the creation time and no data: only
        // their types are bound.
        let (first, history) = instance.initial()
        binds.append(history.map(\.type.rawValue))
        binds.append(instance.trigger.storedJSON)
        binds.append(first.status.rawValue)
        binds.append(first.epoch)
        binds.append(first.startedAt)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
