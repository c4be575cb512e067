import Brigade
import Logging
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// The first key of the advisory locks that hold node ids (the second is the id's hash).
    static let nodeLockClass: Int32 = 627_203_491

    /// Takes the node id `node` for this process, for as long as the store is open.
    ///
    /// A node's leases, heartbeat and fence are its id's: two live processes under one id would
    /// both renew the same leases and run the same shards. The lock is a session-level advisory
    /// lock (keyed by the id's hash) on a connection held open for it: it ends with that
    /// connection, a crashed node included, so the id can be used again at once.
    ///
    /// - Throws: `storage.in_use` when a live process holds the id.
    public func holdNodeLock(node: String) async throws {
        let client = self.client
        let logger = self.logger
        let (taken, answer) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let holder = Task {
            do {
                try await client.withConnection { connection in
                    var locked = false
                    for try await value in try await connection.query(
                        "SELECT pg_try_advisory_lock(\(Self.nodeLockClass), hashtext(\(node)))", logger: logger
                    ).decode(Bool.self) {
                        locked = value
                    }
                    guard locked else {
                        answer.yield(
                            .failure(
                                BrigadeError(
                                    .storageInUse,
                                    "Another live process is node \"\(node)\" of this database (\(self.location)). Give each node its own --node-id (or BRIGADE_NODE_ID), or stop the other process first."
                                )))
                        return
                    }
                    answer.yield(.success(()))
                    // Held until the store closes (cancellation ends this sleep).
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.nodeLockClass), hashtext(\(node)))", logger: logger)
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
    /// Another live process holds the node id.
    public static let storageInUse = Self(rawValue: "storage.in_use")
}
