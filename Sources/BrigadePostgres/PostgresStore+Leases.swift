@_spi(Stores) import Brigade
import Foundation
import Logging
import PostgresNIO

/// Nodes, shard leases and wake-ups across nodes. Every time is `clock_timestamp()`, the
/// database's clock, so that a lease's expiry means the same to every node.
extension PostgresStore: LeaseStore {
    /// The channel of wake-ups between nodes.
    static let wakeChannel = "brigade_wake"

    /// Milliseconds since 1970 of a timestamptz expression.
    static func milliseconds(_ expression: String) -> String { "(extract(epoch FROM \(expression)) * 1000)::bigint" }

    @_spi(Stores) public func heartbeat(node: String, ttl: Duration) async throws -> ClusterView {
        let ttl = ttl.wholeMilliseconds
        return try await read { connection, logger in
            // The node first: its heartbeat expires no later than the leases it renews, so a
            // node whose leases are free is never still counted as live.
            try await connection.query(
                """
                INSERT INTO nodes (node, started_at, heartbeat_at, expires_at)
                VALUES (\(node), clock_timestamp(), clock_timestamp(), clock_timestamp() + \(ttl) * interval '1 millisecond')
                ON CONFLICT (node) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at
                """, logger: logger)
            try await connection.query(
                """
                UPDATE shard_leases SET expires_at = clock_timestamp() + \(ttl) * interval '1 millisecond' WHERE owner = \(node)
                """, logger: logger)
            // Nodes gone for good (dead past `deadNodeRetention`, holding no lease any more: the
            // others took them) leave `cluster status` and take their account-slot rows along.
            let retention = Self.deadNodeRetention.wholeMilliseconds
            try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM nodes n WHERE n.node <> \(node)
                        AND n.expires_at < clock_timestamp() - \(retention) * interval '1 millisecond'
                        AND NOT EXISTS (SELECT 1 FROM shard_leases l WHERE l.owner = n.node)
                    RETURNING n.node)
                DELETE FROM account_slots WHERE node IN (SELECT node FROM gone)
                """, logger: logger)
            return try await Self.clusterView(on: connection, logger: logger)
        }
    }

    /// How long a dead node stays in `nodes` (and `brigade cluster status`) before a live node's
    /// heartbeat forgets it.
    static let deadNodeRetention: Duration = .seconds(3_600)

    @_spi(Stores) public func clusterView() async throws -> ClusterView {
        try await read { connection, logger in try await Self.clusterView(on: connection, logger: logger) }
    }

    static func clusterView(on connection: PostgresConnection, logger: Logger) async throws -> ClusterView {
        var now: Int64 = 0
        for try await value in try await connection.query("SELECT \(unescaped: milliseconds("clock_timestamp()"))", logger: logger)
            .decode(Int64.self)
        {
            now = value
        }
        var nodes: [ClusterView.Node] = []
        for try await (id, started, heartbeat, live) in try await connection.query(
            """
            SELECT node, \(unescaped: milliseconds("started_at")), \(unescaped: milliseconds("heartbeat_at")),
                expires_at > clock_timestamp() FROM nodes ORDER BY node
            """, logger: logger
        ).decode((String, Int64, Int64, Bool).self) {
            nodes.append(ClusterView.Node(id: id, startedAt: started, heartbeatAt: heartbeat, live: live))
        }
        var leases: [ClusterView.Lease] = []
        for try await (slot, owner, epoch, expires, expired) in try await connection.query(
            """
            SELECT slot, owner, epoch, \(unescaped: milliseconds("expires_at")), expires_at <= clock_timestamp()
            FROM shard_leases ORDER BY slot
            """, logger: logger
        ).decode((Int32, String, Int64, Int64, Bool).self) {
            leases.append(ClusterView.Lease(slot: Int(slot), node: owner, epoch: epoch, expiresAt: expires, expired: expired || owner.isEmpty))
        }
        return ClusterView(nodes: nodes, leases: leases, now: now)
    }

    @_spi(Stores) public func acquire(slots: [Int], node: String, ttl: Duration) async throws -> [LeaseFence] {
        guard !slots.isEmpty else { return [] }
        let ttl = ttl.wholeMilliseconds
        let wanted = slots.map { Int32(clamping: $0) }
        return try await read { connection, logger in
            // A slot changes hands only once its lease expired; taking it from another node (or
            // from none, after a release) bumps the epoch, which fences the old holder's writes.
            var taken: [LeaseFence] = []
            for try await (slot, epoch) in try await connection.query(
                """
                INSERT INTO shard_leases AS l (slot, owner, epoch, expires_at)
                SELECT s, \(node), 1, clock_timestamp() + \(ttl) * interval '1 millisecond' FROM unnest(\(wanted)::integer[]) AS s
                ON CONFLICT (slot) DO UPDATE SET owner = excluded.owner,
                    epoch = CASE WHEN l.owner = excluded.owner THEN l.epoch ELSE l.epoch + 1 END,
                    expires_at = excluded.expires_at
                WHERE l.owner = excluded.owner OR l.expires_at <= clock_timestamp()
                RETURNING slot, epoch
                """, logger: logger
            ).decode((Int32, Int64).self) {
                taken.append(LeaseFence(slot: Int(slot), node: node, epoch: epoch))
            }
            return taken
        }
    }

    @_spi(Stores) public func release(slots: [Int], node: String) async throws {
        guard !slots.isEmpty else { return }
        let given = slots.map { Int32(clamping: $0) }
        _ = try await read { connection, logger in
            try await connection.query(
                """
                UPDATE shard_leases SET owner = '', expires_at = clock_timestamp()
                WHERE owner = \(node) AND slot = ANY(\(given)::integer[])
                """, logger: logger)
        }
    }

    @_spi(Stores) public func leave(node: String) async throws {
        try await read { connection, logger in
            try await connection.query(
                "UPDATE shard_leases SET owner = '', expires_at = clock_timestamp() WHERE owner = \(node)", logger: logger)
            try await connection.query("DELETE FROM account_slots WHERE node = \(node)", logger: logger)
            try await connection.query("DELETE FROM nodes WHERE node = \(node)", logger: logger)
        }
    }

    @_spi(Stores) public func shareSlots(
        tenant: String, node: String, limit: Int, report: SlotShare.Holder, shrink: @escaping @Sendable (Int) -> Int
    ) async throws -> Int {
        let logger = self.logger
        do {
            return try await client.withConnection(leaseTimeout: leaseTimeout, runTimeout: runTimeout) { connection in try await connection.withTransaction(logger: logger) { connection -> Int in
                // One decider per account at a time: the rows read below are the truth until commit.
                // Rows read to their end: a row-returning statement's error arrives with its rows.
                _ = try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(Self.slotLockClass), hashtext(\(tenant)))", logger: logger
                ).collect()
                var holders = try await Self.slotRows(tenant: tenant, liveOnly: true, on: connection, logger: logger)
                let held = holders.first { $0.node == node }?.held ?? 0
                holders.removeAll { $0.node == node }
                var mine = report
                mine.held = held
                holders.append(mine)
                let share = SlotShare.decide(node: node, holders: holders, limit: limit)
                // Slots still in use stay held in the row until their instances stop.
                let recorded = share < held ? max(share, shrink(share)) : share
                try await connection.query(
                    """
                    INSERT INTO account_slots (tenant, node, held, in_use, woken, fresh)
                    VALUES (\(tenant), \(node), \(Int32(clamping: recorded)), \(Int32(clamping: report.inUse)),
                        \(Int32(clamping: report.woken)), \(Int32(clamping: report.fresh)))
                    ON CONFLICT (tenant, node) DO UPDATE SET held = excluded.held, in_use = excluded.in_use,
                        woken = excluded.woken, fresh = excluded.fresh
                    """, logger: logger)
                return share
            } }
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    /// The first key of the per-account locks of ``shareSlots(tenant:node:limit:report:shrink:)``.
    static let slotLockClass: Int32 = 627_203_492

    @_spi(Stores) public func wake(_ wakeup: ShardWakeup) async throws {
        let payload = String(decoding: try JSONEncoder().encode(wakeup), as: UTF8.self)
        _ = try await read { connection, logger in
            try await connection.query("SELECT pg_notify(\(Self.wakeChannel), \(payload))", logger: logger).collect()
        }
    }

    @_spi(Stores) public func pendingEvent(_ eventSeq: Int64, instance seq: Int64) async throws -> EventRecord? {
        try await read { connection, logger in
            for try await (eventSeq, type, payload, createdAt) in try await connection.query(
                "SELECT seq, type, payload, created_at FROM events WHERE seq = \(eventSeq) AND instance_seq = \(seq) AND NOT consumed",
                logger: logger
            ).decode((Int64, String, Data, Int64).self) {
                return EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: createdAt)
            }
            return nil
        }
    }

    @_spi(Stores) public func wakeups() -> AsyncStream<ShardWakeup> {
        let client = self.client
        let logger = self.logger
        let (stream, continuation) = AsyncStream.makeStream(of: ShardWakeup.self, bufferingPolicy: .bufferingNewest(10_000))
        let listener = Task {
            let decoder = JSONDecoder()
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.wakeChannel) { notifications in
                            for try await notification in notifications {
                                if let wakeup = try? decoder.decode(ShardWakeup.self, from: Data(notification.payload.utf8)) {
                                    continuation.yield(wakeup)
                                }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    // Wake-ups sent meanwhile are lost; the sweep finds their instances.
                    logger.warning("listening for wake-ups failed; trying again: \(PostgresFailure.mapped(error))")
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }
}

extension PostgresStore {
    /// The slot broker's rows of an account, live nodes or not (for `brigade cluster status` and
    /// tests).
    public func accountSlotRows(tenant: String) async throws -> [SlotShare.Holder] {
        try await read { connection, logger in try await Self.slotRows(tenant: tenant, liveOnly: false, on: connection, logger: logger) }
    }

    /// The account's rows, in node order; only those of live nodes when `liveOnly`.
    static func slotRows(tenant: String, liveOnly: Bool, on connection: PostgresConnection, logger: Logger) async throws
        -> [SlotShare.Holder]
    {
        var rows: [SlotShare.Holder] = []
        for try await (node, held, inUse, woken, fresh) in try await connection.query(
            """
            SELECT s.node, s.held, s.in_use, s.woken, s.fresh FROM account_slots s LEFT JOIN nodes n ON n.node = s.node
            WHERE s.tenant = \(tenant) AND (NOT \(liveOnly) OR n.expires_at > clock_timestamp()) ORDER BY s.node
            """, logger: logger
        ).decode((String, Int32, Int32, Int32, Int32).self) {
            rows.append(SlotShare.Holder(node: node, held: Int(held), inUse: Int(inUse), woken: Int(woken), fresh: Int(fresh)))
        }
        return rows
    }
}
