import Foundation
import Synchronization

/// Callers waiting for instances to finish, woken by the SousChef when an engine exits with a
/// terminal outcome. A waiter registers before re-reading the instance, so a finish in between
/// is never missed; outcomes written elsewhere (terminate) are caught by that re-read.
final class CompletionWaiters: Sendable {
    private let waiters = Mutex<[InstanceKey: [UUID: AsyncStream<Void>.Continuation]]>([:])

    /// Registers a waiter for `key`; the stream yields once the instance may have finished.
    func register(_ key: InstanceKey) -> (UUID, AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let token = UUID()
        waiters.withLock { $0[key, default: [:]][token] = continuation }
        return (token, stream)
    }

    func unregister(_ key: InstanceKey, _ token: UUID) {
        let continuation = waiters.withLock { waiters -> AsyncStream<Void>.Continuation? in
            let removed = waiters[key]?.removeValue(forKey: token)
            if waiters[key]?.isEmpty == true { waiters[key] = nil }
            return removed
        }
        continuation?.finish()
    }

    func finished(_ key: InstanceKey) {
        let resumed = waiters.withLock { $0.removeValue(forKey: key) } ?? [:]
        for continuation in resumed.values {
            continuation.yield()
            continuation.finish()
        }
    }
}
