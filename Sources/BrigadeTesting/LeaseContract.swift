@_spi(Stores) import Brigade
import Foundation
import Synchronization

/// What the runtime relies on from a store that several nodes share (``LeaseStore``), as checks
/// any such store must pass; run against PostgreSQL by `LeaseContractTests`.
///
/// Lease expiry is the database's clock, which a test cannot move: the checks that need a lease
/// to expire give it a 1 s TTL (long enough for the steps before the expiry on a loaded machine;
/// 150 ms was not) and wait for it in real time (the only real waits here).
public enum LeaseContract {
    public typealias Check = ContractCheck<any WorkflowStore & LeaseStore>

    public static let checks: [Check] = [
        Check(name: "a held slot is refused to another node", run: heldSlotsAreRefused),
        Check(name: "an expired lease moves with a new epoch; a heartbeat keeps one", run: expiryMovesLeases),
        Check(name: "a claim and a write under a lost lease are rejected whole", run: lostLeaseFencesWrites),
        Check(name: "release and leave free slots at once", run: releaseAndLeave),
        Check(name: "wake-ups reach the listening nodes", run: wakeups),
        Check(name: "account slots never add up past the limit; a dead node's are freed", run: accountSlots),
    ]

    static let shortTTL: Duration = .seconds(1)

    static func waitForExpiry() async throws { try await Task.sleep(for: .milliseconds(1_300)) }

    static func heldSlotsAreRefused(_ store: any WorkflowStore & LeaseStore) async throws {
        let a = try await store.acquire(slots: [0, 1], node: "a", ttl: .seconds(30))
        try StoreContract.expect(a.map(\.slot).sorted() == [0, 1] && a.allSatisfy { $0.epoch == 1 && $0.node == "a" }, "a takes two free slots at epoch 1: \(a)")
        let b = try await store.acquire(slots: [0, 1, 2], node: "b", ttl: .seconds(30))
        try StoreContract.expect(b.map(\.slot) == [2], "b gets only the free slot: \(b)")
        let again = try await store.acquire(slots: [0], node: "a", ttl: .seconds(30))
        try StoreContract.expect(again == [LeaseFence(slot: 0, node: "a", epoch: 1)], "taking a slot it holds keeps its epoch: \(again)")
        let view = try await store.heartbeat(node: "a", ttl: .seconds(30))
        try StoreContract.expect(view.nodes.map(\.id) == ["a"] && view.nodes[0].live, "a heartbeat makes the node live: \(view.nodes)")
        try StoreContract.expect(view.leases.filter { $0.node == "a" && !$0.expired }.map(\.slot) == [0, 1], "the view shows a's slots: \(view.leases)")
    }

    static func expiryMovesLeases(_ store: any WorkflowStore & LeaseStore) async throws {
        _ = try await store.acquire(slots: [3], node: "a", ttl: shortTTL)
        _ = try await store.acquire(slots: [4], node: "a", ttl: shortTTL)
        try await waitForExpiry()
        // a's heartbeat comes back for slot 4 before anyone took it: renewed, same epoch.
        _ = try await store.heartbeat(node: "a", ttl: .seconds(30))
        let taken = try await store.acquire(slots: [3, 4], node: "b", ttl: .seconds(30))
        try StoreContract.expect(taken.map(\.slot) == [], "renewed leases are a's again, not b's: \(taken)")
        let view = try await store.clusterView()
        try StoreContract.expect(view.leases.filter { $0.node == "a" && !$0.expired }.map(\.slot) == [3, 4], "both renewed: \(view.leases)")
        // Now let them lapse for real.
        _ = try await store.heartbeat(node: "a", ttl: shortTTL)
        try await waitForExpiry()
        let moved = try await store.acquire(slots: [3, 4], node: "b", ttl: .seconds(30))
        try StoreContract.expect(moved.map(\.slot).sorted() == [3, 4] && moved.allSatisfy { $0.epoch == 2 }, "expired leases move at epoch 2: \(moved)")
        let late = try await store.heartbeat(node: "a", ttl: .seconds(30))
        try StoreContract.expect(!late.leases.contains { $0.node == "a" }, "a late heartbeat does not take them back: \(late.leases)")
    }

