/// Identifies a lessee (a SousChef) to its Gatekeeper.
struct LesseeID: Hashable, Sendable, CustomStringConvertible {
    var shard: ShardKey
    var description: String { shard.description }
}
