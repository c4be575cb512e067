@_spi(Stores) import Brigade
import CoreMetrics
import Dispatch
import Foundation
import GRDB
import Logging
import Synchronization

/// The single writer of a SQLite store: every state change, from every Engine and every API
/// call, goes through it.
///
/// It commits at once when idle and batches while a commit is in flight: submissions that arrive
/// during a commit are written together in the next transaction (the rule is ``CommitQueue``,
/// shared with the PostgreSQL store), an instance's writes in a batch joined where they can be
/// (``CommitQueue/joiningWrites(_:)``). One item's failure (a fenced write, a duplicate id) does
/// not affect the others: a batch in which one fails runs again with a savepoint around each
/// item. A caller of ``submit(_:)`` resumes only after the transaction holding its item has
/// committed.
///
/// Lazy items (``submit(_:awaitCommit:)`` without waiting) never trigger a commit by themselves:
/// they ride along with the next one, or are flushed after ``lazyFlushDelay``. Items are applied
/// in submission order, but for a write joined with its instance's earlier one.
final class GroupCommitter: Sendable {
    /// An engine's write, or any other change as a closure.
    typealias Item = CommitItem<@Sendable (Database) throws -> any Sendable>

    private let writer: DatabasePool
    /// The database file, for the errors that name it.
    private let path: String
    private let logger: Logger
    private let state = Mutex(CommitQueue<Item>())
    private let lazyFlushDelay: Duration
    private let statistics = Mutex(CommitStatistics())
    /// Items per transaction: how much group commit is saving.
    private let batchSize: Recorder
    /// One transaction, from `BEGIN` to the end of its `COMMIT` (the fsync included).
    private let commitDuration: CoreMetrics.Timer

    init(writer: DatabasePool, path: String, lazyFlushDelay: Duration, logger: Logger, metricsFactory: any MetricsFactory) {
        self.writer = writer
        self.logger = logger
        self.path = path
        self.lazyFlushDelay = lazyFlushDelay
        batchSize = Recorder(label: "brigade_commit_batch_size", factory: metricsFactory)
        commitDuration = CoreMetrics.Timer(label: "brigade_commit_duration_seconds", factory: metricsFactory)
    }

