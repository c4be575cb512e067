@_spi(Stores) import Brigade
import BrigadePostgres
import BrigadeTesting
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
}