    static func lostLeaseFencesWrites(_ store: any WorkflowStore & LeaseStore) async throws {
        let seq = try await StoreContract.create(store, "leased")
        let lease = try await store.acquire(slots: [5], node: "a", ttl: shortTTL)[0]
        guard case .claimed(let engine) = try await store.claim(seq: seq, now: 2_000, lease: lease) else {
            throw StoreContractViolation("a claim under a held lease did not claim")
        }
        var write = InstanceWrite(seq: seq, epoch: engine.row.epoch, now: 2_100)
        write.lease = lease
        write.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: .complete, value: Data("1".utf8), startedAt: 2_100)]
        try await store.write(write, awaitCommit: true)
        try await waitForExpiry()
        // Expired and not yet taken: still rejected (the lease may move at any moment).
        var late = write
        late.steps[0].name = "late"
        try await StoreContract.expectFenced("a write under an expired lease") { try await store.write(late, awaitCommit: true) }
        let taken = try await store.acquire(slots: [5], node: "b", ttl: .seconds(30))
        try StoreContract.expect(taken.first?.epoch == lease.epoch + 1, "b takes the slot at a new epoch: \(taken)")
        try await StoreContract.expectFenced("a write under a lease another node took") { try await store.write(late, awaitCommit: true) }
        try await StoreContract.expectFenced("a claim under a lease another node took") {
            _ = try await store.claim(seq: seq, now: 3_000, lease: lease)
        }
        let steps = try await store.steps(of: StoreContract.key("leased")).map(\.name)
        try StoreContract.expect(steps == ["s"], "nothing of the rejected writes was applied: \(steps)")
        guard case .claimed(let replay) = try await store.claim(seq: seq, now: 3_100, lease: taken[0]) else {
            throw StoreContractViolation("the new holder could not claim")
        }
        try StoreContract.expect(replay.row.epoch > engine.row.epoch && replay.steps.map(\.name) == ["s"], "the new holder replays what was committed")
    }

    static func releaseAndLeave(_ store: any WorkflowStore & LeaseStore) async throws {
        _ = try await store.heartbeat(node: "a", ttl: .seconds(30))
        _ = try await store.acquire(slots: [6, 7], node: "a", ttl: .seconds(30))
        try await store.release(slots: [6], node: "b")
        try StoreContract.expect(try await store.acquire(slots: [6], node: "b", ttl: .seconds(30)).isEmpty, "a node cannot release another's slot")
        try await store.release(slots: [6], node: "a")
        let renewed = try await store.heartbeat(node: "a", ttl: .seconds(30))
        try StoreContract.expect(renewed.leases.first { $0.slot == 6 }?.expired == true, "a heartbeat does not renew a released slot: \(renewed.leases)")
        try StoreContract.expect(try await store.acquire(slots: [6], node: "b", ttl: .seconds(30)).map(\.epoch) == [2], "a released slot is free at once")
        try await store.leave(node: "a")
        try StoreContract.expect(try await store.acquire(slots: [7], node: "b", ttl: .seconds(30)).map(\.slot) == [7], "leaving frees every slot")
        let view = try await store.clusterView()
        try StoreContract.expect(!view.nodes.contains { $0.id == "a" }, "a node that left is gone from the view: \(view.nodes)")
    }

    static func wakeups(_ store: any WorkflowStore & LeaseStore) async throws {
        let stream = store.wakeups()
        let sent = ShardWakeup(
            kind: .event, shard: ShardKey(tenant: "t", workflow: "w", shard: 1), seq: 42,
            // An id as odd as a tenant may send (quotes, a backslash, a newline, non-ASCII; 100
            // characters, the limit): the payload is JSON, not a delimited string.
            id: String(repeating: "é\"\\\n💥", count: 20), event: 7, status: .waiting)
        // The listener connects in the background: send until one arrives.
        let received = try await withThrowingTaskGroup(of: ShardWakeup?.self) { group in
            group.addTask {
                for await wakeup in stream { return wakeup }
                return nil
            }
            group.addTask {
                for _ in 0..<100 {
                    try await store.wake(sent)
                    try await Task.sleep(for: .milliseconds(50))
                }
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        try StoreContract.expect(received == sent, "the wake-up arrives whole: \(String(describing: received))")
    }

    static func accountSlots(_ store: any WorkflowStore & LeaseStore) async throws {
        // a lives long enough for the steps below on a loaded machine, then dies.
        _ = try await store.heartbeat(node: "a", ttl: .milliseconds(1_500))
        let aDiesAt = ContinuousClock.now + .milliseconds(1_600)
        _ = try await store.heartbeat(node: "b", ttl: .seconds(30))
        func ask(_ node: String, inUse: Int, fresh: Int, running: Int? = nil) async throws -> (share: Int, shrunkTo: Int?) {
            let shrunk = ShrunkTo()
            let share = try await store.shareSlots(
                tenant: "t", node: node, limit: 4, report: SlotShare.Holder(node: node, held: 0, inUse: inUse, woken: 0, fresh: fresh)
            ) { lower in
                shrunk.value.withLock { $0 = lower }
                return running ?? inUse
            }
            return (share, shrunk.value.withLock { $0 })
        }
        try StoreContract.expect(try await ask("a", inUse: 0, fresh: 10).share == 4, "a lone node gets the whole limit")
        try StoreContract.expect(try await ask("b", inUse: 0, fresh: 10).share == 0, "nothing another node holds")
        // a runs four and b waits: a's share is two, but the row keeps four until they stop.
        let shrink = try await ask("a", inUse: 4, fresh: 6)
        try StoreContract.expect(shrink.share == 2 && shrink.shrunkTo == 2, "a is told to shrink to its share: \(shrink)")
        try StoreContract.expect(try await ask("b", inUse: 0, fresh: 10).share == 0, "b waits while a's instances still run")
        try StoreContract.expect(try await ask("a", inUse: 2, fresh: 6).share == 2, "a keeps its share")
        try StoreContract.expect(try await ask("b", inUse: 0, fresh: 10).share == 2, "b gets the slots a gave back")
        // a dies: once its heartbeat expires its row no longer counts.
        try await Task.sleep(until: aDiesAt)
        try StoreContract.expect(try await ask("b", inUse: 2, fresh: 10).share == 4, "a dead node's slots are free")
    }
}

/// What the `shrink` callback of the account-slot check was called with.
private final class ShrunkTo: Sendable {
    let value = Mutex<Int?>(nil)
}
