/// Where a SousChef lives: one shard of one workflow of one tenant.
public struct ShardKey: Hashable, Sendable, CustomStringConvertible {
    public var tenant: String
    public var workflow: String
    public var shard: Int

    public init(tenant: String, workflow: String, shard: Int) {
        self.tenant = tenant
        self.workflow = workflow
        self.shard = shard
    }

    public var description: String { "\(tenant)/\(workflow)#\(shard)" }
}
