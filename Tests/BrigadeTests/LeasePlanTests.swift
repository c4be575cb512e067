@_spi(Stores) import Brigade
import Testing

/// How lease slots spread over nodes, tested as the pure decision it is: views are built by hand,
/// and a small table applies the plans the way the lease store's rules say (a slot is taken only
/// while free), so that rounds of heartbeats can be played without a database.
@Suite struct LeasePlanTests {
    static let slots = 64

    /// The lease table of a simulated cluster: who holds each slot, at which epoch.
    struct Table {
        var holder: [Int: (node: String, epoch: Int64)] = [:]
        var live: Set<String>

        func view() -> ClusterView {
            ClusterView(
                nodes: live.sorted().map { ClusterView.Node(id: $0, startedAt: 0, heartbeatAt: 0, live: true) },
                leases: holder.sorted { $0.key < $1.key }.map {
                    ClusterView.Lease(slot: $0.key, node: $0.value.node, epoch: $0.value.epoch, expiresAt: 1, expired: !live.contains($0.value.node))
                }, now: 0)
        }

        /// One heartbeat of `node`: release, then acquire what is free (the store's rule).
        mutating func heartbeat(_ node: String) {
            let plan = LeasePlan.decide(node: node, view: view(), slots: LeasePlanTests.slots)
            for slot in plan.release where holder[slot]?.node == node { holder[slot] = (node: "", epoch: holder[slot]!.epoch) }
            for slot in plan.acquire {
                let current = holder[slot]
                let free = current == nil || current!.node == "" || !live.contains(current!.node) || current!.node == node
                if free { holder[slot] = (node, current.map { $0.node == node ? $0.epoch : $0.epoch + 1 } ?? 1) }
            }
        }

        func counts() -> [String: Int] {
            Dictionary(grouping: holder.values.filter { live.contains($0.node) }, by: \.node).mapValues(\.count)
        }
    }

    @Test func aLoneNodeTakesEverySlot() {
        let plan = LeasePlan.decide(node: "a", view: ClusterView(nodes: [], leases: [], now: 0), slots: Self.slots)
        #expect(plan.acquire.sorted() == Array(0..<Self.slots))
        #expect(plan.release.isEmpty)
    }

    @Test func aJoiningNodeGetsAnEvenShareWithoutASlotHeldTwice() {
        var table = Table(live: ["a"])
        table.heartbeat("a")
        #expect(table.counts() == ["a": 64])
        table.live.insert("b")
        // The newcomer finds nothing free; the old node gives up only what the newcomer can take.
        let first = LeasePlan.decide(node: "b", view: table.view(), slots: Self.slots)
        #expect(first.acquire.isEmpty)
        for _ in 0..<3 {
            table.heartbeat("a")
            table.heartbeat("b")
        }
        #expect(table.counts() == ["a": 32, "b": 32])
        // Settled: another round changes nothing.
        #expect(LeasePlan.decide(node: "a", view: table.view(), slots: Self.slots) == LeasePlan(acquire: [], release: []))
        #expect(LeasePlan.decide(node: "b", view: table.view(), slots: Self.slots) == LeasePlan(acquire: [], release: []))
    }

    @Test func sharesAreEvenToOneSlotInIdOrder() {
        var table = Table(live: ["a", "b", "c"])
        for _ in 0..<4 {
            for node in ["c", "b", "a"] { table.heartbeat(node) }
        }
        #expect(table.counts() == ["a": 22, "b": 21, "c": 21])
        #expect(table.holder.count == Self.slots)
    }

    @Test func theSlotsOfADeadNodeMoveToTheLiveOnesWithNewEpochs() {
        var table = Table(live: ["a", "b", "c"])
        for _ in 0..<4 {
            for node in ["a", "b", "c"] { table.heartbeat(node) }
        }
        let lost = table.holder.filter { $0.value.node == "b" }
        table.live.remove("b")
        table.heartbeat("a")
        table.heartbeat("c")
        #expect(table.counts() == ["a": 32, "c": 32])
        for (slot, old) in lost {
            #expect(table.holder[slot]!.epoch == old.epoch + 1, "slot \(slot) changed hands without a new epoch")
        }
    }

    @Test func freeSlotsNoLiveNodeWillTakeAreTakenAnyway() {
        // b is still live but holds nothing and says nothing: its share is reserved for it, but
        // slots beyond every share are not left without a runner.
        let view = ClusterView(
            nodes: [ClusterView.Node(id: "a", startedAt: 0, heartbeatAt: 0, live: true)],
            leases: (0..<10).map { ClusterView.Lease(slot: $0, node: "a", epoch: 1, expiresAt: 1, expired: false) }, now: 0)
        let plan = LeasePlan.decide(node: "a", view: view, slots: Self.slots)
        #expect(plan.acquire.count == Self.slots - 10)
        #expect(Set(plan.acquire).isDisjoint(with: 0..<10))
    }

    @Test func nodesReachingForFreeSlotsRankThemDifferently() {
        let empty = ClusterView(nodes: ["a", "b"].map { ClusterView.Node(id: $0, startedAt: 0, heartbeatAt: 0, live: true) }, leases: [], now: 0)
        let a = LeasePlan.decide(node: "a", view: empty, slots: Self.slots).acquire
        let b = LeasePlan.decide(node: "b", view: empty, slots: Self.slots).acquire
        #expect(a.count == 32 && b.count == 32)
        // Rendezvous ranking: the two halves mostly differ, so the first heartbeats mostly succeed.
        #expect(Set(a).intersection(b).count < 24)
    }

    @Test func aShardMapsToOneSlotWhateverTheNode() {
        let shard = ShardKey(tenant: "t", workflow: "w", shard: 1)
        #expect(shard.leaseSlot(slots: 64) == shard.leaseSlot(slots: 64))
        #expect((0..<64).contains(shard.leaseSlot(slots: 64)))
        // Different shards of one workflow spread over slots.
        let spread = Set((0..<16).map { ShardKey(tenant: "t", workflow: "w", shard: $0).leaseSlot(slots: 64) })
        #expect(spread.count >= 8)
    }
}
