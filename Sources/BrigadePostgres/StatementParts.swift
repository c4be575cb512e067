@_spi(Stores) import Brigade
import PostgresNIO

/// Pieces that several prepared statements share, written once: the lease fence and the append
/// of history entries. Each takes the number of its first parameter, so that a statement places
/// them where its own parameters leave off.
enum StatementParts {
    /// True while the node holds the lease given by parameters `$first…$first+2` (slot, node,
    /// epoch): same node, same epoch, not expired on the database clock; true without a lease
    /// (slot NULL).
    ///
    /// The lease row is read, not locked: a slot that changes hands while this transaction runs
    /// is safe anyway, because the new owner's claim of the instance waits for this
    /// transaction's row lock, reads what it wrote, and bumps the instance's epoch.
    static func leaseHeld(first: Int) -> String {
        """
        ($\(first)::integer IS NULL OR EXISTS (SELECT 1 FROM shard_leases WHERE slot = $\(first) AND owner = $\(first + 1)
            AND epoch = $\(first + 2) AND expires_at > clock_timestamp()))
        """
    }

    /// The lease's parameters for ``leaseHeld(first:)``.
    static func bindLease(_ lease: LeaseFence?, to binds: inout PostgresBindings) {
        binds.append(lease.map { Int32(clamping: $0.slot) })
        binds.append(lease?.node)
        binds.append(lease?.epoch)
    }

    /// The parameter types of ``leaseHeld(first:)``.
    static let leaseTypes: [PostgresDataType] = [.int4, .text, .int8]

    /// Statement parts that append the history entries of parameters `$first…$first+3` (arrays
    /// of times, types, steps and data) to the instance the statement's `fence` part wrote, ids
    /// continuing from its highest (the fence's row lock keeps them this statement's).
    static func appendHistory(instance: String, first: Int) -> String {
        """
        last AS (SELECT coalesce(max(id), 0) AS id FROM history WHERE instance_seq = \(instance)),
        appended AS (
            INSERT INTO history (instance_seq, id, at, type, step, data)
            SELECT fence.seq, last.id + h.ord, h.at, h.type, h.step, h.data FROM fence, last,
                unnest($\(first)::bigint[], $\(first + 1)::text[], $\(first + 2)::text[], $\(first + 3)::text[])
                    WITH ORDINALITY AS h(at, type, step, data, ord))
        """
    }

    /// The entries' parameters for ``appendHistory(instance:first:)``.
    static func bindHistory(_ entries: [HistoryEntry], to binds: inout PostgresBindings) throws {
        try binds.append(NullableArray(entries.map { Optional($0.at) }))
        try binds.append(NullableArray(entries.map { Optional($0.type.rawValue) }))
        try binds.append(NullableArray(entries.map(\.step)))
        try binds.append(NullableArray(entries.map { PostgresStore.historyData($0) }))
    }

    /// The parameter types of ``appendHistory(instance:first:)``.
    static let historyTypes: [PostgresDataType] = [.int8Array, .textArray, .textArray, .textArray]
}
