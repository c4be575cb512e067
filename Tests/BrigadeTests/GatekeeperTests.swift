import Testing

@testable import Brigade

@Suite struct GatekeeperTests {
    func lessee(_ workflow: String, _ shard: Int = 0) -> LesseeID {
        LesseeID(shard: ShardKey(tenant: "t", workflow: workflow, shard: shard))
    }

    /// Registers one lessee for each of two workflows, "a" and "b".
    func twoWorkflows(_ state: inout GatekeeperState) -> (LesseeID, LesseeID) {
        let (a, b) = (lessee("a"), lessee("b"))
        state.register(a, workflow: "a")
        state.register(b, workflow: "b")
        return (a, b)
    }

    @Test func waterfillIsMaxMinFair() {
        #expect(GatekeeperState.waterfill([10, 10_000], capacity: 100) == [10, 90])
        #expect(GatekeeperState.waterfill([10_000, 10_000], capacity: 100) == [50, 50])
        let shares = GatekeeperState.waterfill([3, 50, 50, 0], capacity: 100)
        #expect(shares[0] == 3 && shares[3] == 0 && shares[1] + shares[2] == 97 && abs(shares[1] - shares[2]) <= 1)
        #expect(GatekeeperState.waterfill([5, 5, 5], capacity: 2).reduce(0, +) == 2)
        #expect(GatekeeperState.waterfill([1, 2], capacity: 100) == [1, 2], "nobody gets more than it asked for")
        #expect(GatekeeperState.waterfill([], capacity: 10) == [])
    }

    /// Found by the cluster's limit test (and true of one node too): a lessee whose last instance
    /// ends keeps its idle slot, and its demand, zero before, does not change; the lessee that
    /// asked while every slot was taken must still get the slot, without waiting for a sweep.
    @Test func aSlotFreedByAnIdleLesseeReachesOneThatIsWaiting() {
        var state = GatekeeperState(capacity: 1, workflowCap: nil)
        let (a, b) = twoWorkflows(&state)
        _ = state.request(a, .init(woken: 0, fresh: 1))
        _ = state.cycle()
        #expect(Self.start(&state, a))
        _ = state.request(a, .zero)
        _ = state.cycle()
        _ = state.request(b, .init(woken: 0, fresh: 1))
        let none = state.cycle()
        #expect(none.isEmpty, "every slot is in use")
        state.pending = false
        state.finished(a)
        #expect(state.pending, "a finished instance while another lessee waits must bring a cycle")
        let granted = state.cycle()
        #expect(granted == [b])
        #expect(Self.start(&state, b))
        #expect(state.check() == nil)
    }

    /// After the capacity was lowered, a lessee can hold a free slot that the capacity does not
    /// let it use yet; once an instance elsewhere ends, the cycle wakes it.
    @Test func aLesseeHeldBackByALoweredCapacityIsWokenWhenASlotFrees() {
        var state = GatekeeperState(capacity: 2, workflowCap: nil)
        let (a, b) = twoWorkflows(&state)
        _ = state.request(a, .init(woken: 0, fresh: 1))
        _ = state.request(b, .init(woken: 0, fresh: 2))
        _ = state.cycle()
        #expect(Self.start(&state, a))
        #expect(Self.start(&state, b))
        _ = state.request(a, .zero)
        _ = state.request(b, .init(woken: 0, fresh: 1))
        _ = state.setCapacity(1)
        #expect(!Self.start(&state, b), "two run; the capacity is one")
        state.finished(a)
        #expect(!Self.start(&state, b), "one still runs")
        state.finished(b)
        #expect(state.pending)
        let woken = state.cycle()
        #expect(woken.contains(b))
        #expect(Self.start(&state, b))
        #expect(state.check() == nil)
    }

    static func start(_ state: inout GatekeeperState, _ id: LesseeID) -> Bool { state.tryStart(id) }

    @Test func twoWorkflowsWithLongQueuesShareEqually() {
        var state = GatekeeperState(capacity: 100, workflowCap: nil)
        let (a, b) = twoWorkflows(&state)
        _ = state.request(a, .init(woken: 0, fresh: 10_000))
        _ = state.request(b, .init(woken: 0, fresh: 10_000))
        _ = state.cycle()
        #expect(state.lessees[a]!.leased == 50 && state.lessees[b]!.leased == 50)
        #expect(state.check() == nil)
    }

    @Test func wokenInstancesGoBeforeNewOnes() {
        var state = GatekeeperState(capacity: 100, workflowCap: nil)
        let (a, b) = twoWorkflows(&state)
        _ = state.request(a, .init(woken: 80, fresh: 0))
        _ = state.request(b, .init(woken: 0, fresh: 80))
        _ = state.cycle()
        #expect(state.lessees[a]!.leased == 80 && state.lessees[b]!.leased == 20)
    }

    @Test func aFreeLeasedSlotIsUsedWithoutACycleAndASlotComesBackWhenAnInstanceStops() {
        var state = GatekeeperState(capacity: 2, workflowCap: nil)
        let a = lessee("a")
        state.register(a, workflow: "a")
        let startedWithoutLease = state.tryStart(a)
        #expect(!startedWithoutLease, "nothing leased yet")
        _ = state.request(a, .init(woken: 0, fresh: 3))
        let granted = state.cycle()
        #expect(granted == [a])
        let first = state.tryStart(a)
        let second = state.tryStart(a)
        #expect(first && second)
        let third = state.tryStart(a)
        #expect(!third, "the capacity is 2")
        state.finished(a)
        let reused = state.tryStart(a)
        #expect(reused, "the slot of an instance that parked is reused at once")
        #expect(state.check() == nil)
    }

