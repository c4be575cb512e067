@_spi(Stores) import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// The lease contract on PostgreSQL, the store that several nodes share: each check on a fresh
/// database of the run's server.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable)) struct LeaseContractTests {
    @Test(arguments: LeaseContract.checks)
    func postgresKeepsTheLeaseContract(_ check: LeaseContract.Check) async throws {
        let store = try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 4)
        do {
            try await store.migrate()
            try await check.run(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// A node dead past the retention, holding no lease, leaves `nodes` (and `cluster status`)
    /// with its account-slot rows at a live node's heartbeat; a dead node that still holds a
    /// lease, and a live one, stay.
    @Test func nodesDeadLongAgoAreForgotten() async throws {
        let server = try PostgresTestServer.shared()
        let url = try server.newDatabase()
        let database = String(try #require(URLComponents(string: url)?.path.dropFirst()))
        let store = try PostgresStore(url: url, maxConnections: 2)
        do {
            try await store.migrate()
            _ = try await store.heartbeat(node: "gone", ttl: .seconds(5))
            _ = try await store.heartbeat(node: "holding", ttl: .seconds(5))
            #expect(try await store.acquire(slots: [3], node: "holding", ttl: .seconds(5)).count == 1)
            _ = try await store.shareSlots(
                tenant: "acme", node: "gone", limit: 4, report: SlotShare.Holder(node: "gone", held: 0, inUse: 0, woken: 0, fresh: 1),
                shrink: { $0 })
            try server.psql(
                "UPDATE nodes SET expires_at = clock_timestamp() - interval '2 hours' WHERE node IN ('gone', 'holding')", database: database)
            #expect(try await store.accountSlotRows(tenant: "acme").map(\.node) == ["gone"])
            let view = try await store.heartbeat(node: "alive", ttl: .seconds(5))
            #expect(view.nodes.map(\.id) == ["alive", "holding"], "the dead node with a lease stays until its lease is taken")
            #expect(try await store.accountSlotRows(tenant: "acme").isEmpty)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
