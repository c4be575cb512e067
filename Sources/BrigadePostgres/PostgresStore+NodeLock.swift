import Brigade
import Logging
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// The advisory lock key that one serving node holds on its database.
    static let nodeLockKey: Int64 = 6_272_034_918_566

    /// Takes the database for this node alone, for as long as the store is open.
    ///
    /// Several nodes on one database need shard leases, so that no instance runs on two nodes at
    /// once; until those exist, a second `brigade serve` on the same database is refused here
    /// instead of running every instance twice (the epoch fence would keep the results right,
    /// but step bodies would run on both). The lock is a session-level advisory lock on a
    /// connection held open for it: it ends with that connection, a crashed node included.
    ///
    /// - Throws: `storage.in_use` when another node holds the database.
    public func holdNodeLock() async throws {
        let client = self.client
        let logger = self.logger
        let (taken, answer) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let holder = Task {
            do {
                try await client.withConnection { connection in
                    var locked = false
                    for try await value in try await connection.query(
                        "SELECT pg_try_advisory_lock(\(Self.nodeLockKey))", logger: logger
                    ).decode(Bool.self) {
                        locked = value
                    }
                    guard locked else {
                        answer.yield(
                            .failure(
                                BrigadeError(
                                    .storageInUse,
                                    "Another Brigade node is serving this database (\(self.location)). Running several nodes on one database needs shard leases, which this version does not have yet: run one node per database."
                                )))
                        return
                    }
                    answer.yield(.success(()))
                    // Held until the store closes (cancellation ends this sleep).
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.nodeLockKey))", logger: logger)
                }
            } catch {
                answer.yield(.failure(PostgresFailure.mapped(error)))
            }
            answer.finish()
        }
        nodeLockHolder.withLock { $0 = holder }
        for await result in taken {
            try result.get()
            return
        }
    }
}

extension BrigadeError.Code {
    /// Another node holds the database.
    public static let storageInUse = Self(rawValue: "storage.in_use")
}