    /// Applies `body` in the next transaction and returns its result once that transaction has
    /// committed. An error thrown by `body` rolls back only this item.
    func submit<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Item.awaiting(.body({ try body($0) })) { self.enqueue($0) }
    }

    /// Applies an engine's write in the next transaction; returns once that has committed when
    /// `awaitCommit`, at once otherwise (a lazy write, whose failure is only logged).
    func submit(_ write: InstanceWrite, awaitCommit: Bool) async throws {
        try await Item.submit(write, awaitCommit: awaitCommit) { self.enqueue($0, inline: true) }
    }

    /// Batches committed so far and items in them.
    var stats: CommitStatistics { statistics.withLock { $0 } }

    /// Queues `item`. With `inline` (an engine's write, from its task on the cooperative pool)
    /// an idle committer commits the first batch on the caller's thread: a lone step's commit
    /// (W2's case) then costs no thread wake-up on the way in, only the fsync it waits for
    /// anyway. What arrives meanwhile is committed on GRDB's writer queue. Not for API calls,
    /// which may run on an event loop that must not wait for a disk.
    private func enqueue(_ item: Item, inline: Bool = false) {
        switch state.withLock({ $0.enqueue(item, awaited: !item.completions.isEmpty) }) {
        case .none: break
        case .commit where inline:
            let more = writer.writeWithoutTransaction { db -> [Item]? in
                guard let batch = nextBatch() else { return nil }
                commit(batch, db)
                return nextBatch()
            }
            if let more {
                writer.asyncWriteWithoutTransaction { db in
                    self.commit(more, db)
                    self.drain(db, includeLazy: false)
                }
            }
        case .commit: writer.asyncWriteWithoutTransaction { db in self.drain(db, includeLazy: false) }
        case .scheduleFlush: scheduleFlush()
        }
    }

    /// The next batch for the committer holding the in-flight mark, or nil once it gave it up
    /// (scheduling the lazy items' flush when they are left).
    private func nextBatch(includeLazy: Bool = false) -> [Item]? {
        switch state.withLock({ $0.next(includeLazy: includeLazy) }) {
        case .commit(let batch): return batch
        case .stop(let flush):
            if flush { scheduleFlush() }
            return nil
        }
    }

    private func scheduleFlush() {
        let nanoseconds = max(0, lazyFlushDelay.wholeMilliseconds) * 1_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
            if self.state.withLock({ $0.flushIsDue() }) {
                self.writer.asyncWriteWithoutTransaction { db in self.drain(db, includeLazy: true) }
            }
        }
    }

    /// Runs on GRDB's writer queue: commits batches until nothing that someone waits for is left.
    /// Lazy items are committed with them, or on their own when `includeLazy` (a flush).
    private func drain(_ db: Database, includeLazy: Bool) {
        var includeLazy = includeLazy
        while let batch = nextBatch(includeLazy: includeLazy) {
            commit(batch, db)
            includeLazy = false
        }
    }

    private func commit(_ submitted: [Item], _ db: Database) {
        let batch = CommitQueue.joiningWrites(submitted)
        let started = DispatchTime.now().uptimeNanoseconds
        var results: [Result<any Sendable, any Error>]
        do {
            results = try Self.commit(batch, db)
        } catch {
            // The transaction itself failed (the disk, a busy database): nothing of it was
            // committed.
            results = Array(repeating: .failure(error), count: batch.count)
        }
        commitDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        batchSize.record(submitted.count)
        statistics.withLock { stats in
            stats.batches += 1
            stats.items += submitted.count
            stats.statements += batch.count
        }
        for (item, result) in zip(batch, results) {
            let result = result.mapError { StorageFailure.mapped($0, path: path) }
            if item.completions.isEmpty, case .failure(let error) = result {
                // A fenced lazy write means the engine lost the instance; its next awaited write
                // fails the same way and stops it.
                logger.debug("lazy write not applied: \(error)")
            }
            for completion in item.completions { completion(result) }
        }
    }

    /// One transaction holding `batch`: each item's result, or the transaction's failure thrown.
    ///
    /// Items rarely fail (a fenced write, a duplicate id), so a batch first runs without a
    /// savepoint per item (two statements each, a tenth of a step's cost in
    /// `brigade-bench sqlite-floor`). When an item fails, that transaction is rolled back and the
    /// batch runs again with a savepoint around every item, so that only the failing ones are left
    /// out. Items only read and write the database, so running one again is safe.
    private static func commit(_ batch: [Item], _ db: Database) throws -> [Result<any Sendable, any Error>] {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        var failed = false
        try db.inTransaction(.immediate) {
            for item in batch {
                do {
                    results.append(.success(try item.run(db)))
                } catch {
                    results.append(.failure(error))
                    failed = true
                    return .rollback
                }
            }
            return .commit
        }
        // Alone in its transaction, the failing item's result is its error.
        guard failed, batch.count > 1 else { return results }
        results.removeAll(keepingCapacity: true)
        try db.inTransaction(.immediate) {
            // Through cached statements: preparing the savepoint statements anew for every item
            // was a visible share of the commit's CPU.
            for item in batch {
                try db.executeCached(sql: "SAVEPOINT item")
                do {
                    results.append(.success(try item.run(db)))
                    try db.executeCached(sql: "RELEASE SAVEPOINT item")
                } catch {
                    results.append(.failure(error))
                    try db.executeCached(sql: "ROLLBACK TO SAVEPOINT item")
                    try db.executeCached(sql: "RELEASE SAVEPOINT item")
                }
            }
            return .commit
        }
        return results
    }
}

extension CommitItem where Body == @Sendable (Database) throws -> any Sendable {
    func run(_ db: Database) throws -> any Sendable {
        switch work {
        case .write(let write): try SQLiteStore.apply(write, db)
        case .body(let body): try body(db)
        }
    }
}
