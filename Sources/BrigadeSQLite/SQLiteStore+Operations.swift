import Brigade
import Foundation
import GRDB

/// Instance operations from outside the engine. Each bumps the epoch when it changes the
/// instance, fencing any engine still running it.
extension SQLiteStore {
    private static func requireInstance(_ key: InstanceKey, _ db: Database) throws -> InstanceRow {
        guard let row = try fetchInstance(key, db) else {
            throw BrigadeError(
                .instanceNotFound, "(instance.not_found) No instance \"\(key.id)\" in workflow \"\(key.workflow)\".", instanceId: key.id)
        }
        return row
    }

    public func sendEvent(_ key: InstanceKey, type: String, payload: Data, now: Int64) async throws -> SentEvent {
        try await committer.submit { db -> SentEvent in
            let row = try Self.requireInstance(key, db)
            if row.status.isTerminal {
                throw BrigadeError(
                    .instanceFinished,
                    "Cannot send an event to instance \"\(key.id)\": it is \(row.status.rawValue). Events are accepted until an instance finishes.",
                    instanceId: key.id
                )
            }
            try db.executeCached(
                sql: "INSERT INTO events (instance_seq, type, payload, created_at) VALUES (?, ?, ?, ?)",
                arguments: [row.seq, type, payload, now]
            )
            let eventSeq = db.lastInsertedRowID
            if row.status == .waiting {
                // A hibernated instance wakes now to look at the event.
                try db.executeCached(sql: "UPDATE instances SET due_at = ?, modified_at = ? WHERE seq = ?", arguments: [now, now, row.seq])
            }
            return SentEvent(
                event: EventRecord(seq: eventSeq, type: type, payload: payload, createdAt: now),
                seq: row.seq, shard: row.shard, status: row.status
            )
        }
    }

    public func pause(_ key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            var row = try Self.requireInstance(key, db)
            guard [.running, .waiting, .waitingForPause].contains(row.status) else { return row }
            try db.executeCached(
                sql:
                    "UPDATE instances SET status = 'paused', paused_at = ?, due_at = NULL, epoch = epoch + 1, modified_at = ? WHERE seq = ?",
                arguments: [now, now, row.seq]
            )
            try HistoryEntry(.workflowPaused, at: now).append(instanceSeq: row.seq, in: db)
            row.status = .paused
            row.pausedAt = now
            row.dueAt = nil
            row.epoch += 1
            return row
        }
    }

    public func resume(_ key: InstanceKey, now: Int64) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            var row = try Self.requireInstance(key, db)
            guard row.status == .paused || row.status == .waitingForPause else { return row }
            if let pausedAt = row.pausedAt, now > pausedAt {
                // Sleeps, retry back-offs and event timeouts are frozen while paused.
                try db.executeCached(
                    sql:
                        "UPDATE steps SET deadline = deadline + ? WHERE instance_seq = ? AND deadline IS NOT NULL AND status IN ('waiting', 'retrying')",
                    arguments: [now - pausedAt, row.seq]
                )
            }
            try db.executeCached(
                sql:
                    "UPDATE instances SET status = 'queued', paused_at = NULL, due_at = ?, epoch = epoch + 1, modified_at = ? WHERE seq = ?",
                arguments: [now, now, row.seq]
            )
            try HistoryEntry(.workflowQueued, at: now, data: ["resumed": .bool(true)]).append(instanceSeq: row.seq, in: db)
            row.status = .queued
            row.pausedAt = nil
            row.dueAt = now
            row.epoch += 1
            return row
        }
    }

    public func terminate(_ key: InstanceKey, now: Int64, defaultRetention: Duration) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            var row = try Self.requireInstance(key, db)
            let expiresAt = now + (row.retention?.error ?? defaultRetention).wholeMilliseconds
            if row.status.isTerminal {
                throw BrigadeError(
                    .cannotTerminate,
                    "(instance.cannot_terminate) Cannot terminate instance \"\(key.id)\": it is already \(row.status.rawValue). Only queued, running, paused or waiting instances can be terminated.",
                    instanceId: key.id
                )
            }
            try db.executeCached(
                sql: """
                    UPDATE instances SET status = 'terminated', ended_at = ?, due_at = NULL, expires_at = ?,
                        epoch = epoch + 1, modified_at = ? WHERE seq = ?
                    """,
                arguments: [now, expiresAt, now, row.seq]
            )
            try HistoryEntry(.workflowTerminated, at: now, data: ["trigger": .object(["source": .string("api")])])
                .append(instanceSeq: row.seq, in: db)
            row.status = .terminated
            row.endedAt = now
            row.expiresAt = expiresAt
            row.dueAt = nil
            row.epoch += 1
            return row
        }
    }

    public func restart(_ key: InstanceKey, from: StepSelector?, now: Int64) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            var row = try Self.requireInstance(key, db)
            var data: [String: JSONValue] = ["restarted": .bool(true)]
            if let from {
                guard
                    let position = try Int.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT position FROM steps WHERE instance_seq = ? AND name = ? AND count = ? AND kind = ?"),
                        arguments: [row.seq, from.name, from.count, from.kind.rawValue]
                    )
                else {
                    throw BrigadeError(
                        .cannotRestart,
                        "(instance.cannot_restart) Step \"\(from.name)-\(from.count)\" of type \(from.kind.rawValue) not found in execution history of instance \"\(key.id)\".",
                        instanceId: key.id, stepName: "\(from.name)-\(from.count)"
                    )
                }
                // Steps recorded before the target keep their results; it and later ones re-run.
                try db.executeCached(sql: "DELETE FROM steps WHERE instance_seq = ? AND position >= ?", arguments: [row.seq, position])
                data["from"] = .object([
                    "name": .string(from.name), "count": .number(Double(from.count)), "type": .string(from.kind.rawValue),
                ])
            } else {
                try db.executeCached(sql: "DELETE FROM steps WHERE instance_seq = ?", arguments: [row.seq])
                try db.executeCached(sql: "DELETE FROM events WHERE instance_seq = ?", arguments: [row.seq])
            }
            try db.executeCached(
                sql: """
                    UPDATE instances SET status = 'queued', epoch = epoch + 1, due_at = ?, output = NULL,
                        error_name = NULL, error_message = NULL, ended_at = NULL, paused_at = NULL, expires_at = NULL,
                        modified_at = ? WHERE seq = ?
                    """,
                arguments: [now, now, row.seq]
            )
            try HistoryEntry(.workflowQueued, at: now, data: data).append(instanceSeq: row.seq, in: db)
            row.status = .queued
            row.epoch += 1
            row.dueAt = now
            row.output = nil
            row.error = nil
            row.endedAt = nil
            row.pausedAt = nil
            row.expiresAt = nil
            return row
        }
    }

    public func delete(_ key: InstanceKey) async throws -> InstanceRow {
        try await committer.submit { db -> InstanceRow in
            let row = try Self.requireInstance(key, db)
            try db.executeCached(sql: "DELETE FROM instances WHERE seq = ?", arguments: [row.seq])
            return row
        }
    }

    public func purgeExpired(now: Int64, limit: Int) async throws -> Int {
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
