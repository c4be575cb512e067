import Foundation

/// How an account's concurrency slots are shared among the nodes of a cluster: pure, like
/// `GatekeeperState`, which divides a node's share among its SousChefs.
///
/// Each node records, in one row per (account, node), the slots it holds and what it runs and
/// waits to run. A node asks for its share under a lock per account, so the rows it reads are the
/// truth: it takes at most what no other node holds, so the holdings of all nodes never add up to
/// more than the limit, and a node never runs more than it holds. Shares are max-min fair over
/// what each node runs and waits to run, woken instances before new ones (the Gatekeeper's
/// classes, across nodes); spare slots stay with the node that holds them, so a quiet node's next
/// instance starts without asking. A node holding more than its share gives back idle slots at
/// once and running ones as they end, and the others take them at their next turn.
public enum SlotShare {
    /// One node's row.
    public struct Holder: Sendable, Hashable {
        public var node: String
        /// Slots it holds (its Gatekeeper's capacity).
        public var held: Int
        public var inUse: Int
        /// Instances waiting to run: woken (resumed) ones go first.
        public var woken: Int
        public var fresh: Int

        public init(node: String, held: Int, inUse: Int, woken: Int, fresh: Int) {
            self.node = node
            self.held = held
            self.inUse = inUse
            self.woken = woken
            self.fresh = fresh
        }
    }

    /// The slots `node` may hold now.
    /// - Parameters:
    ///   - node: the node asking.
    ///   - holders: the rows of the live nodes, `node`'s own with its current report.
    ///   - limit: the account's concurrency limit.
    public static func decide(node: String, holders: [Holder], limit: Int) -> Int {
        guard let me = holders.firstIndex(where: { $0.node == node }) else { return 0 }
        let first = holders.map(\.woken)
        let second = holders.map { $0.inUse + $0.fresh }
        let firstShare = GatekeeperState.waterfill(first, capacity: limit)
        let secondShare = GatekeeperState.waterfill(second, capacity: limit - firstShare.reduce(0, +))
        var targets = zip(firstShare, secondShare).map(+)
        // Spare slots stay where they are, up to what each node holds.
        var spare = limit - targets.reduce(0, +)
        for index in holders.indices where spare > 0 {
            let keep = min(max(0, holders[index].held - targets[index]), spare)
            targets[index] += keep
            spare -= keep
        }
        let others = holders.indices.filter { $0 != me }.reduce(0) { $0 + holders[$1].held }
        return max(0, min(targets[me], limit - others))
    }
}
