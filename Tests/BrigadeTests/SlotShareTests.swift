import Brigade
import Testing

/// How an account's concurrency slots are shared among nodes, as the pure decision it is. The
/// random test plays nodes taking turns the way the store serializes them (one decider per
/// account at a time, each seeing every other node's row) and checks the cluster-wide limit.
@Suite struct SlotShareTests {
    typealias Holder = SlotShare.Holder

    @Test func aLoneNodeGetsWhatItRunsAndWaitsFor() {
        let share = SlotShare.decide(node: "a", holders: [Holder(node: "a", held: 0, inUse: 0, woken: 0, fresh: 7)], limit: 10)
        #expect(share == 7)
        #expect(SlotShare.decide(node: "a", holders: [Holder(node: "a", held: 0, inUse: 0, woken: 0, fresh: 70)], limit: 10) == 10)
    }

    @Test func aNodeTakesNothingAnotherHolds() {
        let holders = [Holder(node: "a", held: 10, inUse: 10, woken: 0, fresh: 5), Holder(node: "b", held: 0, inUse: 0, woken: 0, fresh: 10)]
        // b's fair share is 5, but a holds all ten until its instances stop.
        #expect(SlotShare.decide(node: "b", holders: holders, limit: 10) == 0)
        // a gives back down to its share...
        #expect(SlotShare.decide(node: "a", holders: holders, limit: 10) == 5)
        // ...and once its row says 5, b gets 5.
        var after = holders
        after[0].held = 5
        #expect(SlotShare.decide(node: "b", holders: after, limit: 10) == 5)
    }

    @Test func wokenInstancesGoFirstAcrossNodes() {
        let holders = [Holder(node: "a", held: 0, inUse: 0, woken: 0, fresh: 10), Holder(node: "b", held: 0, inUse: 0, woken: 3, fresh: 0)]
        #expect(SlotShare.decide(node: "b", holders: holders, limit: 4) == 3)
        #expect(SlotShare.decide(node: "a", holders: holders, limit: 4) == 1)
    }

    @Test func spareSlotsStayWithTheQuietNodeThatHoldsThem() {
        let holders = [Holder(node: "a", held: 6, inUse: 1, woken: 0, fresh: 0), Holder(node: "b", held: 0, inUse: 0, woken: 0, fresh: 2)]
        #expect(SlotShare.decide(node: "a", holders: holders, limit: 10) == 6)
        #expect(SlotShare.decide(node: "b", holders: holders, limit: 10) == 2)
    }

    /// Random demand on three nodes taking turns: the rows never hold more than the limit, no node
    /// runs more than it holds, and with steady demand the shares settle max-min fair.
    @Test(arguments: 0..<30)
    func theLimitHoldsAndSharesSettleFair(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        let limit = Int(random.next() % 12) + 1
        var rows = ["a", "b", "c"].map { Holder(node: $0, held: 0, inUse: 0, woken: 0, fresh: 0) }
        for step in 0..<300 {
            let index = Int(random.next() % 3)
            var row = rows[index]
            // The node's instances start and stop within what it holds; demand comes and goes.
            row.inUse = min(row.held, max(0, row.inUse + Int(random.next() % 3) - 1))
            row.fresh = Int(random.next() % 6)
            row.woken = random.next() % 4 == 0 ? Int(random.next() % 3) : 0
            rows[index] = row
            let share = SlotShare.decide(node: row.node, holders: rows, limit: limit)
            // The store records the larger of the share and what still runs.
            rows[index].held = max(share, row.inUse)
            let total = rows.reduce(0) { $0 + $1.held }
            #expect(total <= limit, "seed \(seed), step \(step): \(total) held of \(limit)")
        }
        // Steady demand larger than the limit everywhere: after a few turns each, max-min fair.
        for index in rows.indices {
            rows[index].fresh = limit
            rows[index].woken = 0
        }
        for _ in 0..<6 {
            for index in rows.indices {
                // Instances stop as they finish: what runs falls to what is held after the turn.
                rows[index].inUse = 0
                rows[index].held = max(SlotShare.decide(node: rows[index].node, holders: rows, limit: limit), 0)
            }
        }
        let helds = rows.map(\.held).sorted()
        #expect(helds.reduce(0, +) == limit, "seed \(seed): \(helds) of \(limit)")
        #expect(helds.last! - helds.first! <= 1, "seed \(seed): not fair: \(helds)")
    }
}
