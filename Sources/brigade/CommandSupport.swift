import BrigadeSQLite
import Foundation
import Logging

/// What every subcommand that runs the engine starts with.
enum CommandSupport {
    /// The `brigade` logger at `BRIGADE_LOG_LEVEL` if set (trace … critical), else `level`.
    static func logger(defaultLevel level: Logger.Level) -> Logger {
        var logger = Logger(label: "brigade")
        logger.logLevel = ProcessInfo.processInfo.environment["BRIGADE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        return logger
    }

    /// Opens the SQLite file, creating it and applying pending migrations as needed.
    static func openStore(_ path: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }
}
