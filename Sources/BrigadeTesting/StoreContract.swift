@_spi(Stores) import Brigade
import Foundation

/// Every store behaviour the engine and the runtime rely on, as checks that any
/// ``WorkflowStore`` must pass: run against SQLite and PostgreSQL alike (`StoreContractTests`),
/// and against any store an embedder writes.
///
/// Each check gets a fresh, migrated store and throws ``StoreContractViolation`` saying what
/// differed.
public enum StoreContract {
    /// One named check.
    public typealias Check = ContractCheck<any WorkflowStore & TenantStore>

    /// All the checks.
    public static let checks: [Check] = [
        Check(name: "create, read, duplicate ids, queue cap", run: createAndRead),
        Check(name: "claim bumps the epoch and returns the replay", run: claim),
        Check(name: "a creation that claims for its engine: its row is the claim's, its first write lands", run: claimedCreation),
        Check(name: "a stale epoch's write is rejected whole", run: fencedWrite),
        Check(name: "administrative changes fence the engine", run: administrativeFence),
        Check(name: "a terminate with rollback is kept until the instance restarts", run: terminateWithRollback),
        Check(name: "pause and resume shift pending deadlines", run: pauseAndResume),
        Check(name: "restart from a step drops it and what followed", run: restart),
        Check(name: "history in order, resumable after an id", run: history),
        Check(name: "listing pages by cursor, filters, counts", run: listing),
        Check(name: "due alarms in order, paged, by shard", run: dueAlarms),
        Check(name: "purge of expired instances frees their ids", run: purge),
        Check(name: "events wake hibernating instances and are consumed once", run: events),
        Check(name: "delete removes everything of an instance", run: delete),
        Check(name: "definitions and versions of tenant code", run: definitionsAndCode),
        Check(name: "cron schedules: replaced as a set, the account's limit, due and moved on once", run: schedules),
        Check(name: "an instance's trigger is stored and read back", run: triggers),
        Check(name: "a child's end tells its parent in the same transaction, or not at all", run: parentNotices),
        Check(name: "tenants' own limits: replaced whole, removed by the defaults", run: limits),
        Check(name: "tenants and their tokens", run: tenants),
        Check(name: "lazy writes are flushed without a commit to ride on", run: lazyWrites),
        Check(name: "concurrent writes each return after their commit", run: concurrentWrites),
        Check(name: "a failing write fails alone, not the writes committed with it", run: failingWriteFailsAlone),
        Check(name: "an attempt's lazy start and its outcome: in order, with a stale one's neither", run: startAndOutcome),
    ]

    // MARK: Helpers

    static let tenant = "t"
    static let workflow = "w"

    static func key(_ id: String, workflow: String = workflow) -> InstanceKey {
        InstanceKey(tenant: tenant, workflow: workflow, id: id)
    }

    @discardableResult
    static func create(
        _ store: any WorkflowStore, _ id: String, now: Int64 = 1_000, shard: Int = 0, workflow: String = workflow,
        retention: Retention? = nil
    ) async throws -> Int64 {
        let seqs = try await store.createInstances(
            [NewInstance(key: key(id, workflow: workflow), params: Data("{\"n\":1}".utf8), shard: shard, retention: retention, createdAt: now)],
            skipExisting: false, maxQueued: .max)
        guard let seq = seqs.first ?? nil else { throw StoreContractViolation("creating \(id) returned no seq") }
        return seq
    }

    static func claimed(_ store: any WorkflowStore, _ seq: Int64, now: Int64) async throws -> ReplaySnapshot {
        guard case .claimed(let snapshot) = try await store.claim(seq: seq, now: now) else {
            throw StoreContractViolation("instance #\(seq) could not be claimed")
        }
        return snapshot
    }

