@_spi(Stores) import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// PostgreSQL going away under a store and coming back (R6, at the store's level): calls made
/// meanwhile fail as the store's failure (503 material, with a Retry-After), never as the
/// caller's, and the same store works again once the server is back, with nothing lost.
@Suite(.enabled(if: PostgresTestServer.isAvailable)) struct PostgresOutageTests {
    static func create(_ store: PostgresStore, _ id: String) async throws {
        _ = try await store.createInstances(
            [NewInstance(key: InstanceKey(tenant: "t", workflow: "w", id: id), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1)],
            skipExisting: false, maxQueued: .max)
    }

    @Test func aStoppedServerIsTheStoresFailureAndTheStoreRecovers() async throws {
        let server = try PostgresTestServer.startPrivate()
        defer { try? server.stop() }
        // A short lease timeout: each call refused meanwhile fails after it, not after the pool's
        // own minute.
        let store = try PostgresStore(url: try server.newDatabase(), maxConnections: 2, leaseTimeout: .seconds(1))
        try await store.migrate()
        try await Self.create(store, "before")

        try server.stop()
        for call in 0..<3 {
            do {
                try await Self.create(store, "during-\(call)")
                Issue.record("a write succeeded with the server stopped")
            } catch let error as BrigadeError {
                #expect(error.isStorageFailure, "\(error)")
                #expect(error.retryAfter != nil)
            }
            do {
                _ = try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "before"))
                Issue.record("a read succeeded with the server stopped")
            } catch let error as BrigadeError {
                #expect(error.code == .storageUnavailable, "\(error)")
            }
        }

        try server.start()
        // The pool reconnects on its own (after its back-off): no new store, no restart.
        try await eventually("the store to write again", timeout: .seconds(60)) {
            do {
                try await Self.create(store, "after")
                return true
            } catch let error as BrigadeError where error.isStorageFailure {
                return false
            }
        }
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "before")) != nil, "nothing committed was lost")
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "during-0")) == nil, "nothing refused was written")
        await store.close()
    }
}
