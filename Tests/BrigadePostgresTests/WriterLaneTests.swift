@_spi(Stores) import Brigade
@testable import BrigadePostgres
import BrigadeTesting
import Foundation
import PostgresNIO
import Testing

/// The PostgreSQL store's writer lanes: counts that several connections keep exact without
/// sharing a row, one instance's changes in submission order, and a batch the server aborted to
/// break a deadlock run again.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable)) struct WriterLaneTests {
    static let tenant = "t"
    static let workflow = "w"

    static func newInstance(_ id: String) -> NewInstance {
        NewInstance(key: InstanceKey(tenant: tenant, workflow: workflow, id: id), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000)
    }

    /// Runs `body` with `store` (migrated unless told not to), and closes it whatever happens.
    static func using(migrate: Bool = true, _ store: PostgresStore, _ body: (PostgresStore) async throws -> Void) async throws {
        do {
            if migrate { try await store.migrate() }
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// Counts rows left by connections that are gone.
    static func deadSlots(_ store: PostgresStore) async throws -> Int64 {
        try await store.read { connection, logger in
            var rows: Int64 = -1
            for try await count in try await connection.query(
                "SELECT count(*) FROM instance_counts WHERE slot <> 0 AND slot NOT IN (SELECT pid FROM pg_stat_activity)", logger: logger
            ).decode(Int64.self) {
                rows = count
            }
            return rows
        }
    }

    /// Two hundred instances created and claimed at once through four lanes keep exact counts;
    /// once the store's connections are gone, a fold moves their rows into slot 0 and the counts
    /// do not change.
    @Test func countsStayExactAcrossLanesAndConnections() async throws {
        let url = try PostgresTestServer.shared().newDatabase()
        try await Self.using(try PostgresStore(url: url, maxConnections: 8, writerLanes: 4)) { store in
            let seqs = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let seqs = try await store.createInstances([Self.newInstance("i\(index)")], skipExisting: false, maxQueued: .max)
                        return try #require(seqs.first ?? nil)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for seq in seqs.prefix(150) {
                    group.addTask { _ = try await store.claim(seq: seq, now: 2_000, lease: nil) }
                }
                try await group.waitForAll()
            }
            #expect(try await store.instanceCounts(tenant: Self.tenant, workflow: Self.workflow) == [.queued: 50, .running: 150])
        }

        try await Self.using(migrate: false, try PostgresStore(url: url, maxConnections: 2, writerLanes: 1)) { next in
            #expect(try await Self.deadSlots(next) > 0, "the closed store's connections left rows of their own")
            _ = try await next.purgeExpired(now: 3_000, limit: 10)
            #expect(try await Self.deadSlots(next) == 0, "folded into slot 0")
            #expect(try await next.instanceCounts(tenant: Self.tenant, workflow: Self.workflow) == [.queued: 50, .running: 150])
            #expect(try await next.instanceCountsByStatus()[.running] == 150)
        }
    }

    /// A database of the schema before migration v3, with instances queued and running, keeps
    /// its counts through the upgrade, and they stay exact as instances move on after it.
    @Test func countsSurviveTheUpgradeToPerConnectionRows() async throws {
        try await Self.using(migrate: false, try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 8, writerLanes: 4)) { store in
            try await PostgresStore.migrate(store.client, logger: store.logger, count: 2)
            var seqs: [Int64] = []
            for index in 0..<10 {
                // Created as that release did (today's insert writes columns the old schema lacks).
                let rows = try await store.client.query(
                    """
                    INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at, shard, epoch)
                    VALUES (\(Self.tenant), \(Self.workflow), \("u\(index)"), 'queued', \(Data("{}".utf8)), 1000, 1000, 1000, 0, 0) RETURNING seq
                    """, logger: store.logger
                ).collect()
                seqs.append(try rows[0].decode(Int64.self))
            }
            // Started as that release's claim did (today's reads columns the old schema lacks).
            for seq in seqs.prefix(4) {
                try await store.client.query("UPDATE instances SET status = 'running', epoch = epoch + 1 WHERE seq = \(seq)", logger: store.logger)
            }
            #expect(try await store.instanceCounts(tenant: Self.tenant, workflow: Self.workflow) == [.queued: 6, .running: 4])
            try await store.migrate()
            #expect(try await store.instanceCounts(tenant: Self.tenant, workflow: Self.workflow) == [.queued: 6, .running: 4])
            for seq in seqs.suffix(6) { _ = try await store.claim(seq: seq, now: 3_000, lease: nil) }
            _ = try await store.delete(InstanceKey(tenant: Self.tenant, workflow: Self.workflow, id: "u0"))
            #expect(try await store.instanceCounts(tenant: Self.tenant, workflow: Self.workflow) == [.running: 9])
        }
    }

    /// Deleting or purging instances removes their steps, events and history with them (a
    /// trigger since migration v4, which dropped the foreign keys), and no other instance's.
    @Test func anInstancesRowsGoWithIt() async throws {
        try await Self.using(try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 4, writerLanes: 2)) { store in
            for id in ["kept", "deleted", "purged-a", "purged-b"] {
                let key = InstanceKey(tenant: Self.tenant, workflow: Self.workflow, id: id)
                var instance = Self.newInstance(id)
                instance.retention = Retention(success: .milliseconds(1), error: .milliseconds(1))
                let seq = try #require(try await store.createInstances([instance], skipExisting: false, maxQueued: .max).first ?? nil)
                _ = try await store.sendEvent(key, type: "e", payload: Data("{}".utf8), now: 1_500)
                guard case .claimed(let snapshot) = try await store.claim(seq: seq, now: 2_000, lease: nil) else {
                    Issue.record("\(id) not claimed")
                    return
                }
                var write = InstanceWrite(seq: seq, epoch: snapshot.row.epoch, now: 2_001)
                write.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, startedAt: 2_001)]
                write.history = [HistoryEntry(.stepCompleted, at: 2_001, step: "s")]
                if id.hasPrefix("purged") { write.update = InstanceUpdate(status: .complete, output: Data("1".utf8), endedAt: 2_001, expiresAt: 2_002) }
                try await store.write(write, awaitCommit: true)
            }
            _ = try await store.delete(InstanceKey(tenant: Self.tenant, workflow: Self.workflow, id: "deleted"))
            #expect(try await store.purgeExpired(now: 3_000, limit: 10) == 2)
            let left = try await store.read { connection, logger in
                var counts: [String: Int64] = [:]
                for table in ["steps", "events", "history"] {
                    for try await (seqs, rows) in try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT count(DISTINCT instance_seq), count(*) FROM \(table)"), logger: logger
                    ).decode((Int64, Int64).self) {
                        counts[table] = seqs
                        #expect(rows > 0, "\(table): the kept instance's rows stay")
                    }
                }
                return counts
            }
            #expect(left == ["steps": 1, "events": 1, "history": 1], "only the kept instance has rows: \(left)")
        }
    }

    /// An engine's lazy write, then a pause submitted right after it: the pause must not
    /// overtake the write (both go through the instance's lane, in order), so the history has the
    /// write's entry before the pause's.
    @Test func oneInstancesChangesCommitInSubmissionOrder() async throws {
        try await Self.using(try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 8, writerLanes: 4)) { store in
            for round in 0..<20 {
                let key = InstanceKey(tenant: Self.tenant, workflow: Self.workflow, id: "o\(round)")
                let seq = try #require(try await store.createInstances([Self.newInstance(key.id)], skipExisting: false, maxQueued: .max).first ?? nil)
                guard case .claimed(let snapshot) = try await store.claim(seq: seq, now: 2_000, lease: nil) else {
                    Issue.record("o\(round) not claimed")
                    return
                }
                var write = InstanceWrite(seq: seq, epoch: snapshot.row.epoch, now: 2_001)
                write.history = [HistoryEntry(.stepStarted, at: 2_001, step: "s")]
                try await store.write(write, awaitCommit: false)
                _ = try await store.apply(.pause, to: key, now: 2_002)
                let types = try await store.history(of: key, afterId: 0, limit: 10).map(\.entry.type)
                let started = try #require(types.firstIndex(of: .stepStarted), "round \(round): \(types)")
                let paused = try #require(types.lastIndex(where: { $0 == .workflowPaused || $0 == .workflowWaitingForPause }), "round \(round): \(types)")
                #expect(started < paused, "round \(round): \(types)")
            }
        }
    }

    /// An attempt's start (lazy) and its outcome (awaited), submitted together, commit as one
    /// statement, and the instance reads as if they had been applied one after the other.
    @Test func anInstancesWritesInOneBatchAreOneStatement() async throws {
        try await Self.using(try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 4, writerLanes: 1)) { store in
            let key = InstanceKey(tenant: Self.tenant, workflow: Self.workflow, id: "j")
            let seq = try #require(try await store.createInstances([Self.newInstance(key.id)], skipExisting: false, maxQueued: .max).first ?? nil)
            guard case .claimed(let snapshot) = try await store.claim(seq: seq, now: 2_000, lease: nil) else {
                Issue.record("not claimed")
                return
            }
            let before = store.commitStatistics
            var start = InstanceWrite(seq: seq, epoch: snapshot.row.epoch, now: 2_001)
            start.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .running, attempts: 1, startedAt: 2_001)]
            start.history = [HistoryEntry(.stepStarted, at: 2_001, step: "s"), HistoryEntry(.attemptStarted, at: 2_001, step: "s")]
            var outcome = InstanceWrite(seq: seq, epoch: snapshot.row.epoch, now: 2_002)
            outcome.steps = [
                StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, attempts: 1, value: Data("1".utf8), startedAt: 2_001, endedAt: 2_002)
            ]
            outcome.history = [HistoryEntry(.attemptCompleted, at: 2_002, step: "s"), HistoryEntry(.stepCompleted, at: 2_002, step: "s")]
            outcome.update = InstanceUpdate(status: .complete, output: Data("1".utf8), endedAt: 2_002)
            try await store.write(start, awaitCommit: false)
            try await store.write(outcome, awaitCommit: true)
            let after = store.commitStatistics
            #expect(after.items - before.items == 2)
            #expect(after.statements - before.statements == 1, "joined: \(after)")
            let history = try await store.history(of: key, afterId: 0, limit: 20)
            #expect(history.suffix(4).map(\.entry.type) == [.stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted])
            #expect(history.map(\.id) == Array(1...Int64(history.count)), "ids one after another")
            let steps = try await store.steps(of: key)
            #expect(steps.map(\.status) == [.complete])
            #expect(steps.first?.value == Data("1".utf8))
            let row = try #require(try await store.instance(key))
            #expect(row.status == .complete)
            #expect(row.modifiedAt == 2_002)
            // A write at a stale epoch joined with a good one fails both, as each would alone.
            var stale = InstanceWrite(seq: seq, epoch: snapshot.row.epoch - 1, now: 2_003)
            stale.history = [HistoryEntry(.stepStarted, at: 2_003, step: "t")]
            await #expect(throws: FencedWriteError.self) { try await store.write(stale, awaitCommit: true) }
        }
    }

    /// A batch the server aborts to break a deadlock runs again, and its submitter gets its
    /// result, not the deadlock: the committer locks row a then b while another connection holds
    /// b and then asks for a. The committer's deadlock check fires first (the other's deadlock
    /// timeout is 10 s), so it is the transaction the server aborts (its retry may meet the other again, so the count
    /// of batches run again is at least one).
    @Test func aBatchAbortedByADeadlockRunsAgain() async throws {
        try await Self.using(try PostgresStore(url: try PostgresTestServer.shared().newDatabase(), maxConnections: 4, writerLanes: 1)) { store in
            let logger = store.logger
            try await store.read { connection, logger in
                try await connection.query("CREATE TABLE rows (id text PRIMARY KEY)", logger: logger)
                try await connection.query("INSERT INTO rows VALUES ('a'), ('b')", logger: logger)
            }
            // Each side says when it holds its first row, so that the order does not depend on timing.
            let (bLocked, bLockedSignal) = AsyncStream<Void>.makeStream()
            let (aLocked, aLockedSignal) = AsyncStream<Void>.makeStream()
            let other = Task {
                try await store.client.withConnection { connection in
                    // This side checks for a deadlock only after 10 s, the committer's after the
                    // default 1 s: under a loaded test run the committer's check still comes first.
                    try await connection.query("SET deadlock_timeout = '10s'", logger: logger)
                    try await connection.query("BEGIN", logger: logger)
                    _ = try await connection.query("SELECT id FROM rows WHERE id = 'b' FOR UPDATE", logger: logger).collect()
                    bLockedSignal.yield()
                    for await _ in aLocked { break }
                    // The committer now waits for b. Then this waits for a, well before the
                    // committer's deadlock check (it checks once, 1 s into its wait): the server
                    // aborts the committer's transaction and this one gets a. (The committer's
                    // retry may take a first and deadlock with this again; whichever side the
                    // server aborts then, this one gives way.)
                    try await Task.sleep(for: .milliseconds(100))
                    do {
                        _ = try await connection.query("SELECT id FROM rows WHERE id = 'a' FOR UPDATE", logger: logger).collect()
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        try await connection.query("ROLLBACK", logger: logger)
                    }
                }
            }
            for await _ in bLocked { break }
            let result = try await store.lanes[0].submit { connection in
                // Rows read to their end: a statement's error (the deadlock) arrives with its rows.
                _ = try await connection.query("SELECT id FROM rows WHERE id = 'a' FOR UPDATE", logger: logger).collect()
                aLockedSignal.yield()
                _ = try await connection.query("SELECT id FROM rows WHERE id = 'b' FOR UPDATE", logger: logger).collect()
                return "locked both"
            }
            try await other.value
            #expect(result == "locked both")
            #expect(store.commitStatistics.conflicts >= 1, "the committer's first transaction was the one aborted")
        }
    }
}
