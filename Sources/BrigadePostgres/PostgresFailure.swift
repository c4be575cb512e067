import Brigade
import PostgresNIO
import _ConnectionPoolModule

/// PostgreSQL's own failures as Brigade's storage errors: a lost connection, a server shutting
/// down, a full disk, a deadlock. One place decides which errors are the store's rather than the
/// caller's, so that the server answers 503 or 507 instead of 500 and an engine stops its
/// lifetime (to be claimed again) instead of failing the workflow.
enum PostgresFailure {
    /// When a client may try again.
    static let retryAfter: Duration = .seconds(5)

    /// Whether the server aborted a transaction to break a deadlock or a serialization conflict
    /// (SQLSTATE class 40): nothing of it was written, and running it again may succeed.
    static func isConflict(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError, psql.code == .server else { return false }
        return psql.serverInfo?[.sqlState]?.hasPrefix("40") ?? false
    }

    /// Whether `error` says the connection went away while a request was on it (rather than a
    /// statement failing on a connection that is still good, or no connection being made).
    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        return [.serverClosedConnection, .clientClosedConnection, .uncleanShutdown].contains(psql.code)
    }

    /// A request given up at its run limit (`runTimeout`) with its connection closed under it:
    /// it may have committed just before.
    static func unfinished(within limit: Duration) -> BrigadeError {
        BrigadeError(
            .storageUnavailable,
            "PostgreSQL did not finish the request within \(limit): whether it was written is unknown. Read it back before retrying; if this persists, check the database server.",
            retryAfter: retryAfter)
    }

    /// `error` as a ``BrigadeError`` with a storage code when it is PostgreSQL's or the
    /// connection's; `error` itself otherwise (a fenced write, a duplicate id, a rule).
    static func mapped(_ error: any Error) -> any Error {
        if let error = error as? BrigadeError { return error }
        if error is ConnectionPoolError {
            // The pool could not connect for a while (its circuit breaker), or is shut down.
            return BrigadeError(
                .storageUnavailable,
                "PostgreSQL cannot be reached: nothing of this request was written. Try again shortly; if it persists, check that the database server is up and reachable.",
                retryAfter: retryAfter)
        }
        guard let psql = error as? PSQLError else { return error }
        let state = psql.serverInfo?[.sqlState] ?? ""
        if psql.code == .server {
            if state == "53100" {
                return BrigadeError(
                    .storageFull,
                    "PostgreSQL's disk is full: nothing of this request was written, and nothing written before is lost. Free space on the database server; Brigade writes again as soon as it can.",
                    retryAfter: retryAfter)
            }
            // Connection exceptions (08), resources (53), operator intervention (57), system
            // errors (58), and a transaction the server chose to abort (40: deadlock,
            // serialization): the request was sound, the database could not take it now.
            guard ["08", "53", "57", "58", "40"].contains(String(state.prefix(2))) else { return error }
        } else if isConnectionLost(psql) {
            // The connection went away while a request was on it: it may have committed just
            // before. A client that retries must read back first (an engine's next claim does).
            return BrigadeError(
                .storageUnavailable,
                "The connection to PostgreSQL was lost during the request (\(psql.code)): whether it was written is unknown. Read it back before retrying; if this persists, check that the database server is up and reachable.",
                retryAfter: retryAfter)
        } else {
            guard [.connectionError, .poolClosed].contains(psql.code) else { return error }
        }
        // The server refused the request (its transaction did not commit), or no connection was
        // made.
        let detail = psql.code == .server ? "SQLSTATE \(state)" : "\(psql.code)"
        return BrigadeError(
            .storageUnavailable,
            "PostgreSQL could not take the write (\(detail)): nothing of this request was written. Try again shortly; if it persists, check that the database server is up and reachable.",
            retryAfter: retryAfter)
    }
}
