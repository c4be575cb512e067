import Brigade
import BrigadePostgres
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

    /// Opens the store `db` names, applying pending migrations as needed: a
    /// `postgres://user[:password]@host[:port]/database` URL for PostgreSQL, anything else a
    /// SQLite file (created if missing).
    static func openStore(_ db: String) async throws -> any WorkflowStore & TenantStore {
        if PostgresLocation.isURL(db) {
            let store = try PostgresStore(url: db)
            try await store.migrate()
            return store
        }
        return try await openSQLite(db)
    }

    /// Opens the SQLite file, creating it and applying pending migrations as needed.
    static func openSQLite(_ path: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }

    /// How a store is named in what the CLI prints: a file path, or the URL without its password.
    /// A comma-separated option (`--fetch-hosts a.com,*.b.org`): its items, trimmed, empties dropped.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func describe(_ db: String) -> String {
        (try? PostgresLocation(url: db).description) ?? db
    }
}
