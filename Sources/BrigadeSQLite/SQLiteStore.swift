@_spi(Stores) import Brigade
import CoreMetrics
import Foundation
import GRDB
import Logging

/// The embedded store: one SQLite file in WAL mode with `synchronous = FULL` (every commit is
/// fsynced), written by one ``GroupCommitter`` shared by all engines.
public final class SQLiteStore: WorkflowStore {
    let pool: DatabasePool
    let committer: GroupCommitter
    let logger: Logger
    public let path: String

    /// Opens (creating if needed) the database at `path`. Call ``migrate()`` (the runtime does)
    /// before use.
    ///
    /// - Parameters:
    ///   - lazyFlushDelay: how long records that need no immediate commit (a step's start, a
    ///     sleep's start) may wait for the next commit before being flushed on their own.
    ///   - metricsFactory: where the commit metrics go (`brigade_commit_batch_size`,
    ///     `brigade_commit_duration_seconds`); the bootstrapped `MetricsSystem` when nil.
    public init(
        path: String, lazyFlushDelay: Duration = .milliseconds(5), logger: Logger = Logger(label: "brigade.sqlite"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "brigade"
        pool = try DatabasePool(path: path, configuration: configuration)
        // Durability: fsync the WAL on every commit (GRDB defaults pools to NORMAL).
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        committer = GroupCommitter(
            writer: pool, path: path, lazyFlushDelay: lazyFlushDelay, logger: logger, metricsFactory: metricsFactory ?? MetricsSystem.factory)
        self.logger = logger
        self.path = path
    }

    public func migrate() async throws {
        let migrator = Self.migrator
        // Already current (every start after the first, and the runtime's own call after an
        // embedder's): no barrier, which would hold up every reader.
        if try await pool.read({ try migrator.hasCompletedMigrations($0) }) { return }
        // The barrier waits for in-flight reads; waiting for it must not block a thread of the
        // cooperative pool (two such waits on a two-core machine starved the readers they
        // waited for).
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            migrator.asyncMigrate(pool) { result in continuation.resume(with: result.map { _ in () }) }
        }
    }

