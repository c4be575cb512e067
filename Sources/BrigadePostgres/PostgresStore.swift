@_spi(Stores) import Brigade
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The cluster's store: one PostgreSQL database that every node shares.
///
/// The same concepts as the SQLite store, with the same rules (``InstanceTransition``) and the
/// same batching (``CommitQueue``). Every state change of this node goes through one of a few
/// group committers, its writer lanes: one instance's changes always go through the same lane, so
/// they commit in the order they were made, while the lanes commit side by side on connections
/// of their own (``LaneConnection``: a lone connection waits a network round trip per statement,
/// and most of a batch's time is those waits). Reads go through the connection pool. Fencing is the instance's
/// epoch: a write decided at an older epoch changes nothing.
public final class PostgresStore: WorkflowStore {
    let client: PostgresClient
    /// The writer lanes; see ``lane(seq:)``.
    let lanes: [PostgresCommitter]
    let logger: Logger
    /// Where the database is (without its password when printed).
    public let location: PostgresLocation
    private let running: Task<Void, Never>
    /// How long a call waits for a connection before it fails as `storage.unavailable`.
    let leaseTimeout: Duration
    /// How long a call may run once it has its connection before it fails as
    /// `storage.unavailable` (its outcome unknown) and the connection is closed.
    let runTimeout: Duration
    /// The task holding the node lock's connection, when ``holdNodeLock(node:)`` took it.
    let nodeLockHolder = Mutex<Task<Void, Never>?>(nil)

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`). The
    /// pool connects on first use; call ``migrate()`` (the runtime does) before anything else,
    /// and ``close()`` at the end.
    ///
    /// - Parameters:
    ///   - maxConnections: the pool's size, for reads and the node's other calls; each writer
    ///     lane has a connection of its own besides.
    ///   - writerLanes: how many group committers write side by side.
    ///   - lazyFlushDelay: how long records that need no immediate commit may wait for the next
    ///     commit before being flushed on their own.
    ///   - leaseTimeout: how long a call waits for a connection (the server down or unreachable)
    ///     before it fails as `storage.unavailable`.
    ///   - runTimeout: how long a call or a commit may run on its connection (a server that went
    ///     silent) before it fails as `storage.unavailable`, saying its outcome is unknown.
    /// - Throws: `storage.invalid_url` for a URL that does not name a database.
    public convenience init(
        url: String, maxConnections: Int = 12, writerLanes: Int = 4, lazyFlushDelay: Duration = .milliseconds(5),
        leaseTimeout: Duration = .seconds(5),
        runTimeout: Duration = .seconds(30), logger: Logger = Logger(label: "brigade.postgres")
    ) throws {
        try self.init(
            location: PostgresLocation(url: url), maxConnections: maxConnections, writerLanes: writerLanes, lazyFlushDelay: lazyFlushDelay,
            leaseTimeout: leaseTimeout,
            runTimeout: runTimeout, logger: logger)
    }

    /// Connects to the database at `location`; see
    /// ``init(url:maxConnections:writerLanes:lazyFlushDelay:leaseTimeout:runTimeout:logger:)``.
    public init(
        location: PostgresLocation, maxConnections: Int = 12, writerLanes: Int = 4, lazyFlushDelay: Duration = .milliseconds(5),
        leaseTimeout: Duration = .seconds(5),
        runTimeout: Duration = .seconds(30), logger: Logger = Logger(label: "brigade.postgres")
    ) throws {
        self.leaseTimeout = leaseTimeout
        self.runTimeout = runTimeout
        var configuration = location.configuration
        configuration.options.maximumConnections = max(2, maxConnections)
        configuration.options.minimumConnections = 0
        configuration.options.additionalStartupParameters.append(contentsOf: PostgresLocation.startupParameters)
        // The pool logs every failed connection attempt at info; during an outage that is a line
        // per attempt, and the store's own errors already say the server is unreachable.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        self.client = client
        self.location = location
        self.logger = logger
        let laneConfiguration = location.connectionConfiguration
        lanes = (0..<max(1, writerLanes)).map { _ in
            PostgresCommitter(
                connection: LaneConnection(
                    configuration: laneConfiguration, eventLoop: PostgresClient.defaultEventLoopGroup.next(), connectTimeout: leaseTimeout,
                    runTimeout: runTimeout, logger: poolLogger),
                lazyFlushDelay: lazyFlushDelay, logger: logger)
        }
        // Started at once, not when the scheduler gets to it: a lease taken before `run()` has
        // begun works, but postgres-nio warns about it.
        running = Task.immediate { await client.run() }
    }

    deinit { running.cancel() }

    /// Closes the pool's connections. Calls made afterwards fail with `storage.unavailable`.
    ///
    /// Waits at most `within` for the pool to finish: a connection whose server vanished
    /// without a word (see ``PostgresClient/withConnection(leaseTimeout:runTimeout:_:)``) may
    /// never close, and a node shutting down must not wait for it.
    public func close(within: Duration = .seconds(5)) async {
        let holder = nodeLockHolder.withLock { $0 }
        let running = self.running
        let lanes = self.lanes
        let closed = await OneShot<Bool>.first(
            of: {
                for lane in lanes { await lane.close() }
                if let holder {
                    holder.cancel()
                    await holder.value
                }
                running.cancel()
                await running.value
                return true
            }, before: .now + within, otherwise: false)
        if !closed { logger.warning("the connection pool did not close within \(within); leaving it to the process's end") }
    }

    public func migrate() async throws {
        do {
            try await Self.migrate(client, logger: logger)
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    /// How many group committers write side by side.
    public var writerLanes: Int { lanes.count }

    /// Transactions this node committed, and the writes in them.
    public var commitStatistics: CommitStatistics { lanes.map(\.stats).reduce(CommitStatistics(), +) }

    /// The server's version string.
    public func serverVersion() async throws -> String {
        try await read { client, logger in
            for try await version in try await client.query("SHOW server_version", logger: logger).decode(String.self) { return version }
            return "unknown"
        }
    }

    /// Runs a read on a connection of the pool, with PostgreSQL's failures mapped to storage
    /// errors.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = self.logger
        do {
            return try await client.withConnection(leaseTimeout: leaseTimeout, runTimeout: runTimeout) { connection in
                // On the connection's event loop, as a writer lane runs: each answer resumes the
                // read on the thread that received it.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) { try await body(connection, logger) }
            }
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    // MARK: Creation

    @_spi(Stores) public func createInstances(_ instances: [NewInstance], skipExisting: Bool, maxQueued: Int) async throws -> [Int64?] {
        let logger = self.logger
        // A workflow's creations go through one lane, so that each checks the queue cap after the
        // ones before it have committed.
        let lane = instances.first.map { self.lane(tenant: $0.key.tenant, workflow: $0.key.workflow) } ?? lanes[0]
        return try await lane.submit { connection in
            var result: [Int64?] = []
            result.reserveCapacity(instances.count)
            for instance in instances {
                let key = instance.key
                let inserted = try await Self.insert(instance, on: connection, logger: logger)
                var seq = inserted.seq
                if result.isEmpty {
                    // The cap, judged on the count before the batch's first insert; past it, this
                    // item fails and the committer rolls back what it inserted.
                    try InstanceTransition.checkQueueRoom(
                        workflow: key.workflow, queued: Int(inserted.queued), adding: instances.count, maxQueued: maxQueued)
                }
                if seq == nil {
                    // The id is taken until its instance is purged. Purge it here if its retention
                    // ended and insert again: only a conflict pays for this.
                    let purged = try await connection.query(
                        """
                        DELETE FROM instances WHERE tenant = \(key.tenant) AND workflow = \(key.workflow) AND id = \(key.id)
                            AND expires_at IS NOT NULL AND expires_at <= \(instance.createdAt) RETURNING seq
                        """, logger: logger
                    ).collect()
                    if !purged.isEmpty { seq = try await Self.insert(instance, on: connection, logger: logger).seq }
                }
                guard let seq else {
                    if skipExisting {
                        result.append(nil)
                        continue
                    }
                    throw BrigadeError.instanceAlreadyExists(key)
                }
                result.append(seq)
            }
            return result
        }
    }

    /// Inserts an instance with its first history entry, in one prepared statement: its seq (nil
    /// when the id is taken) and the workflow's queued count before it.
    private static func insert(_ instance: NewInstance, on connection: PostgresConnection, logger: Logger) async throws
        -> (seq: Int64?, queued: Int64)
    {
        for try await row in try await connection.execute(InsertInstanceStatement(instance: instance), logger: logger) {
            return row
        }
        return (nil, 0)
    }

    // MARK: Reads

    @_spi(Stores) public func instance(_ key: InstanceKey) async throws -> InstanceRow? {
        try await read { connection, logger in
            var found: InstanceRow?
            for try await row in try await connection.execute(InstanceByKeyStatement(key: key), logger: logger) { found = row }
            return found
        }
    }

    @_spi(Stores) public func dueInstances(_ shard: ShardKey, after: DueInstance.Position?, dueBefore: Int64, limit: Int) async throws
        -> [DueInstance]
    {
        let after = after ?? DueInstance.Position(dueAt: .min, seq: .min)
        return try await read { client, logger in
            var due: [DueInstance] = []
            for try await (seq, id, status, dueAt) in try await client.query(
                """
                SELECT seq, id, status, due_at FROM instances
                WHERE tenant = \(shard.tenant) AND workflow = \(shard.workflow) AND shard = \(Int64(shard.shard))
                  AND due_at IS NOT NULL AND due_at <= \(dueBefore) AND (due_at, seq) > (\(after.dueAt), \(after.seq))
                  AND status IN ('queued', 'running', 'rollingBack', 'waiting', 'waitingForPause')
                ORDER BY due_at, seq LIMIT \(Int64(limit))
                """, logger: logger
            ).decode((Int64, String, String, Int64).self) {
                due.append(DueInstance(seq: seq, id: id, status: InstanceStatus(rawValue: status) ?? .queued, dueAt: dueAt))
            }
            return due
        }
    }

    @_spi(Stores) public func activeShards() async throws -> [ShardKey] {
        try await read { client, logger in
            var shards: [ShardKey] = []
            for try await (tenant, workflow, shard) in try await client.query(
                "SELECT DISTINCT tenant, workflow, shard FROM instances WHERE due_at IS NOT NULL", logger: logger
            ).decode((String, String, Int64).self) {
                shards.append(ShardKey(tenant: tenant, workflow: workflow, shard: Int(shard)))
            }
            return shards
        }
    }

    @_spi(Stores) public func steps(of key: InstanceKey) async throws -> [StepRecord] {
        try await read { client, logger in
            try await client.query(
                """
                SELECT steps.* FROM steps JOIN instances ON instances.seq = steps.instance_seq
                WHERE instances.tenant = \(key.tenant) AND instances.workflow = \(key.workflow) AND instances.id = \(key.id)
                ORDER BY steps.position
                """, logger: logger
            ).collect().map(Self.stepRecord)
        }
    }

    @_spi(Stores) public func history(of key: InstanceKey, afterId: Int64, limit: Int) async throws -> [HistoryEvent] {
        try await read { client, logger in
            var events: [HistoryEvent] = []
            for try await (id, at, typeText, step, text) in try await client.query(
                """
                SELECT history.id, history.at, history.type, history.step, history.data
                FROM history JOIN instances ON instances.seq = history.instance_seq
                WHERE instances.tenant = \(key.tenant) AND instances.workflow = \(key.workflow) AND instances.id = \(key.id)
                  AND history.id > \(afterId)
                ORDER BY history.id LIMIT \(Int64(limit))
                """, logger: logger
            ).decode((Int64, Int64, String, String?, String?).self) {
                guard let event = HistoryEvent(id: id, instanceId: key.id, at: at, type: typeText, step: step, dataText: text) else {
                    continue
                }
                events.append(event)
            }
            return events
        }
    }

    @_spi(Stores) public func listInstances(
        tenant: String, workflow: String, status: InstanceStatus?, created: ClosedRange<Int64>?, after position: ListingPosition?,
        direction: InstanceQuery.Direction, limit: Int
    ) async throws -> [InstanceRow] {
        // Row-value comparisons on (created_at, id) walk the cursor indexes: a page costs the
        // same at the ten-millionth instance as at the first.
        var binds = NumberedBinds()
        var sql =
            "SELECT \(Self.instanceColumns) FROM instances WHERE tenant = \(try binds.bind(tenant)) AND workflow = \(try binds.bind(workflow))"
        if let status { sql += " AND status = \(try binds.bind(status.rawValue))" }
        if let created { sql += " AND created_at BETWEEN \(try binds.bind(created.lowerBound)) AND \(try binds.bind(created.upperBound))" }
        if let position {
            let comparison = direction == .ascending ? ">" : "<"
            sql += " AND (created_at, id) \(comparison) (\(try binds.bind(position.createdAt)), \(try binds.bind(position.id)))"
        }
        sql += direction == .ascending ? " ORDER BY created_at, id" : " ORDER BY created_at DESC, id DESC"
        sql += " LIMIT \(try binds.bind(Int64(limit)))"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds.binds)
        return try await read { client, logger in
            try await client.query(query, logger: logger).collect().map(Self.instanceRow)
        }
    }
}
