@_spi(Stores) import Brigade
import BrigadeTesting
import Testing

/// The store contract, run against every store Brigade ships: the same checks, the same
/// answers, on SQLite and on a real PostgreSQL server started for the run.
/// Serialized: each PostgreSQL case creates a database (a copy of the template, fsynced), and
/// seventeen at once were a burst of I/O beside the timing-sensitive suites.
@Suite(.serialized) struct StoreContractTests {
    @Test(arguments: StoreKind.available, StoreContract.checks)
    func theStoreKeepsTheContract(_ kind: StoreKind, _ check: StoreContract.Check) async throws {
        let (store, cleanup) = try await kind.makeStore()
        do {
            try await check.run(store)
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }
}