    /// The journal mode and `synchronous` level of the writer connection (expected: `wal`, 2 = FULL).
    public func durability() async throws -> (journalMode: String, synchronous: Int) {
        try await pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    /// For every completed `sleep` step of a workflow: how late it woke, in milliseconds (its
    /// completion time minus its deadline). A diagnostic for benchmarks.
    public func sleepLateness(tenant: String, workflow: String) async throws -> [Int64] {
        try await pool.read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT steps.ended_at - steps.deadline FROM steps JOIN instances ON instances.seq = steps.instance_seq
                    WHERE instances.tenant = ? AND instances.workflow = ? AND steps.kind = 'sleep' AND steps.status = 'complete'
                    """,
                arguments: [tenant, workflow])
        }
    }

    /// The version of the SQLite library in use.
    public func sqliteVersion() async throws -> String {
        try await pool.read { try String.fetchOne($0, sql: "SELECT sqlite_version()") ?? "unknown" }
    }

    /// Group-commit counters: batches and items.
    public var commitStatistics: CommitStatistics { committer.stats }

    // MARK: Creation

    @_spi(Stores) public func createInstances(_ instances: [NewInstance], skipExisting: Bool, maxQueued: Int) async throws -> [Int64?] {
        try await committer.submit { db in
            try Self.checkQueueRoom(for: instances, maxQueued: maxQueued, db)
            var result: [Int64?] = []
            result.reserveCapacity(instances.count)
            for instance in instances {
                let key = instance.key
                let now = instance.createdAt
                let (first, history) = instance.initial()
                func insert() throws {
                    try db.executeCached(
                        sql: """
                            INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at,
                                shard, epoch, started_at, success_retention_ms, error_retention_ms, step_limit, trigger)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT (tenant, workflow, id) DO NOTHING
                            """,
                        arguments: [
                            key.tenant, key.workflow, key.id, first.status.rawValue, instance.params, now, now, now, instance.shard,
                            first.epoch, first.startedAt, instance.retention?.success?.wholeMilliseconds,
                            instance.retention?.error?.wholeMilliseconds, instance.stepLimit, instance.trigger.storedJSON,
                        ]
                    )
                }
                try insert()
                if db.changesCount == 0 {
                    // The id is taken until its instance is purged. Purge it here if its retention
                    // ended and insert again: only a conflict pays for this.
                    try db.executeCached(
                        sql:
                            "DELETE FROM instances WHERE tenant = ? AND workflow = ? AND id = ? AND expires_at IS NOT NULL AND expires_at <= ?",
                        arguments: [key.tenant, key.workflow, key.id, now]
                    )
                    if db.changesCount == 1 { try insert() }
                }
                guard db.changesCount == 1 else {
                    if skipExisting {
                        result.append(nil)
                        continue
                    }
                    throw BrigadeError.instanceAlreadyExists(key)
                }
                let seq = db.lastInsertedRowID
                try HistoryEntry.append(history, instanceSeq: seq, in: db)
                result.append(seq)
            }
            return result
        }
    }

    // MARK: Reads

    @_spi(Stores) public func instance(_ key: InstanceKey) async throws -> InstanceRow? {
        try await pool.read { db in try Self.fetchInstance(key, db) }
    }

    static func fetchInstance(_ key: InstanceKey, _ db: Database) throws -> InstanceRow? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(InstanceRow.columns) FROM instances WHERE tenant = ? AND workflow = ? AND id = ?"),
            arguments: [key.tenant, key.workflow, key.id]
        ).map(InstanceRow.init(row:))
    }

    static func fetchInstance(seq: Int64, _ db: Database) throws -> InstanceRow? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(InstanceRow.columns) FROM instances WHERE seq = ?"), arguments: [seq]).map(InstanceRow.init(row:))
    }

    @_spi(Stores) public func dueInstances(_ shard: ShardKey, after: DueInstance.Position?, dueBefore: Int64, limit: Int) async throws
        -> [DueInstance]
    {
        let after = after ?? DueInstance.Position(dueAt: .min, seq: .min)
        return try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT seq, id, status, due_at FROM instances
                        WHERE tenant = ? AND workflow = ? AND shard = ? AND due_at IS NOT NULL AND due_at <= ?
                          AND (due_at, seq) > (?, ?)
                          AND status IN ('queued', 'running', 'rollingBack', 'waiting', 'waitingForPause')
                        ORDER BY due_at, seq LIMIT ?
                        """),
                arguments: [shard.tenant, shard.workflow, shard.shard, dueBefore, after.dueAt, after.seq, limit]
            ).map { row in
                DueInstance(
                    seq: row["seq"], id: row["id"],
                    status: InstanceStatus(rawValue: row["status"]) ?? .queued, dueAt: row["due_at"]
                )
            }
        }
    }

    @_spi(Stores) public func activeShards() async throws -> [ShardKey] {
        try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT tenant, workflow, shard FROM instances WHERE due_at IS NOT NULL"))
                .map { ShardKey(tenant: $0["tenant"], workflow: $0["workflow"], shard: $0["shard"]) }
        }
    }

    @_spi(Stores) public func steps(of key: InstanceKey) async throws -> [StepRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(StepRecord.columns) FROM steps JOIN instances ON instances.seq = steps.instance_seq
                        WHERE instances.tenant = ? AND instances.workflow = ? AND instances.id = ?
                        ORDER BY steps.position
                        """),
                arguments: [key.tenant, key.workflow, key.id]
            ).map(StepRecord.init(row:))
        }
    }

    @_spi(Stores) public func history(of key: InstanceKey, afterId: Int64, limit: Int) async throws -> [HistoryEvent] {
        try await pool.read { db in
            // Rows, not events: a packed row holds several (and the first may hold some at or
            // below `afterId`), so `limit` rows hold at least `limit` events when there are as many.
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(HistoryEvent.columns) FROM history
                        JOIN instances ON instances.seq = history.instance_seq
                        WHERE instances.tenant = ? AND instances.workflow = ? AND instances.id = ? AND history.id > ?
                        ORDER BY history.id LIMIT ?
                        """),
                arguments: [key.tenant, key.workflow, key.id, afterId, limit])
            let events = rows.flatMap { HistoryEvent.events(ofRow: $0, instanceId: key.id) }
            return HistoryEvent.page(events, after: afterId, limit: limit)
        }
    }

    @_spi(Stores) public func listInstances(
        tenant: String, workflow: String, status: InstanceStatus?, created: ClosedRange<Int64>?, after position: ListingPosition?,
        direction: InstanceQuery.Direction, limit: Int
    ) async throws -> [InstanceRow] {
        // Row-value comparisons on (created_at, id) walk the cursor indexes: a page costs the
        // same at the ten-millionth instance as at the first.
        var sql = "SELECT \(InstanceRow.columns) FROM instances WHERE tenant = ? AND workflow = ?"
        var arguments: StatementArguments = [tenant, workflow]
        if let status {
            sql += " AND status = ?"
            _ = arguments.append(contentsOf: [status.rawValue])
        }
        if let created {
            // A range on the index's next column after (tenant, workflow[, status]).
            sql += " AND created_at BETWEEN ? AND ?"
            _ = arguments.append(contentsOf: [created.lowerBound, created.upperBound])
        }
        if let position {
            sql += direction == .ascending ? " AND (created_at, id) > (?, ?)" : " AND (created_at, id) < (?, ?)"
            _ = arguments.append(contentsOf: [position.createdAt, position.id])
        }
        sql += direction == .ascending ? " ORDER BY created_at, id" : " ORDER BY created_at DESC, id DESC"
        sql += " LIMIT ?"
        _ = arguments.append(contentsOf: [limit])
        let (query, values) = (sql, arguments)
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: query), arguments: values).map(InstanceRow.init(row:))
        }
    }

    @_spi(Stores) public func instanceCounts(tenant: String, workflow: String) async throws -> [InstanceStatus: Int] {
        try await pool.read { db in
            var counts: [InstanceStatus: Int] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT status, count FROM instance_counts WHERE tenant = ? AND workflow = ? AND count > 0"),
                arguments: [tenant, workflow])
            {
                if let status = InstanceStatus(rawValue: row["status"]) { counts[status] = row["count"] }
            }
            return counts
        }
    }

    @_spi(Stores) public func instanceCountsByStatus() async throws -> [InstanceStatus: Int] {
        try await pool.read { db in
            var counts: [InstanceStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, sum(count) AS count FROM instance_counts GROUP BY status") {
                if let status = InstanceStatus(rawValue: row["status"]) { counts[status] = row["count"] }
            }
            return counts
        }
    }

    /// Throws `workflow.queue_full` if creating `instances` (all of one workflow, as the runtime
    /// creates them) could push that workflow past `maxQueued` queued instances.
    static func checkQueueRoom(for instances: [NewInstance], maxQueued: Int, _ db: Database) throws {
        guard let key = instances.first?.key else { return }
        let queued =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count FROM instance_counts WHERE tenant = ? AND workflow = ? AND status = 'queued'"),
                arguments: [key.tenant, key.workflow]) ?? 0
        try InstanceTransition.checkQueueRoom(workflow: key.workflow, queued: queued, adding: instances.count, maxQueued: maxQueued)
    }

    // MARK: Engine writes

    /// One process holds a SQLite database: there are no leases to check.
    @_spi(Stores) public func claim(seq: Int64, now: Int64, lease: LeaseFence?) async throws -> ClaimResult {
        try await committer.submit { db -> ClaimResult in
            guard let row = try Self.fetchInstance(seq: seq, db) else { return .gone }
            let change: InstanceChange
            switch InstanceTransition.claim(row, now: now) {
            case .notRunnable(let status, let first):
                if let first { try Self.apply(first, db) }
                return .notRunnable(status)
            case .run(let claim):
                change = claim
            }
            try Self.apply(change, db)
            let steps = try Self.fetchSteps(seq: seq, db)
            let events = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT seq, type, payload, created_at FROM events WHERE instance_seq = ? AND consumed = 0 ORDER BY seq"),
                arguments: [seq]
            ).map(EventRecord.init(row:))
            return .claimed(ReplaySnapshot(row: change.row, steps: steps, events: events))
        }
    }

    @_spi(Stores) public func write(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        try await committer.submit(write, awaitCommit: awaitCommit)
    }

    static func apply(_ write: InstanceWrite, _ db: Database) throws {
        if let update = write.update {
            var sql = "UPDATE instances SET modified_at = ?, status = ?, due_at = ?"
            var arguments: StatementArguments = [write.now, update.status.rawValue, update.dueAt]
            if let output = update.output {
                sql += ", output = ?"
                _ = arguments.append(contentsOf: [output])
            }
            if let error = update.error {
                sql += ", error_name = ?, error_message = ?"
                _ = arguments.append(contentsOf: [error.name, error.message])
            }
            if update.status == .paused {
                sql += ", paused_at = ?"
                _ = arguments.append(contentsOf: [update.pausedAt ?? write.now])
            }
            if let endedAt = update.endedAt {
                sql += ", ended_at = ?"
                _ = arguments.append(contentsOf: [endedAt])
            }
            if let expiresAt = update.expiresAt {
                sql += ", expires_at = ?"
                _ = arguments.append(contentsOf: [expiresAt])
            }
            sql += " WHERE seq = ? AND epoch = ?"
            _ = arguments.append(contentsOf: [write.seq, write.epoch])
            try db.executeCached(sql: sql, arguments: arguments)
        } else {
            try db.executeCached(
                sql: "UPDATE instances SET modified_at = ? WHERE seq = ? AND epoch = ?",
                arguments: [write.now, write.seq, write.epoch]
            )
        }
        // The fence: a stale epoch matches no row, and nothing of this write is applied.
        guard db.changesCount == 1 else { throw FencedWriteError(seq: write.seq, epoch: write.epoch) }
        for step in write.steps {
            try step.upsert(instanceSeq: write.seq, in: db)
        }
        for event in write.consumedEvents {
            try db.executeCached(
                sql: "UPDATE events SET consumed = 1 WHERE seq = ? AND instance_seq = ? AND consumed = 0",
                arguments: [event, write.seq]
            )
            guard db.changesCount == 1 else { throw FencedWriteError(seq: write.seq, epoch: write.epoch) }
        }
        try HistoryEntry.append(write.history, instanceSeq: write.seq, in: db)
        if let notice = write.notice { try deliver(notice, now: write.now, db) }
    }
}
