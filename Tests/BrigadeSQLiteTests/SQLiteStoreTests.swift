@_spi(Stores) import Brigade
import BrigadeTesting
import Foundation
import GRDB
import Testing

@testable import BrigadeSQLite

/// A fresh store in a temporary directory.
struct TemporaryStore {
    let store: SQLiteStore
    let directory: TemporaryDirectory

    init() async throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("brigade.sqlite"))
        try await store.migrate()
    }

    func remove() { directory.remove() }

    /// Claims an instance as an engine would; fails the test if it is not claimable.
    func claim(_ seq: Int64, now: Int64) async throws -> ReplaySnapshot {
        guard case .claimed(let snapshot) = try await store.claim(seq: seq, now: now) else {
            throw TestTimeout(description: "instance #\(seq) could not be claimed")
        }
        return snapshot
    }

    func create(_ id: String, now: Int64 = 1_000) async throws -> Int64 {
        let key = InstanceKey(tenant: "t", workflow: "w", id: id)
        let seqs = try await store.createInstances(
            [NewInstance(key: key, params: Data("{}".utf8), shard: 0, retention: nil, createdAt: now)], skipExisting: false, maxQueued: .max
        )
        return try #require(seqs[0])
    }
}

@Suite struct SQLiteStoreTests {
    @Test func walModeAndFullSynchronousAreOn() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let durability = try await temporary.store.durability()
        #expect(durability.journalMode == "wal")
        #expect(durability.synchronous == 2, "every commit is fsynced (synchronous = FULL)")
    }

    @Test func anOlderDatabaseIsUpgradedWithInstancesInFlight() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        // A database as the first release left it: only v1, with instances in several states.
        let old = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(old, upTo: "v1: instances, steps, events, history")
        try await old.write { db in
            for (index, status) in ["queued", "running", "waiting", "waiting", "complete"].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at, shard)
                        VALUES ('t', 'w', ?, ?, '{}', ?, ?, ?, 0)
                        """,
                    arguments: ["i\(index)", status, index, index, status == "complete" ? nil : index])
            }
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try await store.migrate()  // idempotent
        let counts = try await store.instanceCounts(tenant: "t", workflow: "w")
        #expect(counts == [.queued: 1, .running: 1, .waiting: 2, .complete: 1])
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "i2"))?.status == .waiting)
        let applied = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(
            applied == [
                "v1: instances, steps, events, history", "v2: per-status counts, cursor indexes", "v3: tenant tokens",
                "v4: workflow definitions", "v5: tenant code", "v6: terminate with rollback",
                "v7: cron schedules, triggers and tenant limits",
                "v8: tenant egress",
            ])
        // v7: the old rows read as created through the API.
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "i1"))?.trigger == .api)
        // v6: the old rows read as not terminating.
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "i1"))?.terminating == false)
        // v4: the old rows read with no step limit of their own; definitions are stored.
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "i0"))?.stepLimit == nil)
        let definition = WorkflowDefinition(tenant: "t", name: "alias", className: "w", stepLimit: 7, createdAt: 1, modifiedAt: 1)
        #expect(try await store.putWorkflowDefinition(definition) == definition)
        var renamed = definition
        renamed.className = "w2"
        renamed.createdAt = 99
        renamed.modifiedAt = 2
        #expect(try await store.putWorkflowDefinition(renamed).createdAt == 1, "an update keeps the first creation time")
        #expect(try await store.workflowDefinitions().map(\.className) == ["w2"])
        #expect(try await store.deleteWorkflowDefinition(tenant: "t", name: "alias"))
        #expect(try await store.deleteWorkflowDefinition(tenant: "t", name: "alias") == false)
        // v5: tenant code is versioned from 1 per workflow, and the definition points at the newest.
        let code = TenantCode(
            tenant: "t", workflow: "js", version: 0, versionId: "v-a", language: .typescript, source: "let x: number = 1", script: "x=1",
            env: ["K": "v"], createdAt: 5)
        let dynamic = WorkflowDefinition(tenant: "t", name: "js", className: "DynamicWorkflow", createdAt: 5, modifiedAt: 5)
        let (first, pointed) = try await store.deployCode(code, definition: dynamic)
        #expect(first.version == 1 && pointed.codeVersion == 1)
        var next = code
        next.versionId = "v-b"
        #expect(try await store.deployCode(next, definition: dynamic).1.codeVersion == 2)
        #expect(try await store.tenantCode(tenant: "t", workflow: "js", version: 1) == first)
        #expect(try await store.tenantCodeVersions(tenant: "t", workflow: "js").map(\.versionId) == ["v-b", "v-a"])
        #expect(try await store.tenantCodeVersions(tenant: "t", workflow: "js").first?.size == 17)
        #expect(try await store.deleteWorkflowDefinition(tenant: "t", name: "js"))
        #expect(try await store.tenantCode(tenant: "t", workflow: "js", version: 1) == nil, "its code went with it")
        // v3 on a v1 database: tenants get token hashes, looked up by hash.
        try await store.createTenant(TenantRecord(id: "acme", tokenHash: "h1", createdAt: 1))
        #expect(try await store.tenant(tokenHash: "h1")?.id == "acme")
        await #expect(throws: BrigadeError.self) { try await store.createTenant(TenantRecord(id: "acme", tokenHash: "h2", createdAt: 2)) }
        try await store.rotateToken(tenant: "acme", tokenHash: "h3", now: 3)
        #expect(try await store.tenant(tokenHash: "h1") == nil, "the old token stops working")
        #expect(try await store.tenant(tokenHash: "h3")?.tokenRotatedAt == 3)
        await #expect(throws: BrigadeError.self) { try await store.rotateToken(tenant: "nobody", tokenHash: "h4", now: 4) }
    }

    @Test func aWriteWithAStaleEpochIsRejectedWhole() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let seq = try await temporary.create("fenced")
        let first = try await temporary.claim(seq, now: 2_000)
        // A second claim (another engine, or a restart) takes ownership.
        let second = try await temporary.claim(seq, now: 3_000)
        #expect(second.row.epoch == first.row.epoch + 1)
        var stale = InstanceWrite(seq: seq, epoch: first.row.epoch, now: 4_000)
        stale.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, value: Data("1".utf8), startedAt: 4_000)]
        stale.update = InstanceUpdate(status: .complete, output: Data("1".utf8))
        await #expect(throws: FencedWriteError.self) { try await store.write(stale, awaitCommit: true) }
        let key = InstanceKey(tenant: "t", workflow: "w", id: "fenced")
        #expect(try await store.steps(of: key).isEmpty, "nothing of the stale write is applied")
        #expect(try await store.instance(key)?.status == .running)

        var current = InstanceWrite(seq: seq, epoch: second.row.epoch, now: 4_000)
        current.steps = stale.steps
        try await store.write(current, awaitCommit: true)
        #expect(try await store.steps(of: key).count == 1)
    }

    @Test func administrativeChangesFenceTheEngine() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let seq = try await temporary.create("admin")
        let claimed = try await temporary.claim(seq, now: 2_000)
        let key = InstanceKey(tenant: "t", workflow: "w", id: "admin")
        _ = try await store.terminate(key, now: 3_000, defaultRetention: .seconds(7))
        let late = InstanceWrite(seq: seq, epoch: claimed.row.epoch, now: 4_000)
        await #expect(throws: FencedWriteError.self) { try await store.write(late, awaitCommit: true) }
        #expect(try await store.claim(seq: seq, now: 5_000).isNotRunnable)
    }

    @Test func concurrentWritesAreGroupCommittedAndEachReturnsAfterItsCommit() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let ids = (0..<200).map { "i\($0)" }
        // An independent connection, as another process would have.
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let reader = try DatabaseQueue(path: store.path, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    let key = InstanceKey(tenant: "t", workflow: "w", id: id)
                    _ = try await store.createInstances(
                        [NewInstance(key: key, params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1)], skipExisting: false,
                        maxQueued: .max
                    )
                    // Committed: visible from the independent connection at once.
                    let found = try await reader.read {
                        try Int.fetchOne($0, sql: "SELECT count(*) FROM instances WHERE id = ?", arguments: [id])
                    }
                    #expect(found == 1)
                }
            }
            try await group.waitForAll()
        }
        let stats = store.commitStatistics
        #expect(stats.items >= 200)
        #expect(
            stats.batches < stats.items, "writes arriving during a commit are batched (\(stats.batches) batches for \(stats.items) items)")
    }

    /// The fold of an attempt's start into its outcome: one item, one fence, one step row (the
    /// rows are the store contract's `startAndOutcome`). Fails when the committer applies them
    /// one by one.
    @Test func anAttemptsStartAndOutcomeAreOneStatementOfTheBatch() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let seq = try await temporary.create("j")
        let epoch = try await temporary.claim(seq, now: 2_000).row.epoch
        let before = store.commitStatistics
        var start = InstanceWrite(seq: seq, epoch: epoch, now: 2_001)
        start.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .running, attempts: 1, startedAt: 2_001)]
        start.history = [HistoryEntry(.stepStarted, at: 2_001, step: "s-1"), HistoryEntry(.attemptStarted, at: 2_001, step: "s-1")]
        var outcome = start
        outcome.steps[0].status = .complete
        outcome.history = [HistoryEntry(.attemptCompleted, at: 2_002, step: "s-1"), HistoryEntry(.stepCompleted, at: 2_002, step: "s-1")]
        try await store.write(start, awaitCommit: false)
        try await store.write(outcome, awaitCommit: true)
        let after = store.commitStatistics
        #expect(after.items - before.items == 2)
        #expect(after.statements - before.statements == 1, "joined: \(after)")
        #expect(try await store.steps(of: InstanceKey(tenant: "t", workflow: "w", id: "j")).map(\.status) == [.complete])
    }

    /// A write's history entries are one packed row; its events read back with consecutive ids
    /// in commit order, beside plain rows an older version wrote, paged from inside a packed row,
    /// and the ids go on after a restart.
    /// A packed row carries what tenant code chose — step names and error text with quotes,
    /// backslashes, control characters, NUL, astral characters, markup, 16 KiB of text — and
    /// reads back byte for byte.
    @Test func aPackedRowKeepsHostileStepNamesAndTextWhole() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let key = InstanceKey(tenant: "t", workflow: "w", id: "hostile")
        let seq = try await temporary.create("hostile")
        let epoch = try await temporary.claim(seq, now: 2_000).row.epoch
        let name = "\"],[\"workflow_completed\",1,null,null]]\\ \u{0}\u{1}\u{1F}\u{7F} é 😀 </script> \u{2028}-1"
        let message = String(repeating: "\"\\\u{0}😀", count: 4_096)
        var write = InstanceWrite(seq: seq, epoch: epoch, now: 2_001)
        write.history = [
            HistoryEntry(.attemptStarted, at: 2_001, step: name, data: ["attempt": .number(1)]),
            HistoryEntry(.attemptErrored, at: 2_001, step: name, data: ["error": .object(["message": .string(message)])]),
        ]
        try await temporary.store.write(write, awaitCommit: true)
        let read = try await temporary.store.history(of: key, afterId: 0, limit: 100).suffix(2)
        #expect(read.map(\.entry) == write.history)
    }

    @Test func aWritesHistoryIsOneRowThatReadsBackAsItsEvents() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let key = InstanceKey(tenant: "t", workflow: "w", id: "h")
        let seq = try await temporary.create("h")
        // Rows as an older version wrote them: one per event.
        try await temporary.store.pool.write { db in
            for (index, type) in ["log", "log"].enumerated() {
                try db.execute(
                    sql: "INSERT INTO history (instance_seq, at, type, data) VALUES (?, ?, ?, ?)",
                    arguments: [seq, 1_001 + index, type, #"{"level":"info","message":"old \#(index)"}"#])
            }
        }
        let epoch = try await temporary.claim(seq, now: 2_000).row.epoch
        var write = InstanceWrite(seq: seq, epoch: epoch, now: 2_001)
        write.history = [.stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted].map { HistoryEntry($0, at: 2_001, step: "s-1") }
        try await temporary.store.write(write, awaitCommit: true)
        var log = InstanceWrite(seq: seq, epoch: epoch, now: 2_002)
        log.history = [HistoryEntry(.log, at: 2_002, data: ["message": .string("after")])]
        try await temporary.store.write(log, awaitCommit: true)

        let all = try await temporary.store.history(of: key, afterId: 0, limit: 100)
        #expect(
            all.map(\.entry.type) == [
                .workflowQueued, .log, .log, .workflowStarted, .workflowRunning, .stepStarted, .attemptStarted, .attemptCompleted,
                .stepCompleted, .log,
            ])
        #expect(all.map(\.id) == Array(1...10), "consecutive ids in commit order: \(all.map(\.id))")
        let rows = try await temporary.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM history") }
        #expect(rows == 6, "queued, two old rows, the claim's two entries in one, the step's four in one, the log")
        // Pages that begin and end inside the packed row.
        var seen: [Int64] = []
        var after: Int64 = 0
        while true {
            let page = try await temporary.store.history(of: key, afterId: after, limit: 3)
            guard let last = page.last else { break }
            seen += page.map(\.id)
            after = last.id
        }
        #expect(seen == Array(1...10))
        let feed = try await temporary.store.historyFeed(tenant: "t", workflow: nil, after: "6", limit: 2)
        #expect(feed.map(\.cursor) == ["7", "8"])
        #expect(feed.map(\.event.entry.type) == [.attemptStarted, .attemptCompleted])

        // Reopened: the next id follows the packed row's last.
        let reopened = try SQLiteStore(path: temporary.store.path)
        var more = InstanceWrite(seq: seq, epoch: epoch, now: 2_003)
        more.history = [HistoryEntry(.log, at: 2_003), HistoryEntry(.log, at: 2_003)]
        try await reopened.write(more, awaitCommit: true)
        #expect(try await reopened.history(of: key, afterId: 10, limit: 10).map(\.id) == [11, 12])
        #expect(try await reopened.historyFeedHead() == "12")
    }

    @Test func aFailingItemDoesNotFailItsBatch() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        _ = try await temporary.create("dup")
        let store = temporary.store
        // Submitted together, so that both are likely in one batch.
        async let duplicate: Result<Int64, any Error> = {
            do { return .success(try await temporary.create("dup")) } catch { return .failure(error) }
        }()
        async let fresh: Result<Int64, any Error> = {
            do { return .success(try await temporary.create("fresh")) } catch { return .failure(error) }
        }()
        let (duplicateResult, freshResult) = await (duplicate, fresh)
        #expect(throws: BrigadeError.self) { try duplicateResult.get() }
        _ = try freshResult.get()
        #expect(try await store.instance(InstanceKey(tenant: "t", workflow: "w", id: "fresh")) != nil)
    }

    @Test func lazyWritesAreFlushedWithoutACommitToRideOn() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let seq = try await temporary.create("lazy")
        let claimed = try await temporary.claim(seq, now: 2_000)
        var write = InstanceWrite(seq: seq, epoch: claimed.row.epoch, now: 3_000)
        write.steps = [StepRecord(name: "s", count: 1, kind: .sleep, position: 0, status: .waiting, deadline: 9_000, startedAt: 3_000)]
        try await store.write(write, awaitCommit: false)
        let key = InstanceKey(tenant: "t", workflow: "w", id: "lazy")
        try await eventually("the lazy write to be flushed") { try await store.steps(of: key).count == 1 }
    }

    @Test func eventsAreRejectedForFinishedInstancesAndWakeWaitingOnes() async throws {
        let temporary = try await TemporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let seq = try await temporary.create("ev")
        let key = InstanceKey(tenant: "t", workflow: "w", id: "ev")
        let claimed = try await temporary.claim(seq, now: 2_000)
        var hibernate = InstanceWrite(seq: seq, epoch: claimed.row.epoch, now: 3_000)
        hibernate.update = InstanceUpdate(status: .waiting, dueAt: 50_000)
        try await store.write(hibernate, awaitCommit: true)
        let sent = try await store.sendEvent(key, type: "go", payload: Data("1".utf8), now: 4_000)
        #expect(sent.status == .waiting)
        #expect(try await store.instance(key)?.dueAt == 4_000, "a hibernated instance is due at once")
        _ = try await store.terminate(key, now: 5_000, defaultRetention: .seconds(4))
        await #expect { _ = try await store.sendEvent(key, type: "go", payload: Data("1".utf8), now: 6_000) } throws: {
            ($0 as? BrigadeError)?.code == .instanceFinished
        }
    }
}

extension ClaimResult {
    var isNotRunnable: Bool {
        if case .notRunnable = self { return true }
        return false
    }
}
