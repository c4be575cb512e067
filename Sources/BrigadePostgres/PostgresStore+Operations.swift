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
        guard let row = rows.first else { throw BrigadeError.instanceNotFound(key) }
        return try instanceRow(row)
    }

    static func fetchSteps(seq: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [StepRecord] {
        var steps: [StepRecord] = []
        for try await step in try await connection.execute(ReplayReads.Steps(seq: seq), logger: logger) { steps.append(step) }
        return steps
    }

    /// Writes a decided change: the row's mutable columns and its history only while its epoch
    /// is the one the change was decided on (``InstanceChangeStatement``, prepared: a claim is on
    /// the path of every instance's start), then, for the rare changes that touch steps (restart,
    /// resume), those, under the row lock the first statement took. Runs inside the committer's
    /// transaction, so a change is whole or not at all.
    static func apply(_ change: InstanceChange, lease: LeaseFence? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        var matched: Int64 = 0
        for try await count in try await connection.execute(InstanceChangeStatement(change: change, lease: lease), logger: logger) {
            matched = count
        }
        guard matched == 1 else { throw FencedWriteError(seq: change.row.seq, epoch: change.decidedAtEpoch) }
        let seq = change.row.seq
        switch change.steps {
        case .keep:
            break
        case .shiftDeadlines(let milliseconds):
            try await connection.query(
                """
                UPDATE steps SET deadline = deadline + \(milliseconds)
                WHERE instance_seq = \(seq) AND deadline IS NOT NULL AND status IN ('waiting', 'retrying')
                """, logger: logger)
        case .drop(let position):
            try await connection.query("DELETE FROM steps WHERE instance_seq = \(seq) AND position >= \(Int64(position))", logger: logger)
        case .dropAll:
            try await connection.query("DELETE FROM steps WHERE instance_seq = \(seq)", logger: logger)
            try await connection.query("DELETE FROM events WHERE instance_seq = \(seq)", logger: logger)
        }
        if let notice = change.notice { try await deliver(notice, now: change.row.modifiedAt, on: connection, logger: logger) }
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
            return try await Self.insertEvent(into: row, type: type, payload: payload, now: now, on: connection, logger: logger)
        }
    }

    /// Stores an event for `row` (locked by the caller) and makes a hibernating instance due
    /// now: ``sendEvent(_:type:payload:now:)`` and a child's notice to its parent.
    private static func insertEvent(
        into row: InstanceRow, type: String, payload: Data, now: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> SentEvent {
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
        if let wake { try await apply(wake, on: connection, logger: logger) }
        return SentEvent(
            event: EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: now), seq: row.seq, shard: row.shard,
            status: row.status)
    }

    /// Delivers a child's outcome to its parent in the transaction that ends the child. A
    /// parent that is gone or has ended has nobody waiting: nothing is stored.
    static func deliver(_ notice: ParentNotice, now: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let parent: InstanceRow
        do {
            parent = try await lockedInstance(notice.parent, on: connection, logger: logger)
        } catch let error as BrigadeError where error.code == .instanceNotFound {
            return
        }
        guard !parent.status.isTerminal else { return }
        _ = try await insertEvent(into: parent, type: notice.type, payload: notice.payload, now: now, on: connection, logger: logger)
    }

    @_spi(Stores) public func pendingEvent(instance seq: Int64, type: String) async throws -> EventRecord? {
        try await read { connection, logger in
            for try await (eventSeq, type, payload, createdAt) in try await connection.query(
                """
                SELECT seq, type, payload, created_at FROM events WHERE instance_seq = \(seq) AND type = \(type) AND NOT consumed
                ORDER BY seq LIMIT 1
                """, logger: logger
            ).decode((Int64, String, Data, Int64).self) {
                return EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: createdAt)
            }
            return nil
        }
    }

    @_spi(Stores) public func claim(seq: Int64, now: Int64, lease: LeaseFence?) async throws -> ClaimResult {
        let logger = self.logger
        return try await lane(seq: seq).submit { connection -> ClaimResult in
            var locked: InstanceRow?
            for try await row in try await connection.execute(ReplayReads.LockedInstance(seq: seq), logger: logger) { locked = row }
            guard let row = locked else { return .gone }
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
            for try await event in try await connection.execute(ReplayReads.PendingEvents(seq: seq), logger: logger) { events.append(event) }
            return .claimed(ReplaySnapshot(row: change.row, steps: steps, events: events))
        }
    }

    @_spi(Stores) public func write(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        // A fenced lazy write means the engine lost the instance; its next awaited write fails
        // the same way and stops it.
        try await lane(seq: write.seq).submit(write, awaitCommit: awaitCommit)
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
        if let notice = write.notice { try await deliver(notice, now: write.now, on: connection, logger: logger) }
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