    static func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        if !condition { throw StoreContractViolation(what()) }
    }

    static func expectError(_ code: BrigadeError.Code, _ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as BrigadeError where error.code == code {
            return
        } catch {
            throw StoreContractViolation("\(what): expected \(code), got \(error)")
        }
        throw StoreContractViolation("\(what): expected \(code), nothing was thrown")
    }

    static func expectFenced(_ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch is FencedWriteError {
            return
        } catch {
            throw StoreContractViolation("\(what): expected a FencedWriteError, got \(error)")
        }
        throw StoreContractViolation("\(what): expected a FencedWriteError, the write was applied")
    }

    // MARK: Checks

    static func createAndRead(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "a", now: 1_000, shard: 3, retention: Retention(success: .seconds(5), error: nil))
        let row = try await store.instance(key("a"))
        try expect(row?.seq == seq, "the created row is read back")
        try expect(row?.status == .queued && row?.epoch == 0 && row?.dueAt == 1_000, "a new instance is queued, epoch 0, due now: \(String(describing: row))")
        try expect(row?.shard == 3 && row?.params == Data("{\"n\":1}".utf8), "shard and params kept")
        try expect(row?.retention == Retention(success: .seconds(5), error: nil), "retention kept: \(String(describing: row?.retention))")
        try expect(try await store.instance(key("missing")) == nil, "an unknown id reads as nil")
        try await expectError(.instanceAlreadyExists, "a duplicate id") { try await create(store, "a") }
        let skipped = try await store.createInstances(
            [
                NewInstance(key: key("a"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000),
                NewInstance(key: key("b"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000),
            ], skipExisting: true, maxQueued: .max)
        try expect(skipped.count == 2 && skipped[0] == nil && skipped[1] != nil, "skipExisting skips the taken id only: \(skipped)")
        try await expectError(.queueFull, "past the queue cap") {
            _ = try await store.createInstances(
                [NewInstance(key: key("c"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000)], skipExisting: false,
                maxQueued: 2)
        }
        try expect(try await store.instance(key("c")) == nil, "a refused creation stores nothing")
        let counts = try await store.instanceCounts(tenant: tenant, workflow: workflow)
        try expect(counts == [.queued: 2], "counts follow creations: \(counts)")
    }

    static func claim(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "c")
        let first = try await claimed(store, seq, now: 2_000)
        try expect(first.row.status == .running && first.row.epoch == 1 && first.row.startedAt == 2_000, "a claim runs the instance at epoch 1")
        try expect(first.steps.isEmpty && first.events.isEmpty, "a fresh instance replays nothing")
        let stored = try await store.instance(key("c"))
        try expect(stored?.status == .running && stored?.epoch == 1, "the claim is stored")
        let second = try await claimed(store, seq, now: 3_000)
        try expect(second.row.epoch == 2 && second.row.startedAt == 2_000, "a second claim bumps the epoch, keeps the start")
        let types = try await store.history(of: key("c"), afterId: 0, limit: 100).map(\.entry.type)
        try expect(
            types == [.workflowQueued, .workflowStarted, .workflowRunning, .workflowRunning],
            "history of two claims: \(types)")
        guard case .gone = try await store.claim(seq: 999_999, now: 1) else { throw StoreContractViolation("an unknown seq is not gone") }
        try expect(try await store.instanceCounts(tenant: tenant, workflow: workflow) == [.running: 1], "counts follow the claim")
    }

    static func claimedCreation(_ store: any WorkflowStore & TenantStore) async throws {
        var new = NewInstance(key: key("cc"), params: Data("{}".utf8), shard: 2, retention: nil, createdAt: 1_500)
        new.claimed = true
        let plain = NewInstance(key: key("plain"), params: Data("{}".utf8), shard: 2, retention: nil, createdAt: 1_500)
        let seqs = try await store.createInstances([new, plain], skipExisting: false, maxQueued: .max)
        guard let seq = seqs.first ?? nil else { throw StoreContractViolation("creating cc returned no seq") }
        let row = try await store.instance(key("cc"))
        try expect(
            row == new.row(seq: seq), "the stored row is the one the engine replays from: \(String(describing: row)) vs \(new.row(seq: seq))")
        try expect(
            row?.status == .running && row?.epoch == 1 && row?.startedAt == 1_500 && row?.dueAt == 1_500, "claimed: running at epoch 1, due now")
        let types = try await store.history(of: key("cc"), afterId: 0, limit: 100).map(\.entry.type)
        try expect(
            types == [.workflowQueued, .workflowStarted, .workflowRunning], "the history of a creation and its first claim: \(types)")
        try expect(
            try await store.instanceCounts(tenant: tenant, workflow: workflow) == [.running: 1, .queued: 1],
            "a claimed creation counts as running beside a plain one, queued")
        // The engine's first write, at the creation's epoch, lands; a claim after it (the engine
        // died) bumps the epoch and adds only `workflow_running`.
        var write = InstanceWrite(seq: seq, epoch: 1, now: 2_000)
        write.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, value: Data("1".utf8), startedAt: 2_000)]
        write.history = [HistoryEntry(.stepStarted, at: 2_000, step: "s-1")]
        try await store.write(write, awaitCommit: true)
        let again = try await claimed(store, seq, now: 3_000)
        try expect(again.row.epoch == 2 && again.row.startedAt == 1_500, "a later claim bumps the epoch, keeps the start")
        try expect(again.steps.map(\.value) == [Data("1".utf8)], "and replays the step the first engine wrote")
        let after = try await store.history(of: key("cc"), afterId: 0, limit: 100).map(\.entry.type)
        try expect(after == [.workflowQueued, .workflowStarted, .workflowRunning, .stepStarted, .workflowRunning], "history: \(after)")
        try await expectFenced("the first engine's write after the claim") { try await store.write(write, awaitCommit: true) }
    }

    static func fencedWrite(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "f")
        let first = try await claimed(store, seq, now: 2_000)
        let second = try await claimed(store, seq, now: 3_000)
        var stale = InstanceWrite(seq: seq, epoch: first.row.epoch, now: 4_000)
        stale.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, value: Data("1".utf8), startedAt: 4_000)]
        stale.update = InstanceUpdate(status: .complete, output: Data("1".utf8), endedAt: 4_000)
        stale.history = [HistoryEntry(.workflowCompleted, at: 4_000)]
        try await expectFenced("a write at the old epoch") { try await store.write(stale, awaitCommit: true) }
        try expect(try await store.steps(of: key("f")).isEmpty, "nothing of the stale write's steps")
        try expect(try await store.instance(key("f"))?.status == .running, "nothing of the stale write's row")
        try expect(
            !(try await store.history(of: key("f"), afterId: 0, limit: 100).contains { $0.entry.type == .workflowCompleted }),
            "nothing of the stale write's history")
        var current = stale
        current.epoch = second.row.epoch
        try await store.write(current, awaitCommit: true)
        let row = try await store.instance(key("f"))
        try expect(row?.status == .complete && row?.output == Data("1".utf8) && row?.endedAt == 4_000, "the current epoch's write applies")
        try expect(try await store.steps(of: key("f")).map(\.value) == [Data("1".utf8)], "with its step")
    }

    static func administrativeFence(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "adm", retention: Retention(success: nil, error: .seconds(9)))
        let engine = try await claimed(store, seq, now: 2_000)
        let terminated = try await store.terminate(key("adm"), now: 3_000, defaultRetention: .seconds(7))
        try expect(terminated.status == .terminated && terminated.expiresAt == 12_000, "terminated, expiring after its own error retention")
        try await expectFenced("the engine's write after a terminate") {
            try await store.write(InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 4_000), awaitCommit: true)
        }
        guard case .notRunnable(.terminated) = try await store.claim(seq: seq, now: 5_000) else {
            throw StoreContractViolation("a terminated instance was claimable")
        }
        try await expectError(.cannotTerminate, "terminating twice") {
            _ = try await store.terminate(key("adm"), now: 6_000, defaultRetention: .seconds(7))
        }
        try await expectError(.instanceNotFound, "terminating an unknown id") {
            _ = try await store.terminate(key("nobody"), now: 6_000, defaultRetention: .seconds(7))
        }
    }

    static func terminateWithRollback(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "twr")
        let engine = try await claimed(store, seq, now: 2_000)
        let asked = try await store.terminateWithRollback(key("twr"), now: 3_000)
        try expect(asked.status == .rollingBack && asked.terminating && asked.dueAt == 3_000, "rolling back, due now")
        try await expectFenced("the engine's write after the request") {
            try await store.write(InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 3_500), awaitCommit: true)
        }
        let next = try await claimed(store, seq, now: 4_000)
        try expect(next.row.terminating && next.row.status == .rollingBack, "the next claim reads the request, still rolling back")
        // An engine's status writes keep it (a hibernation mid-chain, say).
        var hibernate = InstanceWrite(seq: seq, epoch: next.row.epoch, now: 4_100)
        hibernate.update = InstanceUpdate(status: .waiting, dueAt: 9_000)
        try await store.write(hibernate, awaitCommit: true)
        try expect(try await store.instance(key("twr"))?.terminating == true, "kept across the engine's writes")
        let restarted = try await store.restart(key("twr"), from: nil, now: 5_000)
        try expect(!restarted.terminating && restarted.status == .queued, "a restart forgets it")
        try expect(try await store.instance(key("twr"))?.terminating == false, "and stores that")
    }

    static func pauseAndResume(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "p")
        let engine = try await claimed(store, seq, now: 2_000)
        var sleep = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 2_100)
        sleep.steps = [StepRecord(name: "nap", count: 1, kind: .sleep, position: 0, status: .waiting, deadline: 10_000, startedAt: 2_100)]
        sleep.update = InstanceUpdate(status: .waiting, dueAt: 10_000)
        try await store.write(sleep, awaitCommit: true)
        let paused = try await store.pause(key("p"), now: 3_000)
        try expect(paused.status == .paused && paused.dueAt == nil && paused.pausedAt == 3_000, "paused: \(paused)")
        try expect(try await store.instance(key("p")) == paused, "the returned row is the stored row")
        let unchanged = try await store.pause(key("p"), now: 3_500)
        try expect(unchanged == paused, "pausing a paused instance changes nothing")
        let resumed = try await store.resume(key("p"), now: 4_000)
        try expect(resumed.status == .queued && resumed.dueAt == 4_000 && resumed.pausedAt == nil, "resumed: \(resumed)")
        try expect(resumed.epoch == engine.row.epoch + 2, "pause and resume each bump the epoch")
        let deadline = try await store.steps(of: key("p")).first?.deadline
        try expect(deadline == 11_000, "the sleep's deadline moved by the second paused: \(String(describing: deadline))")
        let types = try await store.history(of: key("p"), afterId: 0, limit: 100).map(\.entry.type)
        try expect(types.suffix(2) == [.workflowPaused, .workflowQueued], "pause and resume are in the history: \(types)")
    }

    static func restart(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "r")
        let engine = try await claimed(store, seq, now: 2_000)
        var write = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 2_100)
        write.steps = ["a", "b", "c"].enumerated().map { position, name in
            StepRecord(name: name, count: 1, kind: .do, position: position, status: .complete, value: Data("\(position)".utf8), startedAt: 2_100)
        }
        write.update = InstanceUpdate(status: .complete, output: Data("2".utf8), endedAt: 2_200, expiresAt: 90_000)
        try await store.write(write, awaitCommit: true)
        let restarted = try await store.restart(key("r"), from: StepSelector(name: "b"), now: 3_000)
        try expect(
            restarted.status == .queued && restarted.output == nil && restarted.expiresAt == nil && restarted.endedAt == nil,
            "restarted: \(restarted)")
        let names = try await store.steps(of: key("r")).map(\.name)
        try expect(names == ["a"], "the step restarted from and those after it are dropped: \(names)")
        // The claim that runs it again replays the steps kept (a store may skip the steps of an
        // instance that never started: a restarted one has).
        let rerun = try await claimed(store, seq, now: 3_050)
        try expect(rerun.steps.map(\.name) == ["a"], "the claim after a restart replays the kept steps: \(rerun.steps.map(\.name))")
        try await expectError(.cannotRestart, "restarting from a step that is not there") {
            _ = try await store.restart(key("r"), from: StepSelector(name: "b"), now: 3_100)
        }
        _ = try await store.restart(key("r"), from: nil, now: 3_200)
        try expect(try await store.steps(of: key("r")).isEmpty, "a restart from the start drops every step")
    }

    static func history(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "h")
        try await create(store, "other")
        let engine = try await claimed(store, seq, now: 2_000)
        for index in 0..<5 {
            var write = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 3_000 + Int64(index))
            write.history = [HistoryEntry(.stepStarted, at: 3_000 + Int64(index), step: "s-\(index)", data: ["n": .number(Double(index))])]
            try await store.write(write, awaitCommit: true)
        }
        let all = try await store.history(of: key("h"), afterId: 0, limit: 100)
        try expect(all.count == 8, "queued, started, running and five entries: \(all.count)")
        try expect(zip(all, all.dropFirst()).allSatisfy { $0.id < $1.id }, "ids increase in commit order")
        try expect(all.allSatisfy { $0.instanceId == "h" }, "only this instance's entries")
        try expect(all.last?.entry == HistoryEntry(.stepStarted, at: 3_004, step: "s-4", data: ["n": .number(4)]), "entries kept whole")
        let rest = try await store.history(of: key("h"), afterId: all[4].id, limit: 2)
        try expect(rest.map(\.id) == [all[5].id, all[6].id], "resuming after an id, limited")
    }

    static func listing(_ store: any WorkflowStore & TenantStore) async throws {
        for index in 0..<7 {
            try await create(store, "l\(index)", now: 1_000 + Int64(index % 3))
        }
        try await create(store, "elsewhere", workflow: "other")
        let engine = try await claimed(store, try await store.instance(key("l4"))!.seq, now: 2_000)
        _ = engine
        var seen: [String] = []
        var position: ListingPosition?
        while true {
            let page = try await store.listInstances(
                tenant: tenant, workflow: workflow, status: nil, created: nil, after: position, direction: .ascending, limit: 3)
            seen += page.map(\.key.id)
            guard page.count == 3, let last = page.last else { break }
            position = ListingPosition(createdAt: last.createdAt, id: last.key.id)
        }
        try expect(seen == ["l0", "l3", "l6", "l1", "l4", "l2", "l5"], "ascending (created, id), paged by cursor: \(seen)")
        let descending = try await store.listInstances(
            tenant: tenant, workflow: workflow, status: nil, created: nil, after: nil, direction: .descending, limit: 2)
        try expect(descending.map(\.key.id) == ["l5", "l2"], "descending: \(descending.map(\.key.id))")
        let running = try await store.listInstances(
            tenant: tenant, workflow: workflow, status: .running, created: nil, after: nil, direction: .ascending, limit: 10)
        try expect(running.map(\.key.id) == ["l4"], "filtered by status")
        let window = try await store.listInstances(
            tenant: tenant, workflow: workflow, status: nil, created: 1_001...1_001, after: nil, direction: .ascending, limit: 10)
        try expect(window.map(\.key.id) == ["l1", "l4"], "filtered by creation time: \(window.map(\.key.id))")
        try expect(try await store.instanceCounts(tenant: tenant, workflow: workflow) == [.queued: 6, .running: 1], "per-status counts")
        let everywhere = try await store.instanceCountsByStatus()
        try expect(everywhere[.queued] == 7 && everywhere[.running] == 1, "counts over every workflow: \(everywhere)")
    }

    static func dueAlarms(_ store: any WorkflowStore & TenantStore) async throws {
        for (index, now) in [5_000, 1_000, 3_000, 3_000, 9_000].enumerated() {
            try await create(store, "d\(index)", now: Int64(now), shard: 1)
        }
        try await create(store, "d-other-shard", now: 1_000, shard: 2)
        let shard = ShardKey(tenant: tenant, workflow: workflow, shard: 1)
        let first = try await store.dueInstances(shard, after: nil, dueBefore: 5_000, limit: 2)
        try expect(first.map(\.id) == ["d1", "d2"], "due in (time, seq) order: \(first.map(\.id))")
        let next = try await store.dueInstances(shard, after: first.last?.position, dueBefore: 5_000, limit: 10)
        try expect(next.map(\.id) == ["d3", "d0"], "the next page, up to the horizon: \(next.map(\.id))")
        let shards = Set(try await store.activeShards())
        try expect(shards == [shard, ShardKey(tenant: tenant, workflow: workflow, shard: 2)], "active shards: \(shards)")
        _ = try await store.terminate(key("d1"), now: 6_000, defaultRetention: .seconds(1))
        let after = try await store.dueInstances(shard, after: nil, dueBefore: 10_000, limit: 10)
        try expect(after.map(\.id) == ["d2", "d3", "d0", "d4"], "a finished instance has no alarm: \(after.map(\.id))")
    }

    static func purge(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "old", retention: Retention(success: nil, error: .seconds(1)))
        _ = try await claimed(store, seq, now: 1_500)
        _ = try await store.terminate(key("old"), now: 2_000, defaultRetention: .seconds(60))
        try await create(store, "young")
        try expect(try await store.purgeExpired(now: 2_999, limit: 10) == 0, "nothing expires early")
        try await expectError(.instanceAlreadyExists, "an id before its retention ends") { try await create(store, "old", now: 2_500) }
        let reused = try await create(store, "old", now: 3_000)
        try expect(reused != seq, "the id is free once its retention ended: a new instance")
        try expect(try await store.instance(key("old"))?.status == .queued, "the new instance holds the id")
        let other = try await create(store, "gone", retention: Retention(success: nil, error: .seconds(1)))
        _ = try await store.terminate(key("gone"), now: 2_000, defaultRetention: .seconds(60))
        try expect(try await store.purgeExpired(now: 3_000, limit: 10) == 1, "the expired one is purged")
        try expect(try await store.instance(key("gone")) == nil, "purged")
        try expect(try await store.history(of: key("gone"), afterId: 0, limit: 10).isEmpty, "with its history")
        _ = other
        try expect(try await store.instanceCounts(tenant: tenant, workflow: workflow) == [.queued: 2], "counts follow the purge")
    }

    static func events(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "e")
        let engine = try await claimed(store, seq, now: 2_000)
        var hibernate = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 3_000)
        hibernate.update = InstanceUpdate(status: .waiting, dueAt: 50_000)
        try await store.write(hibernate, awaitCommit: true)
        let first = try await store.sendEvent(key("e"), type: "go", payload: Data("1".utf8), now: 4_000)
        try expect(first.status == .waiting && first.seq == seq, "sent to the waiting instance")
        try expect(try await store.instance(key("e"))?.dueAt == 4_000, "a hibernated instance is due at once")
        let second = try await store.sendEvent(key("e"), type: "go", payload: Data("2".utf8), now: 4_100)
        try expect(second.event.seq > first.event.seq, "events are ordered")
        let replay = try await claimed(store, seq, now: 5_000)
        try expect(replay.events.map(\.payload) == [Data("1".utf8), Data("2".utf8)], "a claim finds the pending events in order")
        var consume = InstanceWrite(seq: seq, epoch: replay.row.epoch, now: 5_100)
        consume.consumedEvents = [first.event.seq]
        try await store.write(consume, awaitCommit: true)
        try await expectFenced("consuming an event twice") { try await store.write(consume, awaitCommit: true) }
        let again = try await claimed(store, seq, now: 6_000)
        try expect(again.events.map(\.payload) == [Data("2".utf8)], "a consumed event is not delivered again")
        _ = try await store.terminate(key("e"), now: 7_000, defaultRetention: .seconds(4))
        try await expectError(.instanceFinished, "an event to a finished instance") {
            _ = try await store.sendEvent(key("e"), type: "go", payload: Data("3".utf8), now: 8_000)
        }
        try await expectError(.instanceNotFound, "an event to an unknown instance") {
            _ = try await store.sendEvent(key("nobody"), type: "go", payload: Data("3".utf8), now: 8_000)
        }
    }

    static func delete(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "x")
        let engine = try await claimed(store, seq, now: 2_000)
        var write = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 2_100)
        write.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, startedAt: 2_100)]
        try await store.write(write, awaitCommit: true)
        _ = try await store.sendEvent(key("x"), type: "go", payload: Data("1".utf8), now: 2_200)
        let deleted = try await store.delete(key("x"))
        try expect(deleted.seq == seq, "delete returns the row")
        try expect(try await store.instance(key("x")) == nil, "the instance is gone")
        try expect(try await store.steps(of: key("x")).isEmpty, "its steps are gone")
        try expect(try await store.history(of: key("x"), afterId: 0, limit: 10).isEmpty, "its history is gone")
        try await expectFenced("a write to a deleted instance") {
            try await store.write(InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 3_000), awaitCommit: true)
        }
        try await expectError(.instanceNotFound, "deleting twice") { _ = try await store.delete(key("x")) }
        try expect(try await store.instanceCounts(tenant: tenant, workflow: workflow).isEmpty, "counts follow the delete")
    }

    static func definitionsAndCode(_ store: any WorkflowStore & TenantStore) async throws {
        let definition = WorkflowDefinition(
            tenant: tenant, name: "greet", className: "Greeter", scriptName: "s", retention: Retention(success: .seconds(3), error: nil),
            stepLimit: 50, codeVersion: nil, createdAt: 1_000, modifiedAt: 1_000)
        let stored = try await store.putWorkflowDefinition(definition)
        try expect(stored == definition, "a definition is stored as given: \(stored)")
        var replaced = definition
        replaced.className = "Other"
        replaced.createdAt = 2_000
        replaced.modifiedAt = 2_000
        let kept = try await store.putWorkflowDefinition(replaced)
        try expect(kept.className == "Other" && kept.createdAt == 1_000 && kept.modifiedAt == 2_000, "a replacement keeps the first creation time")
        let code = TenantCode(
            tenant: tenant, workflow: "greet", version: 0, versionId: "v-a", language: .javascript, source: "export class A {}",
            script: "class A {}", env: ["KEY": .string("value")], createdAt: 3_000)
        let (first, pointed) = try await store.deployCode(code, definition: kept)
        try expect(first.version == 1 && pointed.codeVersion == 1, "the first version is 1, and the definition points at it")
        var next = code
        next.versionId = "v-b"
        let (second, _) = try await store.deployCode(next, definition: kept)
        try expect(second.version == 2, "versions count up")
        let read = try await store.tenantCode(tenant: tenant, workflow: "greet", version: 1)
        try expect(read == first, "a version reads back whole: \(String(describing: read))")
        try expect(try await store.tenantCode(tenant: tenant, workflow: "greet", version: 9) == nil, "an unknown version is nil")
        let versions = try await store.tenantCodeVersions(tenant: tenant, workflow: "greet")
        try expect(versions.map(\.version) == [2, 1] && versions.first?.size == code.source.utf8.count, "versions newest first, with sizes")
        try expect(try await store.workflowDefinitions().map(\.codeVersion) == [2], "the definition points at the newest")
        try expect(try await store.deleteWorkflowDefinition(tenant: tenant, name: "greet"), "deleted")
        try expect(!(try await store.deleteWorkflowDefinition(tenant: tenant, name: "greet")), "a second delete finds nothing")
        try expect(try await store.tenantCodeVersions(tenant: tenant, workflow: "greet").isEmpty, "the code goes with the definition")
    }

    static func schedules(_ store: any WorkflowStore & TenantStore) async throws {
        func schedule(_ workflow: String, _ cron: String, next: Int64) -> WorkflowSchedule {
            WorkflowSchedule(tenant: tenant, workflow: workflow, cron: cron, nextAt: next, createdAt: 1_000)
        }
        let first = try await store.replaceSchedules(
            tenant: tenant, workflow: "a", [schedule("a", "0 * * * *", next: 5_000), schedule("a", "*/5 * * * *", next: 3_000)], maxPerTenant: 3)
        try expect(first.map(\.cron) == ["*/5 * * * *", "0 * * * *"], "a workflow's schedules by cron: \(first)")
        // A cron kept keeps its next time; one left out goes; a new one comes.
        let second = try await store.replaceSchedules(
            tenant: tenant, workflow: "a", [schedule("a", "*/5 * * * *", next: 9_000), schedule("a", "@daily", next: 7_000)], maxPerTenant: 3)
        try expect(
            second == [schedule("a", "*/5 * * * *", next: 3_000), schedule("a", "@daily", next: 7_000)],
            "a kept cron keeps its next firing: \(second)")
        // The limit counts the account's other workflows.
        try await expectError(.invalidSchedule, "past the account's limit") {
            _ = try await store.replaceSchedules(
                tenant: tenant, workflow: "b", [schedule("b", "1 * * * *", next: 1), schedule("b", "2 * * * *", next: 1)], maxPerTenant: 3)
        }
        try expect(try await store.schedules(tenant: tenant, workflow: "b").isEmpty, "a refused replacement stores nothing")
        _ = try await store.replaceSchedules(tenant: tenant, workflow: "b", [schedule("b", "1 * * * *", next: 1_000)], maxPerTenant: 3)
        _ = try await store.replaceSchedules(
            tenant: "other", workflow: "b", [schedule("b", "1 * * * *", next: 2_000)].map { var s = $0; s.tenant = "other"; return s },
            maxPerTenant: 1)
        try expect(try await store.earliestScheduleTime() == 1_000, "the earliest next time over every tenant")
        let due = try await store.dueSchedules(now: 3_000, limit: 10)
        try expect(due.map(\.nextAt) == [1_000, 2_000, 3_000], "due schedules earliest first: \(due.map(\.nextAt))")
        try expect(try await store.dueSchedules(now: 3_000, limit: 1).count == 1, "due schedules are paged")
        // Moving one on is a compare-and-set: the second mover finds it moved.
        try expect(try await store.advanceSchedule(due[0], to: 61_000), "the first move succeeds")
        try expect(!(try await store.advanceSchedule(due[0], to: 62_000)), "a second move from the same time fails")
        try expect(try await store.schedules(tenant: tenant, workflow: "b").map(\.nextAt) == [61_000], "the first move holds")
        // Removing: an empty set, and a deleted definition.
        try expect(try await store.replaceSchedules(tenant: tenant, workflow: "b", [], maxPerTenant: 3).isEmpty, "an empty set removes them")
        _ = try await store.putWorkflowDefinition(
            WorkflowDefinition(tenant: tenant, name: "a", className: "A", createdAt: 1_000, modifiedAt: 1_000))
        _ = try await store.deleteWorkflowDefinition(tenant: tenant, name: "a")
        try expect(try await store.schedules(tenant: tenant, workflow: "a").isEmpty, "a deleted workflow's schedules go with it")
        try expect(!(try await store.advanceSchedule(second[0], to: 1)), "a removed schedule cannot be moved")
    }

    static func triggers(_ store: any WorkflowStore & TenantStore) async throws {
        let cron = InstanceTrigger(source: .cron, schedule: CronFiring(cron: "*/5 * * * *", scheduledTime: 1_800_000_000_000))
        _ = try await store.createInstances(
            [
                NewInstance(key: key("by-cron"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000, trigger: cron),
                NewInstance(
                    key: key("by-binding"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000,
                    trigger: InstanceTrigger(source: .binding)),
            ], skipExisting: false, maxQueued: .max)
        try await create(store, "by-api")
        try expect(try await store.instance(key("by-cron"))?.trigger == cron, "a cron firing is read back")
        try expect(try await store.instance(key("by-binding"))?.trigger.source == .binding, "a binding's creation is read back")
        let api = try await store.instance(key("by-api"))
        try expect(api?.trigger == .api, "a plain creation reads as the API's")
        let claimedRow = try await claimed(store, api!.seq, now: 2_000).row
        try expect(claimedRow.trigger == .api, "a claim's row carries the trigger")
        let seq = try await store.instance(key("by-cron"))!.seq
        try expect(try await claimed(store, seq, now: 2_000).row.trigger == cron, "a claim's row carries the firing")
    }

    static func parentNotices(_ store: any WorkflowStore & TenantStore) async throws {
        // A parent hibernating on its child, and two children of it.
        let parentSeq = try await create(store, "parent")
        let parentEngine = try await claimed(store, parentSeq, now: 2_000)
        var hibernate = InstanceWrite(seq: parentSeq, epoch: parentEngine.row.epoch, now: 2_100)
        hibernate.update = InstanceUpdate(status: .waiting, dueAt: 900_000)
        try await store.write(hibernate, awaitCommit: true)
        func child(_ id: String) async throws -> (Int64, InstanceRow) {
            let link = ParentLink(workflow: workflow, id: "parent", step: "\(id)-1")
            let seqs = try await store.createInstances(
                [
                    NewInstance(
                        key: key(id), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 1_000,
                        trigger: InstanceTrigger(source: .binding, parent: link))
                ], skipExisting: false, maxQueued: .max)
            let seq = try seqs.first.flatMap { $0 } ?? { throw StoreContractViolation("no child \(id)") }()
            return (seq, try await claimed(store, seq, now: 2_200).row)
        }
        let (kidSeq, kid) = try await child("kid")
        try expect(kid.trigger.parent?.step == "kid-1", "a child's row keeps its parent")
        let notice = ParentNotice(
            link: kid.trigger.parent!, child: key("kid"), status: .complete, output: Data("42".utf8), error: nil)
        var ending = InstanceWrite(seq: kidSeq, epoch: kid.epoch - 1, now: 3_000)
        ending.update = InstanceUpdate(status: .complete, output: Data("42".utf8), endedAt: 3_000)
        ending.notice = notice
        try await expectFenced("a stale child's end") { try await store.write(ending, awaitCommit: true) }
        try expect(try await store.pendingEvent(instance: parentSeq, type: notice.type) == nil, "a fenced end tells nobody")
        try expect(try await store.instance(key("parent"))?.dueAt == 900_000, "nor wakes the parent")
        ending.epoch = kid.epoch
        try await store.write(ending, awaitCommit: true)
        let told = try await store.pendingEvent(instance: parentSeq, type: notice.type)
        try expect(told?.payload == notice.payload, "the end and the parent's event commit together: \(String(describing: told))")
        try expect(try await store.instance(key("parent"))?.dueAt == 3_000, "the hibernating parent is due at once")
        // An administrative terminate of a child tells the parent too.
        let (_, other) = try await child("other")
        let terminated = try await store.terminate(key("other"), now: 4_000, defaultRetention: .seconds(5))
        let otherNotice = try ParentNotice(finished: terminated) ?? { throw StoreContractViolation("a terminated child has a notice") }()
        try expect(other.trigger.parent != nil && otherNotice.type != notice.type, "each child has its own event type")
        let terminatedTold = try await store.pendingEvent(instance: parentSeq, type: otherNotice.type)
        try expect(terminatedTold?.payload == otherNotice.payload, "a terminated child told its parent")
        // A parent that ended gets nothing, and the child's end still commits.
        _ = try await store.terminate(key("parent"), now: 5_000, defaultRetention: .seconds(5))
        let (lateSeq, late) = try await child("late")
        var lateEnd = InstanceWrite(seq: lateSeq, epoch: late.epoch, now: 6_000)
        lateEnd.update = InstanceUpdate(status: .complete, output: Data("1".utf8), endedAt: 6_000)
        lateEnd.notice = ParentNotice(link: late.trigger.parent!, child: key("late"), status: .complete, output: Data("1".utf8), error: nil)
        try await store.write(lateEnd, awaitCommit: true)
        try expect(try await store.instance(key("late"))?.status == .complete, "a child outliving its parent ends")
        try expect(
            try await store.pendingEvent(instance: parentSeq, type: lateEnd.notice!.type) == nil, "an ended parent is told nothing")
    }

    static func limits(_ store: any WorkflowStore & TenantStore) async throws {
        try expect(try await store.tenantLimits().isEmpty, "no tenant has limits of its own at first")
        let first = TenantLimits(maxRunning: 3, maxQueuedPerWorkflow: 9, creationRate: 2.5)
        try await store.putTenantLimits(first, tenant: "a", now: 1_000)
        try await store.putTenantLimits(TenantLimits(workflowCreationRate: 0.5), tenant: "b", now: 1_000)
        try expect(try await store.tenantLimits() == ["a": first, "b": TenantLimits(workflowCreationRate: 0.5)], "every field read back")
        let egress = TenantLimits(fetchHosts: ["api.example.com", "*.example.org"], fetchPrivateHosts: ["db.internal:5432"])
        try await store.putTenantLimits(egress, tenant: "a", now: 1_500)
        try expect(try await store.tenantLimits()["a"] == egress, "the egress hosts read back")
        try await store.putTenantLimits(TenantLimits(fetchHosts: []), tenant: "a", now: 1_600)
        try expect(try await store.tenantLimits()["a"] == TenantLimits(fetchHosts: []), "no hosts is not the server's setting")
        let second = TenantLimits(maxRunningPerWorkflow: 4)
        try await store.putTenantLimits(second, tenant: "a", now: 2_000)
        try expect(try await store.tenantLimits()["a"] == second, "a put replaces the whole set")
        try await store.putTenantLimits(.defaults, tenant: "a", now: 3_000)
        try expect(try await store.tenantLimits().keys.sorted() == ["b"], "the defaults remove them")
    }

    static func tenants(_ store: any WorkflowStore & TenantStore) async throws {
        try await store.createTenant(TenantRecord(id: "acme", tokenHash: "h1", createdAt: 1))
        try await store.createTenant(TenantRecord(id: "beta", tokenHash: "h2", createdAt: 2))
        try await expectError(.tenantAlreadyExists, "a taken tenant id") {
            try await store.createTenant(TenantRecord(id: "acme", tokenHash: "h9", createdAt: 3))
        }
        try expect(try await store.tenants().map(\.id) == ["acme", "beta"], "tenants by id")
        try expect(try await store.tenant(tokenHash: "h2")?.id == "beta", "found by token hash")
        try expect(try await store.tenant(id: "acme")?.tokenHash == "h1", "found by id")
        try await store.rotateToken(tenant: "acme", tokenHash: "h3", now: 3)
        try expect(try await store.tenant(tokenHash: "h1") == nil, "the old token stops working")
        try expect(try await store.tenant(tokenHash: "h3")?.tokenRotatedAt == 3, "the new one works")
        try await expectError(.tenantNotFound, "rotating an unknown tenant") {
            try await store.rotateToken(tenant: "nobody", tokenHash: "h4", now: 4)
        }
    }

    static func lazyWrites(_ store: any WorkflowStore & TenantStore) async throws {
        let seq = try await create(store, "lazy")
        let engine = try await claimed(store, seq, now: 2_000)
        var write = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 3_000)
        write.steps = [StepRecord(name: "s", count: 1, kind: .sleep, position: 0, status: .waiting, deadline: 9_000, startedAt: 3_000)]
        try await store.write(write, awaitCommit: false)
        for _ in 0..<500 {
            if try await store.steps(of: key("lazy")).count == 1 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw StoreContractViolation("a lazy write was not flushed within 5 s")
    }

    static func concurrentWrites(_ store: any WorkflowStore & TenantStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask {
                    try await create(store, "c\(index)")
                    // Committed when create returns: visible to a read at once.
                    try expect(try await store.instance(key("c\(index)")) != nil, "c\(index) visible once its creation returned")
                }
            }
            try await group.waitForAll()
        }
        try expect(try await store.instanceCounts(tenant: tenant, workflow: workflow) == [.queued: 100], "all hundred created")
    }
}

