@_spi(Stores) import Brigade
import Logging
import PostgresNIO
import Synchronization

/// One writer lane of a ``PostgresStore``: the changes routed to it commit in submission order,
/// batched into one transaction while a commit is in flight (the batching rule is
/// ``CommitQueue``, shared with the SQLite store). The store runs several side by side and routes
/// each instance's changes to one of them (`PostgresStore+Lanes.swift`).
///
/// One item's failure (a fenced write, a duplicate id) rolls back only that item: a batch in
/// which one fails runs again with a savepoint around each item. A batch the server aborted to
/// break a deadlock runs again whole. A submitter resumes once the transaction holding its item
/// has committed. Each lane commits on a connection of its own (``LaneConnection``).
final class PostgresCommitter: Sendable {
    /// An engine's write (which writes of one instance in a batch may join,
    /// ``CommitQueue/joiningWrites(_:)``), or any other change as a closure.
    typealias Item = CommitItem<@Sendable (PostgresConnection) async throws -> any Sendable>

    private let connection: LaneConnection
    private let logger: Logger
    private let state = Mutex(CommitQueue<Item>())
    private let lazyFlushDelay: Duration
    private let statistics = Mutex(CommitStatistics())
    /// How many times a batch the server aborted to break a deadlock runs again before its
    /// submitters get the failure.
    static let conflictRetries = 5

    init(connection: LaneConnection, lazyFlushDelay: Duration, logger: Logger) {
        self.connection = connection
        self.lazyFlushDelay = lazyFlushDelay
        self.logger = logger
    }

    var stats: CommitStatistics { statistics.withLock { $0 } }

    /// Applies `body` in the next transaction and returns its result once that transaction has
    /// committed. An error thrown by `body` rolls back only this item.
    func submit<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Item.awaiting(.body({ try await body($0) }), to: enqueue)
    }

    /// Applies an engine's write in the next transaction; returns once that has committed when
    /// `awaitCommit`, at once otherwise.
    func submit(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        try await Item.submit(write, awaitCommit: awaitCommit, to: enqueue)
    }

    private func enqueue(_ item: Item) {
        switch state.withLock({ $0.enqueue(item, awaited: !item.completions.isEmpty) }) {
        case .none: break
        case .commit: startDrain(includeLazy: false)
        case .scheduleFlush: scheduleFlush()
        }
    }

    /// Drains in a task that runs on the lane connection's event loop from its start: no hop
    /// to it per commit.
    private func startDrain(includeLazy: Bool) {
        Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) { await self.drain(includeLazy: includeLazy) }
    }

    private func scheduleFlush() {
        // A timer, not a sleeping task: most flushes find their records committed already by an
        // awaited write that came first.
        _ = SleepScheduler.shared.schedule(after: lazyFlushDelay) {
            if self.state.withLock({ $0.flushIsDue() }) { self.startDrain(includeLazy: true) }
        }
    }

    /// Closes the lane's connection.
    func close() async { await connection.close() }

    /// Commits batches until nothing that someone waits for is left.
    private func drain(includeLazy: Bool) async {
        var includeLazy = includeLazy
        while true {
            switch state.withLock({ $0.next(includeLazy: includeLazy) }) {
            case .commit(let batch):
                await commit(batch)
                includeLazy = false
            case .stop(let flush):
                if flush { scheduleFlush() }
                return
            }
        }
    }

    private func commit(_ submitted: [Item]) async {
        let logger = self.logger
        let batch = CommitQueue.joiningWrites(submitted)
        var results: [Result<any Sendable, any Error>] = []
        var conflicts = 0
        while true {
            do {
                results = try await connection.withConnection { connection in
                    try await Self.commit(batch, on: connection, logger: logger)
                }
            } catch where PostgresFailure.isConflict(error) && conflicts < Self.conflictRetries {
                // The server broke a deadlock with another writer (another lane, another node)
                // by aborting this transaction: nothing of it was written, so it runs again.
                conflicts += 1
                logger.debug("batch of \(batch.count) aborted by the server (\(error)); running it again")
                continue
            } catch {
                // The transaction itself failed (the connection, the server): nothing of it was
                // committed.
                results = Array(repeating: .failure(PostgresFailure.mapped(error)), count: batch.count)
            }
            break
        }
        statistics.withLock {
            $0.batches += 1
            $0.items += submitted.count
            $0.statements += batch.count
            $0.conflicts += conflicts
        }
        for (item, result) in zip(batch, results) {
            let result = result.mapError { PostgresFailure.mapped($0) }
            for completion in item.completions { completion(result) }
        }
    }

    /// One transaction holding `batch`: each item's result, or the transaction's failure thrown.
    ///
    /// Items rarely fail (a fenced write, a duplicate id), so a batch first runs without a
    /// savepoint per item, which would cost two round trips each. When an item fails, that
    /// transaction is rolled back and the batch runs again with a savepoint around every item, so
    /// that only the failing ones are left out. Items only read and write the database, so
    /// running one again is safe.
    private static func commit(_ batch: [Item], on connection: PostgresConnection, logger: Logger) async throws
        -> [Result<any Sendable, any Error>]
    {
        // A write that ends a child also writes its parent's event: two statements, so not alone.
        if batch.count == 1, let write = batch[0].write, write.notice == nil {
            // One engine's write alone is one statement, atomic on its own: no BEGIN and COMMIT
            // around it (two round trips of three, when writes come one at a time).
            do {
                return [.success(try await batch[0].run(on: connection, logger: logger))]
            } catch where !PostgresFailure.isConflict(error) {
                return [.failure(error)]
            }
        }
        try await connection.query("BEGIN", logger: logger)
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        do {
            var failed = false
            for item in batch {
                do {
                    results.append(.success(try await item.run(on: connection, logger: logger)))
                } catch {
                    // A transaction the server aborted runs again whole (see `commit(_:)`).
                    if PostgresFailure.isConflict(error) { throw error }
                    if batch.count == 1 { results.append(.failure(error)) }
                    failed = true
                    break
                }
            }
            if !failed {
                try await connection.query("COMMIT", logger: logger)
                return results
            }
            try await connection.query("ROLLBACK", logger: logger)
            // Alone in its transaction, the failing item's result is its error.
            if batch.count == 1 { return results }
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        results.removeAll(keepingCapacity: true)
        try await connection.query("BEGIN", logger: logger)
        do {
            for item in batch {
                try await connection.query("SAVEPOINT item", logger: logger)
                do {
                    results.append(.success(try await item.run(on: connection, logger: logger)))
                    try await connection.query("RELEASE SAVEPOINT item", logger: logger)
                } catch {
                    if PostgresFailure.isConflict(error) { throw error }
                    results.append(.failure(error))
                    try await connection.query("ROLLBACK TO SAVEPOINT item", logger: logger)
                    try await connection.query("RELEASE SAVEPOINT item", logger: logger)
                }
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        return results
    }
}

extension CommitItem where Body == @Sendable (PostgresConnection) async throws -> any Sendable {
    func run(on connection: PostgresConnection, logger: Logger) async throws -> any Sendable {
        switch work {
        case .write(let write): try await PostgresStore.apply(write, on: connection, logger: logger)
        case .body(let body): try await body(connection)
        }
    }
}
