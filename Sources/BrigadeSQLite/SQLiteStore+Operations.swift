@_spi(Stores) import Brigade
import Foundation
import GRDB

/// Instance operations from outside the engine. The rules are ``InstanceTransition``'s; this
/// file only reads the row and applies the ``InstanceChange`` decided on it.
extension SQLiteStore {
    private static func requireInstance(_ key: InstanceKey, _ db: Database) throws -> InstanceRow {
        guard let row = try fetchInstance(key, db) else { throw BrigadeError.instanceNotFound(key) }
        return row
    }

    @_spi(Stores) public func sendEvent(_ key: InstanceKey, type: String, payload: Data, now: Int64) async throws -> SentEvent {
        try await committer.submit { db -> SentEvent in
            try Self.insertEvent(into: try Self.requireInstance(key, db), type: type, payload: payload, now: now, db)
        }
    }

    /// Stores an event for `row` and makes a hibernating instance due now: ``sendEvent(_:type:payload:now:)``
    /// and a child's notice to its parent.
    private static func insertEvent(into row: InstanceRow, type: String, payload: Data, now: Int64, _ db: Database) throws -> SentEvent {
        let wake = try InstanceTransition.deliverEvent(to: row, now: now)
        try db.executeCached(
            sql: "INSERT INTO events (instance_seq, type, payload, created_at) VALUES (?, ?, ?, ?)",
            arguments: [row.seq, type, payload, now]
        )
        let eventSeq = db.lastInsertedRowID
        if let wake { try apply(wake, db) }
        return SentEvent(
            event: EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: now),
            seq: row.seq, shard: row.shard, status: row.status
        )
    }

    /// Delivers a child's outcome to its parent in the transaction that ends the child. A
    /// parent that is gone or has ended has nobody waiting: nothing is stored.
    static func deliver(_ notice: ParentNotice, now: Int64, _ db: Database) throws {
        guard let parent = try fetchInstance(notice.parent, db), !parent.status.isTerminal else { return }
        _ = try insertEvent(into: parent, type: notice.type, payload: notice.payload, now: now, db)
    }

    @_spi(Stores) public func pendingEvent(instance seq: Int64, type: String) async throws -> EventRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT seq, type, payload, created_at FROM events WHERE instance_seq = ? AND type = ? AND consumed = 0 ORDER BY seq LIMIT 1",
                arguments: [seq, type]
            ).map(EventRecord.init(row:))
        }
    }

    @_spi(Stores) public func apply(_ transition: InstanceTransition, to key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            let row = try Self.requireInstance(key, db)
            let steps = transition.needsSteps ? try Self.fetchSteps(seq: row.seq, db) : []
            guard let change = try transition.decide(row, steps: steps, now: now) else { return row }
            try Self.apply(change, db)
            return change.row
        }
    }

    /// Writes a decided change: the row's mutable columns only while its epoch is the one the
    /// change was decided on, then its steps and history.
    static func apply(_ change: InstanceChange, _ db: Database) throws {
        let row = change.row
        try db.executeCached(
            sql: """
                UPDATE instances SET status = ?, output = ?, error_name = ?, error_message = ?, started_at = ?, ended_at = ?,
                    paused_at = ?, due_at = ?, epoch = ?, expires_at = ?, modified_at = ?, terminating = ?
                WHERE seq = ? AND epoch = ?
                """,
            arguments: [
                row.status.rawValue, row.output, row.error?.name, row.error?.message, row.startedAt, row.endedAt,
                row.pausedAt, row.dueAt, row.epoch, row.expiresAt, row.modifiedAt, row.terminating, row.seq, change.decidedAtEpoch,
            ]
        )
        guard db.changesCount == 1 else { throw FencedWriteError(seq: row.seq, epoch: change.decidedAtEpoch) }
        switch change.steps {
        case .keep:
            break
        case .shiftDeadlines(let milliseconds):
            try db.executeCached(
                sql:
                    "UPDATE steps SET deadline = deadline + ? WHERE instance_seq = ? AND deadline IS NOT NULL AND status IN ('waiting', 'retrying')",
                arguments: [milliseconds, row.seq]
            )
        case .drop(let position):
            try db.executeCached(sql: "DELETE FROM steps WHERE instance_seq = ? AND position >= ?", arguments: [row.seq, position])
        case .dropAll:
            try db.executeCached(sql: "DELETE FROM steps WHERE instance_seq = ?", arguments: [row.seq])
            try db.executeCached(sql: "DELETE FROM events WHERE instance_seq = ?", arguments: [row.seq])
        }
        try HistoryEntry.append(change.history, instanceSeq: row.seq, in: db)
        if let notice = change.notice { try deliver(notice, now: row.modifiedAt, db) }
    }

    static func fetchSteps(seq: Int64, _ db: Database) throws -> [StepRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(StepRecord.columns) FROM steps WHERE instance_seq = ? ORDER BY position"), arguments: [seq])
            .map(StepRecord.init(row:))
    }

    @_spi(Stores) public func delete(_ key: InstanceKey) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            let row = try Self.requireInstance(key, db)
            try db.executeCached(sql: "DELETE FROM instances WHERE seq = ?", arguments: [row.seq])
            return row
        }
    }

    @_spi(Stores) public func purgeExpired(now: Int64, limit: Int) async throws -> Int {
        try await committer.submit { db -> Int in
            try db.executeCached(
                sql: """
                    DELETE FROM instances WHERE seq IN (
                        SELECT seq FROM instances WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)
                    """,
                arguments: [now, limit]
            )
            return db.changesCount
        }
    }
}
