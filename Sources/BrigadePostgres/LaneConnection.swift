@_spi(Stores) import Brigade
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The connection one writer lane commits on: the lane's own, kept open from one commit to the
/// next, on an event loop fixed for the lane.
///
/// A commit leased from the pool paid, each time, the lease, a hop to the connection's event
/// loop and back, and a task racing the lease against its time limit: about a quarter of a
/// millisecond, a third of a lone write's whole commit on this machine. A lane commits one batch
/// at a time, so it needs no pool: its drains run on this event loop from their start
/// (``EventLoopTaskExecutor``), a statement's answer resumes them on the thread that read it,
/// and a submitter is woken once, when its batch has committed.
///
/// A connection that failed (the server restarted, the network cut) is closed and forgotten;
/// the next commit connects again. Connecting (the startup included) is bounded by the lease
/// timeout, and a commit by the run timeout, after which the connection is closed under it, as
/// the pool's calls are (``PostgresClient/withConnection(leaseTimeout:runTimeout:_:)``).
final class LaneConnection: Sendable {
    let eventLoop: any EventLoop
    private let configuration: PostgresConnection.Configuration
    private let runTimeout: Duration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var connection: PostgresConnection?
        var closed = false
        var nextID = 0
    }

    init(configuration: PostgresConnection.Configuration, eventLoop: any EventLoop, connectTimeout: Duration, runTimeout: Duration, logger: Logger) {
        var configuration = configuration
        configuration.options.connectTimeout = .nanoseconds(Int64(clamping: SleepScheduler.nanoseconds(roundingUp: connectTimeout)))
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.runTimeout = runTimeout
        self.logger = logger
    }

    deinit {
        // A store dropped without `close()`: postgres-nio requires a connection to be closed
        // before it is released (it asserts so in debug builds).
        if let connection = state.withLock({ $0.connection }) { Self.close(connection) }
    }

    /// Runs `body` on the lane's connection, connecting first when there is none. Calls must not
    /// overlap (a lane commits one batch at a time).
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await open()
        let timedOut = Atomic(false)
        let timer = SleepScheduler.shared.schedule(after: runTimeout) { [logger, runTimeout] in
            // Past the run limit the outcome is unknown; closing fails the statement in flight,
            // and the next commit connects again.
            logger.warning("a commit did not finish within \(runTimeout); closing its connection")
            timedOut.store(true, ordering: .relaxed)
            Self.close(connection)
        }
        defer { timer.cancel() }
        do {
            return try await body(connection)
        } catch {
            // A connection lost under the request, or failing as a connection, is closed and
            // forgotten: the next commit connects again.
            if connection.isClosed || PostgresFailure.isConnectionLost(error) || (error as? PSQLError)?.code == .connectionError {
                discard(connection)
            }
            if timedOut.load(ordering: .relaxed) { throw PostgresFailure.unfinished(within: runTimeout) }
            throw error
        }
    }

    /// Closes the connection; later calls fail with `storage.unavailable`.
    func close() async {
        let connection = state.withLock { state -> PostgresConnection? in
            state.closed = true
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
    }

    private func open() async throws -> PostgresConnection {
        let (existing, id) = try state.withLock { state -> (PostgresConnection?, Int) in
            guard !state.closed else { throw Self.closedError }
            if let connection = state.connection, !connection.isClosed { return (connection, 0) }
            state.connection = nil
            state.nextID += 1
            return (nil, state.nextID)
        }
        if let existing { return existing }
        // postgres-nio's connect timeout covers the startup too, not only the socket: a server
        // that takes the connection and never answers (its postmaster stopped) fails it in time.
        let connection = try await PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger)
        let kept = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.connection = connection
            return true
        }
        if !kept {
            try? await connection.close()
            throw Self.closedError
        }
        return connection
    }

    private static var closedError: BrigadeError {
        BrigadeError(.storageUnavailable, "The store was closed: nothing of this request was written.", retryAfter: PostgresFailure.retryAfter)
    }

    private func discard(_ connection: PostgresConnection) {
        state.withLock { state in
            if state.connection === connection { state.connection = nil }
        }
        Self.close(connection)
    }

    /// Closes `connection` without waiting, keeping it alive until it is closed: closing
    /// completes later on its event loop, and postgres-nio traps (in debug builds) on a
    /// connection released before it is closed.
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}
