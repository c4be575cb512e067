import Brigade
import PostgresNIO
import Synchronization

extension PostgresClient {
    /// Leases a connection for `body`, giving up when none is leased within `timeout`.
    ///
    /// The pool waits up to a minute before it reports a server it cannot reach (its circuit
    /// breaker); an API call or an engine must learn sooner that the store is unavailable. Only
    /// the wait for a lease is bounded: once `body` runs it is left to finish, since a
    /// transaction cut short at its commit would leave its outcome unknown.
    ///
    /// - Throws: `storage.unavailable` when no connection came within `timeout`.
    func withConnection<T: Sendable>(
        leaseTimeout timeout: Duration, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let leased = LeaseMark()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.withConnection { connection in
                    leased.value.withLock { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
                // The timer: give up only while the lease is still awaited.
                if !leased.value.withLock({ $0 }) {
                    group.cancelAll()
                    throw BrigadeError(
                        .storageUnavailable,
                        "PostgreSQL did not answer within \(timeout): nothing of this request was written. Try again shortly; if it persists, check that the database server is up and reachable.",
                        retryAfter: PostgresFailure.retryAfter)
                }
            }
            throw CancellationError()
        }
    }
}

/// Whether a lease came, shared between the task waiting for it and the timer.
private final class LeaseMark: Sendable {
    let value = Mutex(false)
}
