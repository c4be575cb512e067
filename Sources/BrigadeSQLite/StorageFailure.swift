import Brigade
import GRDB

/// SQLite's own failures to write, as Brigade's storage errors: one place decides which errors
/// are the store's (a full disk, an I/O error, a lock held past the busy timeout) rather than
/// the caller's, so that the server answers 507 or 503 instead of 500 and an engine stops its
/// lifetime instead of failing the workflow.
enum StorageFailure {
    /// When a client may try again: the store's failures are worth retrying once it writes.
    static let retryAfter: Duration = .seconds(5)

    /// `error` as a ``BrigadeError`` with a storage code when it is one of SQLite's own
    /// failures; `error` itself otherwise (a fenced write, a duplicate id, a rule).
    static func mapped(_ error: any Error, path: String) -> any Error {
        guard let database = error as? DatabaseError else { return error }
        switch database.resultCode {
        case .SQLITE_FULL:
            return BrigadeError(
                .storageFull,
                "The disk of the database (\(path)) is full: nothing of this request was written, and nothing written before is lost. Free space on that disk; Brigade writes again as soon as it can.",
                retryAfter: retryAfter)
        case .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_NOMEM, .SQLITE_PROTOCOL:
            return BrigadeError(
                .storageUnavailable,
                "The database (\(path)) could not write (\(database.resultCode)): nothing of this request was written. Try again shortly; if it persists, check the disk and the file's permissions.",
                retryAfter: retryAfter)
        default:
            return error
        }
    }
}
