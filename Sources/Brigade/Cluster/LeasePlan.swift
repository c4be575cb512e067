import Foundation

/// Which lease slots a node takes and gives up, decided from one ``ClusterView``: pure, so that
/// the spreading rule is tested without a database or a second process.
///
/// Every live node aims at an even share of the slots (`slots / live` and one more for the first
/// `slots % live` nodes in id order). A node below its share takes free slots (never leased,
/// expired, or held by a node whose heartbeat has expired); a node above it gives up the excess,
/// but only as many as the nodes below their share can take, so that no slot is left without a
/// runner for longer than a heartbeat. Free slots that no node below its share will take (their
/// node is about to be declared dead) are taken by whoever sees them, so a slot is never
/// orphaned. Each node ranks slots by a hash of (node, slot) — rendezvous hashing — so nodes
/// reaching for free slots at the same moment mostly reach for different ones, and a slot tends
/// to return to the same node.
public struct LeasePlan: Sendable, Hashable {
    public var acquire: [Int]
    public var release: [Int]

    public init(acquire: [Int], release: [Int]) {
        self.acquire = acquire
        self.release = release
    }

    /// - Parameters:
    ///   - node: the deciding node; counted as live whatever the view says.
    ///   - view: the cluster as read on the database clock.
    ///   - slots: how many lease slots there are (`0..<slots`).
    public static func decide(node: String, view: ClusterView, slots: Int) -> LeasePlan {
        var live = Set(view.nodes.filter(\.live).map(\.id))
        live.insert(node)
        let order = live.sorted()
        let share = Dictionary(
            uniqueKeysWithValues: order.enumerated().map { index, id in
                (id, slots / order.count + (index < slots % order.count ? 1 : 0))
            })
        var held: [String: [Int]] = [:]
        var taken = Set<Int>()
        for lease in view.leases where lease.slot >= 0 && lease.slot < slots && !lease.expired && live.contains(lease.node) {
            held[lease.node, default: []].append(lease.slot)
            taken.insert(lease.slot)
        }
        let free = (0..<slots).filter { !taken.contains($0) }
        let mine = held[node] ?? []
        let myShare = share[node] ?? 0

        // What the other nodes below their share will take of the free slots.
        let othersWant = order.filter { $0 != node }.reduce(0) { $0 + max(0, share[$1]! - (held[$1]?.count ?? 0)) }
        if mine.count < myShare || free.count > othersWant {
            let want = max(myShare - mine.count, free.count - othersWant)
            let ranked = free.sorted { rank(node, $0) > rank(node, $1) }
            return LeasePlan(acquire: Array(ranked.prefix(want)), release: [])
        }
        if mine.count > myShare {
            // Only what the nodes below their share can take beyond the free slots.
            let room = max(0, othersWant - free.count)
            let excess = min(mine.count - myShare, room)
            let ranked = mine.sorted { rank(node, $0) < rank(node, $1) }
            return LeasePlan(acquire: [], release: Array(ranked.prefix(excess)))
        }
        return LeasePlan(acquire: [], release: [])
    }

    /// The rendezvous score of `slot` for `node` (FNV-1a, then a final mix).
    static func rank(_ node: String, _ slot: Int) -> UInt64 {
        var fnv = FNV1a()
        fnv.add(node)
        var hash = fnv.value
        hash ^= UInt64(truncatingIfNeeded: slot) &* 0x9e37_79b9_7f4a_7c15
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }
}
