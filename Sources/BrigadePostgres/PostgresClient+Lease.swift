@_spi(Stores) import Brigade
import PostgresNIO
import Synchronization

extension PostgresClient {
    /// Leases a connection for `body`, giving up when none is leased within `timeout` (and then
    /// never running `body`), and giving up on `body` when it has not finished within
    /// `runTimeout` of the lease (closing its connection).
    ///
    /// The pool waits up to a minute before it reports a server it cannot reach (its circuit
    /// breaker); an API call or an engine must learn sooner that the store is unavailable. The
    /// caller is answered by a race (``OneShot``), not by awaiting the pool: with PostgreSQL
    /// stopped `-m immediate` under load, a lease request was seen never to be answered nor to
    /// end on cancellation, and a call that awaited it held up every write queued behind it.
    ///
    /// Past `runTimeout` a transaction's outcome is unknown (it may have committed just before);
    /// the caller learns `storage.unavailable` either way, and an engine's next claim reads
    /// whatever was in fact committed.
    func withConnection<T: Sendable>(
        leaseTimeout timeout: Duration, runTimeout: Duration = .seconds(30),
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let outcome = OneShot<Result<T, any Error>>()
        let lease = LeaseState()
        let call = Task {
            do {
                let value = try await self.withConnection { connection in
                    // Answered already as "nothing written": the body must not run now.
                    guard lease.take(connection) else { throw CancellationError() }
                    return try await body(connection)
                }
                outcome.settle(.success(value))
            } catch {
                outcome.settle(.failure(error))
            }
        }
        // The limits are timers, not a task sleeping beside every call (a read's cost was
        // mostly the tasks and the thread switches around it).
        let timer = SleepScheduler.shared.schedule(after: timeout) {
            if lease.abandonIfWaiting() {
                call.cancel()
                outcome.settle(
                    .failure(
                        BrigadeError(
                            .storageUnavailable,
                            "PostgreSQL did not answer within \(timeout): nothing of this request was written. Try again shortly; if it persists, check that the database server is up and reachable.",
                            retryAfter: PostgresFailure.retryAfter)))
            }
        }
        let runTimer = SleepScheduler.shared.schedule(after: timeout + runTimeout) {
            guard let connection = lease.connection else { return }
            connection.close().whenComplete { _ in }
            outcome.settle(.failure(PostgresFailure.unfinished(within: runTimeout + timeout)))
        }
        defer {
            timer.cancel()
            runTimer.cancel()
        }
        return try await withTaskCancellationHandler {
            try await outcome.wait().get()
        } onCancel: {
            call.cancel()
            outcome.settle(.failure(CancellationError()))
        }
    }
}

/// Whether the lease came (and its connection), or the caller was answered without it.
private final class LeaseState: Sendable {
    private enum Phase {
        case waiting
        case leased(PostgresConnection)
        case abandoned
    }

    private let phase = Mutex(Phase.waiting)

    /// Records the lease; false when the caller was already answered.
    func take(_ connection: PostgresConnection) -> Bool {
        phase.withLock { phase in
            guard case .waiting = phase else { return false }
            phase = .leased(connection)
            return true
        }
    }

    /// Gives up the wait; false when the lease came first.
    func abandonIfWaiting() -> Bool {
        phase.withLock { phase in
            guard case .waiting = phase else { return false }
            phase = .abandoned
            return true
        }
    }

    var connection: PostgresConnection? {
        phase.withLock { phase in
            if case .leased(let connection) = phase { return connection }
            return nil
        }
    }
}
