import Brigade
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
