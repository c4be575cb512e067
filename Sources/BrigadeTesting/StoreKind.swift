@_spi(Stores) import Brigade
import BrigadePostgres
import BrigadeSQLite
import Foundation

/// The stores Brigade ships, for tests that run the same checks against each.
public enum StoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The kinds that can run here: PostgreSQL when its programs are installed (or required).
    public static var available: [StoreKind] {
        PostgresTestServer.isAvailable ? allCases : [.sqlite]
    }

    /// A new, empty database of this kind, as `--db` takes it: a file in `directory`, or a new
    /// database on this process's PostgreSQL server.
    public func newDatabase(in directory: TemporaryDirectory) throws -> String {
        switch self {
        case .sqlite: directory.file("brigade.sqlite")
        case .postgres: try PostgresTestServer.shared().newDatabase()
        }
    }

    /// Opens (and migrates) the store `db` names, for a test to read what a child process wrote.
    public static func open(_ db: String) async throws -> any WorkflowStore & TenantStore {
        let store: any WorkflowStore & TenantStore =
            PostgresLocation.isURL(db) ? try PostgresStore(url: db, maxConnections: 2) : try SQLiteStore(path: db)
        try await store.migrate()
        return store
    }

    /// Closes a store opened by ``open(_:)`` or ``makeStore()`` (PostgreSQL's pool).
    public static func close(_ store: any WorkflowStore) async {
        await (store as? PostgresStore)?.close()
    }

    /// A fresh, migrated store of this kind: a new SQLite file, or a new database on this
    /// process's PostgreSQL server. Call the returned cleanup at the end.
    public func makeStore() async throws -> (store: any WorkflowStore & TenantStore, cleanup: @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let store = try SQLiteStore(path: directory.file("brigade.sqlite"))
            try await store.migrate()
            return (store, { directory.remove() })
        case .postgres:
            let url = try PostgresTestServer.shared().newDatabase()
            let store = try PostgresStore(url: url, maxConnections: 4)
            try await store.migrate()
            return (store, { await store.close() })
        }
    }
}
