@_spi(Stores) import Brigade
import PostgresNIO

/// Which writer lane a change goes through.
///
/// The rule that matters is that one instance's changes all go through one lane: a lane commits
/// in submission order, so an engine's lazy write is never overtaken by its next write, nor by a
/// pause or an event submitted after it. Lanes commit side by side, and a transaction of one
/// lane never waits for another's on a row of the same instance; the rows they do share (an
/// index page, a workflow's creations) can still deadlock, which the server breaks and the
/// committer answers by running the aborted batch again.
extension PostgresStore {
    /// The lane of the instance `seq`.
    func lane(seq: Int64) -> PostgresCommitter {
        lanes[Int(UInt64(bitPattern: seq) % UInt64(lanes.count))]
    }

    /// The lane of the instance `key`, found by reading its seq; lane 0 when there is no such
    /// instance (the change then fails as not found, in whichever lane).
    func lane(of key: InstanceKey) async throws -> PostgresCommitter {
        let seq = try await read { connection, logger -> Int64? in
            for try await seq in try await connection.query(
                "SELECT seq FROM instances WHERE tenant = \(key.tenant) AND workflow = \(key.workflow) AND id = \(key.id)",
                logger: logger
            ).decode(Int64.self) {
                return seq
            }
            return nil
        }
        return seq.map { lane(seq: $0) } ?? lanes[0]
    }

    /// The lane of a workflow's definition and of its creations: a stable hash of its name, so
    /// that one workflow's creations check the queue cap one after another.
    func lane(tenant: String, workflow: String) -> PostgresCommitter {
        var hash = FNV1a()
        hash.add(tenant)
        hash.add(0)
        hash.add(workflow)
        return lanes[Int(hash.value % UInt64(lanes.count))]
    }
}
