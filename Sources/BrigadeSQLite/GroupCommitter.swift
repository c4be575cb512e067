@_spi(Stores) import Brigade
import CoreMetrics
import Dispatch
import Foundation
import GRDB
import Synchronization

/// The single writer of a SQLite store: every state change, from every Engine and every API
/// call, goes through it.
///
/// It commits at once when idle and batches while a commit is in flight: submissions that arrive
/// during a commit are written together in the next transaction, each inside its own savepoint so
/// that one item's failure (a fenced write, a duplicate id) does not affect the others. A caller of
/// ``submit(_:)`` resumes only after the transaction holding its item has committed.
///
/// Lazy items (``submitLazy(_:)``) never trigger a commit by themselves: they ride along with the
/// next one, or are flushed after ``lazyFlushDelay``. Items are applied in submission order.
final class GroupCommitter: Sendable {
    private struct Item: Sendable {
        let body: @Sendable (Database) throws -> any Sendable
        let completion: (@Sendable (Result<any Sendable, any Error>) -> Void)?
    }

    private let writer: DatabasePool
    /// The database file, for the errors that name it.
    private let path: String
    private let state = Mutex(CommitQueue<Item>())
    private let lazyFlushDelay: Duration
    private let statistics = Mutex(CommitStatistics())
    /// Items per transaction: how much group commit is saving.
    private let batchSize: Recorder
    /// One transaction, from `BEGIN` to the end of its `COMMIT` (the fsync included).
    private let commitDuration: CoreMetrics.Timer

    init(writer: DatabasePool, path: String, lazyFlushDelay: Duration, metricsFactory: any MetricsFactory) {
        self.writer = writer
        self.path = path
        self.lazyFlushDelay = lazyFlushDelay
        batchSize = Recorder(label: "brigade_commit_batch_size", factory: metricsFactory)
        commitDuration = CoreMetrics.Timer(label: "brigade_commit_duration_seconds", factory: metricsFactory)
    }

    /// Applies `body` in the next transaction and returns its result once that transaction has
    /// committed. An error thrown by `body` rolls back only this item.
    func submit<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(
                Item(
                    body: { try body($0) },
                    completion: { result in
                        continuation.resume(with: result.map { $0 as! T })
                    }))
        }
    }

    /// Queues `body` for the next commit without waiting for it. Failures are logged by `onError`.
    func submitLazy(_ body: @escaping @Sendable (Database) throws -> Void) {
        enqueue(Item(body: { try body($0) }, completion: nil))
    }

    /// Batches committed so far and items in them.
    var stats: CommitStatistics { statistics.withLock { $0 } }

    private func enqueue(_ item: Item) {
        switch state.withLock({ $0.enqueue(item, awaited: item.completion != nil) }) {
        case .none: break
        case .commit: writer.asyncWriteWithoutTransaction { db in self.drain(db, includeLazy: false) }
        case .scheduleFlush: scheduleFlush()
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
        while true {
            switch state.withLock({ $0.next(includeLazy: includeLazy) }) {
            case .commit(let batch):
                commit(batch, db)
                includeLazy = false
            case .stop(let flush):
                if flush { scheduleFlush() }
                return
            }
        }
    }

    private func commit(_ batch: [Item], _ db: Database) {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try db.inTransaction(.immediate) {
                // One savepoint per item, through cached statements: preparing the savepoint
                // statements anew for every item was a visible share of the commit's CPU.
                for item in batch {
                    try db.executeCached(sql: "SAVEPOINT item")
                    do {
                        results.append(.success(try item.body(db)))
                        try db.executeCached(sql: "RELEASE SAVEPOINT item")
                    } catch {
                        results.append(.failure(error))
                        try db.executeCached(sql: "ROLLBACK TO SAVEPOINT item")
                        try db.executeCached(sql: "RELEASE SAVEPOINT item")
                    }
                }
                return .commit
            }
        } catch {
            results = Array(repeating: .failure(error), count: batch.count)
        }
        commitDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        batchSize.record(batch.count)
        statistics.withLock { stats in
            stats.batches += 1
            stats.items += batch.count
            stats.statements += batch.count
        }
        for (item, result) in zip(batch, results) {
            item.completion?(result.mapError { StorageFailure.mapped($0, path: path) })
        }
    }
}