    /// A lessee granted a slot for one instance starts it; a second instance arrives and it asks
    /// for one again. That request equals the first one it made, but the first was met: the
    /// cycle must run (it used to be ignored as unchanged, and the second instance waited until
    /// something else ran a cycle — for ever in CompletionTests, 1 run in 8).
    @Test func aRequestLikeOneAlreadyMetStillRunsACycle() {
        var state = GatekeeperState(capacity: 10, workflowCap: nil)
        let a = lessee("a")
        state.register(a, workflow: "a")
        let asked = state.request(a, .init(woken: 0, fresh: 1))
        #expect(asked)
        #expect(state.cycle() == [a])
        let started = state.tryStart(a)
        #expect(started)
        let askedAgain = state.request(a, .init(woken: 0, fresh: 1))
        #expect(askedAgain, "the first request was met by the start")
        #expect(state.cycle() == [a])
        let second = state.tryStart(a)
        #expect(second)
        #expect(state.check() == nil)
    }

    @Test func aShrinkingShareIsGivenBackAsInstancesStop() {
        var state = GatekeeperState(capacity: 4, workflowCap: nil)
        let (a, b) = twoWorkflows(&state)
        _ = state.request(a, .init(woken: 0, fresh: 4))
        _ = state.cycle()
        for _ in 0..<4 {
            let started = state.tryStart(a)
            #expect(started)
        }
        _ = state.request(a, .init(woken: 0, fresh: 10))
        _ = state.request(b, .init(woken: 0, fresh: 10))
        let grantedWhileFull = state.cycle()
        #expect(grantedWhileFull.isEmpty, "no slot is free: running instances are never preempted")
        #expect(state.lessees[a]!.owed == 2)
        state.finished(a)
        state.finished(a)
        let startedWhileOwing = state.tryStart(a)
        #expect(!startedWhileOwing, "a lessee that owes slots starts nothing new")
        let grantedAfterReturn = state.cycle()
        #expect(grantedAfterReturn == [b])
        #expect(state.lessees[a]!.leased == 2 && state.lessees[b]!.leased == 2)
        #expect(state.check() == nil)
    }

    @Test func perWorkflowCapLimitsAWorkflowAcrossItsShards() {
        var state = GatekeeperState(capacity: 100, workflowCap: 10)
        let shards = (0..<3).map { lessee("a", $0) }
        let other = lessee("b")
        for id in shards { state.register(id, workflow: "a") }
        state.register(other, workflow: "b")
        for id in shards { _ = state.request(id, .init(woken: 0, fresh: 100)) }
        _ = state.request(other, .init(woken: 0, fresh: 5))
        _ = state.cycle()
        #expect(shards.map { state.lessees[$0]!.leased }.reduce(0, +) == 10)
        #expect(state.lessees[other]!.leased == 5)
    }

    /// Random sequences of requests, starts, stops and cycles never break the accounting, and
    /// after everything stops the whole capacity can be leased again: no slot is leaked.
    @Test(arguments: 0..<40)
    func slotAccountingHoldsUnderRandomOperations(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        let capacity = Int(random.next() % 12) + 1
        var state = GatekeeperState(capacity: capacity, workflowCap: random.next() % 2 == 0 ? nil : Int(random.next() % 6) + 1)
        let ids = (0..<4).map { lessee($0 < 2 ? "a" : "b", $0) }
        for id in ids { state.register(id, workflow: id.shard.workflow) }
        var running = Dictionary(uniqueKeysWithValues: ids.map { ($0, 0) })
        for step in 0..<400 {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            switch random.next() % 5 {
            case 0: _ = state.request(id, .init(woken: Int(random.next() % 5), fresh: Int(random.next() % 8)))
            case 1:
                if state.tryStart(id) {
                    running[id]! += 1
                    // A start never takes the node past its capacity, lowered or not.
                    #expect(running.values.reduce(0, +) <= state.capacity, "seed \(seed), step \(step): a start past the capacity")
                }
            case 2:
                if running[id]! > 0 {
                    state.finished(id)
                    running[id]! -= 1
                }
            case 3:
                // The node's share of a cluster's slots moves (up to the original capacity).
                if random.next() % 3 == 0 { _ = state.setCapacity(Int(random.next() % UInt64(capacity + 1))) }
            default: _ = state.cycle()
            }
            if let problem = state.check() {
                Issue.record("seed \(seed), step \(step): \(problem)")
                return
            }
            let consistent = ids.allSatisfy { id in state.lessees[id]?.inUse == running[id] }
            #expect(consistent, "seed \(seed), step \(step): the Gatekeeper's count of running instances drifted")
        }
        _ = state.setCapacity(capacity)
        for id in ids {
            while running[id]! > 0 {
                state.finished(id)
                running[id]! -= 1
            }
            _ = state.request(id, .zero)
        }
        // A sibling shard of a workflow whose other shard holds idle slots gets them back.
        _ = state.request(ids[1], .init(woken: 0, fresh: capacity))
        _ = state.cycle()
        _ = state.cycle()
        #expect(
            state.lessees[ids[1]]!.leased == min(capacity, state.workflowCap ?? capacity), "seed \(seed): idle slots of a sibling block it")
        _ = state.request(ids[1], .zero)
        let newcomer = lessee("c")
        state.register(newcomer, workflow: "c")
        _ = state.request(newcomer, .init(woken: 0, fresh: capacity))
        _ = state.cycle()
        _ = state.cycle()
        #expect(state.lessees[newcomer]!.leased == min(capacity, state.workflowCap ?? capacity), "seed \(seed): slots leaked")
        #expect(state.check() == nil)
    }
}

/// A small deterministic generator for the property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
