@_spi(Stores) import Brigade
import Foundation
import Logging
import PostgresNIO

/// Changes of one instance: the engine's writes, its claim, and the operations from outside it.
/// The rules are ``InstanceTransition``'s; this file reads the row under its lock and applies
/// what was decided.
extension PostgresStore {
    /// The instance row, locked until the end of the transaction.
    static func lockedInstance(_ key: InstanceKey, on connection: PostgresConnection, logger: Logger) async throws -> InstanceRow {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: instanceColumns) FROM instances
            WHERE tenant = \(key.tenant) AND workflow = \(key.workflow) AND id = \(key.id) FOR UPDATE
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw InstanceTransition.notFound(key) }
        return try instanceRow(row)
    }

    static func fetchSteps(seq: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [StepRecord] {
        try await connection.query("SELECT * FROM steps WHERE instance_seq = \(seq) ORDER BY position", logger: logger)
            .collect().map(stepRecord)
    }

    /// Writes a decided change: the row's mutable columns only while its epoch is the one the
    /// change was decided on, then its steps and history.
    /// One statement, as an engine's write is (a claim is on the hot path of every creation).
    static func apply(_ change: InstanceChange, lease: LeaseFence? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        let row = change.row
        var sql = NumberedBinds()
        let seq = try sql.bind(row.seq)
        var parts = [
            """
            fence AS (UPDATE instances SET status = \(try sql.bind(row.status.rawValue)), output = \(try sql.bind(row.output)),
                error_name = \(try sql.bind(row.error?.name)), error_message = \(try sql.bind(row.error?.message)),
                started_at = \(try sql.bind(row.startedAt)), ended_at = \(try sql.bind(row.endedAt)),
                paused_at = \(try sql.bind(row.pausedAt)), due_at = \(try sql.bind(row.dueAt)), epoch = \(try sql.bind(row.epoch)),
                expires_at = \(try sql.bind(row.expiresAt)), modified_at = \(try sql.bind(row.modifiedAt))
            WHERE seq = \(seq) AND epoch = \(try sql.bind(change.decidedAtEpoch))\(try leaseCondition(lease, &sql)) RETURNING seq)
            """
        ]
        switch change.steps {
        case .keep:
            break
        case .shiftDeadlines(let milliseconds):
            parts.append(
                """
                shifted AS (UPDATE steps SET deadline = deadline + \(try sql.bind(milliseconds))
                    WHERE instance_seq = (SELECT seq FROM fence) AND deadline IS NOT NULL AND status IN ('waiting', 'retrying'))
                """)
        case .drop(let position):
            parts.append(
                "dropped AS (DELETE FROM steps WHERE instance_seq = (SELECT seq FROM fence) AND position >= \(try sql.bind(Int64(position))))")
        case .dropAll:
            parts.append("dropped AS (DELETE FROM steps WHERE instance_seq = (SELECT seq FROM fence))")
            parts.append("forgotten AS (DELETE FROM events WHERE instance_seq = (SELECT seq FROM fence))")
        }
        try appendHistory(change.history, seq: seq, to: &parts, &sql)
        let text = "WITH " + parts.joined(separator: ",\n") + "\nSELECT count(*) FROM fence"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: text, binds: sql.binds), logger: logger).collect()
        guard try rows.first?.decode(Int64.self) == 1 else { throw FencedWriteError(seq: row.seq, epoch: change.decidedAtEpoch) }
    }

    /// The parts of a statement that append `entries` to the history of the instance the
    /// statement's `fence` part wrote. Every part of one statement sees the same snapshot: the
    /// ids continue from the highest before it, in the order given (the instance row's lock,
    /// taken by the fence, keeps them this statement's).
    static func appendHistory(_ entries: [HistoryEntry], seq: String, to parts: inout [String], _ sql: inout NumberedBinds) throws {
        guard !entries.isEmpty else { return }
        parts.append("last AS (SELECT coalesce(max(id), 0) AS id FROM history WHERE instance_seq = \(seq))")
        for (index, entry) in entries.enumerated() {
            let json = historyData(entry)
            parts.append(
                """
                history\(index) AS (INSERT INTO history (instance_seq, id, at, type, step, data)
                    SELECT fence.seq, last.id + \(index + 1), \(try sql.bind(entry.at)), \(try sql.bind(entry.type.rawValue)),
                        \(try sql.bind(entry.step)), \(try sql.bind(json)) FROM fence, last)
                """)
        }
    }

    /// A history entry's data as the `data` column holds it: JSON, NULL when empty.
    static func historyData(_ entry: HistoryEntry) -> String? {
        entry.data.isEmpty ? nil : String(decoding: JSONValue.object(entry.data).jsonData(), as: UTF8.self)
    }

    @_spi(Stores) public func apply(_ transition: InstanceTransition, to key: InstanceKey, now: Int64) async throws -> InstanceRow {
        let logger = self.logger
        return try await lane(of: key).submit { connection in
            let row = try await Self.lockedInstance(key, on: connection, logger: logger)
            let steps = transition.needsSteps ? try await Self.fetchSteps(seq: row.seq, on: connection, logger: logger) : []
            guard let change = try transition.decide(row, steps: steps, now: now) else { return row }
            try await Self.apply(change, on: connection, logger: logger)
            return change.row
        }
    }

    @_spi(Stores) public func sendEvent(_ key: InstanceKey, type: String, payload: Data, now: Int64) async throws -> SentEvent {
        let logger = self.logger
        return try await lane(of: key).submit { connection in
            // The row's lock orders the events of one instance: their seqs are in commit order.
            let row = try await Self.lockedInstance(key, on: connection, logger: logger)
            let wake = try InstanceTransition.deliverEvent(to: row, now: now)
            var eventSeq: Int64 = 0
            for try await seq in try await connection.query(
                """
                INSERT INTO events (instance_seq, type, payload, created_at) VALUES (\(row.seq), \(type), \(payload), \(now))
                RETURNING seq
                """, logger: logger
            ).decode(Int64.self) {
                eventSeq = seq
            }
            if let wake { try await Self.apply(wake, on: connection, logger: logger) }
            return SentEvent(
                event: EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: now), seq: row.seq, shard: row.shard,
                status: row.status)
        }
    }

    @_spi(Stores) public func claim(seq: Int64, now: Int64, lease: LeaseFence?) async throws -> ClaimResult {
        let logger = self.logger
        return try await lane(seq: seq).submit { connection -> ClaimResult in
            guard
                let first = try await connection.query(
                    "SELECT \(unescaped: Self.instanceColumns) FROM instances WHERE seq = \(seq) FOR UPDATE",
                    logger: logger
                ).collect().first
            else { return .gone }
            let row = try Self.instanceRow(first)
            let change: InstanceChange
            switch InstanceTransition.claim(row, now: now) {
            case .notRunnable(let status, let first):
                if let first { try await Self.apply(first, on: connection, logger: logger) }
                return .notRunnable(status)
            case .run(let claim):
                change = claim
            }
            try await Self.apply(change, lease: lease, on: connection, logger: logger)
            let steps = try await Self.fetchSteps(seq: seq, on: connection, logger: logger)
            var events: [EventRecord] = []
            for try await (eventSeq, type, payload, createdAt) in try await connection.query(
                "SELECT seq, type, payload, created_at FROM events WHERE instance_seq = \(seq) AND NOT consumed ORDER BY seq",
                logger: logger
            ).decode((Int64, String, Data, Int64).self) {
                events.append(EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: createdAt))
            }
            return .claimed(ReplaySnapshot(row: change.row, steps: steps, events: events))
        }
    }

    @_spi(Stores) public func write(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        let logger = self.logger
        if awaitCommit {
            try await lane(seq: write.seq).submit { connection in try await Self.apply(write, on: connection, logger: logger) }
        } else {
            lane(seq: write.seq).submitLazy { connection in
                do {
                    try await Self.apply(write, on: connection, logger: logger)
                } catch {
                    // A fenced lazy write means the engine lost the instance; its next awaited
                    // write fails the same way and stops it.
                    logger.debug("lazy write not applied: \(error)")
                    throw error
                }
            }
        }
    }

    /// Applies an engine's write in one statement, one round trip, prepared once per connection
    /// (``InstanceWriteStatement``): the fenced update of the instance row, and, only if it
    /// matched, the steps, the consumed events and the history. A step write is the hot path.
    static func apply(_ write: InstanceWrite, on connection: PostgresConnection, logger: Logger) async throws {
        var matched: (fenced: Int64, consumed: Int64)?
        for try await row in try await connection.execute(InstanceWriteStatement(write: write), logger: logger) {
            matched = row
        }
        // The fence: a stale epoch matches no row, and nothing of this write is applied. An event
        // another write consumed first fails the write whole (the committer rolls it back).
        guard let matched, matched.fenced == 1, matched.consumed == Int64(write.consumedEvents.count) else {
            throw FencedWriteError(seq: write.seq, epoch: write.epoch)
        }
    }

    @_spi(Stores) public func delete(_ key: InstanceKey) async throws -> InstanceRow {
        let logger = self.logger
        return try await lane(of: key).submit { connection in
            let row = try await Self.lockedInstance(key, on: connection, logger: logger)
            try await connection.query("DELETE FROM instances WHERE seq = \(row.seq)", logger: logger)
            return row
        }
    }

    @_spi(Stores) public func purgeExpired(now: Int64, limit: Int) async throws -> Int {
        let logger = self.logger
        return try await lanes[0].submit { connection in
            try await Self.foldCounts(on: connection, logger: logger)
            return try await connection.query(
                """
                DELETE FROM instances WHERE seq IN (
                    SELECT seq FROM instances WHERE expires_at IS NOT NULL AND expires_at <= \(now) LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED)
                RETURNING seq
                """, logger: logger
            ).collect().count
        }
    }
}