extension StoreContract {
    static func failingWriteFailsAlone(_ store: any WorkflowStore & TenantStore) async throws {
        for index in 0..<20 { try await create(store, "taken-\(index)") }
        // Forty creations at once, every other one of a taken id: submitted together, they share
        // commits, and each duplicate must fail alone.
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    let id = index.isMultiple(of: 2) ? "taken-\(index / 2)" : "fresh-\(index)"
                    do {
                        try await create(store, id)
                        return (index, true)
                    } catch let error as BrigadeError where error.code == .instanceAlreadyExists {
                        return (index, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for try await (index, created) in group { outcomes[index] = created }
            return outcomes
        }
        for index in 0..<40 {
            try expect(outcomes[index] == !index.isMultiple(of: 2), "creation \(index): \(String(describing: outcomes[index]))")
        }
        let counts = try await store.instanceCounts(tenant: tenant, workflow: workflow)
        try expect(counts == [.queued: 40], "twenty taken and twenty fresh, nothing else: \(counts)")
    }
}

extension StoreContract {
    /// An attempt's start (not awaited) and its outcome, as the engine writes them: a store may
    /// apply them as one (``CommitQueue/joiningWrites(_:)``), and then the result is what applying
    /// them in turn gives. Twenty instances at once, every fourth written at a stale epoch: those
    /// fail and leave neither part behind; the others land whole, whatever they shared a commit with.
    static func startAndOutcome(_ store: any WorkflowStore & TenantStore) async throws {
        var epochs: [(Int64, Int64)] = []
        for index in 0..<20 {
            let seq = try await create(store, "j\(index)")
            let first = try await claimed(store, seq, now: 2_000)
            // Every fourth is claimed again, so the first claim's epoch is stale.
            if index.isMultiple(of: 4) { _ = try await claimed(store, seq, now: 2_001) }
            epochs.append((seq, first.row.epoch))
        }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for (index, (seq, epoch)) in epochs.enumerated() {
                group.addTask {
                    var start = InstanceWrite(seq: seq, epoch: epoch, now: 3_000)
                    start.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .running, attempts: 1, startedAt: 3_000)]
                    start.history = [
                        HistoryEntry(.stepStarted, at: 3_000, step: "s-1"), HistoryEntry(.attemptStarted, at: 3_000, step: "s-1"),
                    ]
                    var outcome = InstanceWrite(seq: seq, epoch: epoch, now: 3_001)
                    outcome.steps = [
                        StepRecord(
                            name: "s", count: 1, kind: .do, position: 0, status: .complete, attempts: 1, value: Data("\(index)".utf8),
                            startedAt: 3_000, endedAt: 3_001)
                    ]
                    outcome.history = [
                        HistoryEntry(.attemptCompleted, at: 3_001, step: "s-1"), HistoryEntry(.stepCompleted, at: 3_001, step: "s-1"),
                    ]
                    outcome.update = InstanceUpdate(status: .complete, output: Data("\(index)".utf8), endedAt: 3_001)
                    try await store.write(start, awaitCommit: false)
                    do {
                        try await store.write(outcome, awaitCommit: true)
                        return (index, true)
                    } catch is FencedWriteError {
                        return (index, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for try await (index, written) in group { outcomes[index] = written }
            return outcomes
        }
        for index in 0..<20 {
            let stale = index.isMultiple(of: 4)
            try expect(
                outcomes[index] == !stale, "j\(index)'s outcome \(stale ? "fenced" : "written"): \(String(describing: outcomes[index]))")
            let steps = try await store.steps(of: key("j\(index)"))
            let history = try await store.history(of: key("j\(index)"), afterId: 0, limit: 100)
            let stepEvents = history.filter { $0.entry.step == "s-1" }
            if stale {
                try expect(steps.isEmpty && stepEvents.isEmpty, "j\(index): nothing of a stale start or outcome (\(steps), \(stepEvents))")
                continue
            }
            try expect(
                steps.map(\.status) == [.complete] && steps.first?.value == Data("\(index)".utf8), "j\(index): the step's last record")
            try expect(
                stepEvents.map(\.entry.type) == [.stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted],
                "j\(index): start then outcome, in order: \(stepEvents.map(\.entry.type))")
            try expect(zip(history, history.dropFirst()).allSatisfy { $0.id < $1.id }, "j\(index): history ids ascending")
            try expect(try await store.instance(key("j\(index)"))?.status == .complete, "j\(index): the outcome's row change")
        }
    }
}

/// A store did not behave as the contract says.
public struct StoreContractViolation: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One named check of a contract, run against a fresh `Store` (``StoreContract``, ``LeaseContract``).
public struct ContractCheck<Store: Sendable>: Sendable, CustomStringConvertible {
    public let name: String
    public let run: @Sendable (Store) async throws -> Void
    public var description: String { name }

    public init(name: String, run: @escaping @Sendable (Store) async throws -> Void) {
        self.name = name
        self.run = run
    }
}

