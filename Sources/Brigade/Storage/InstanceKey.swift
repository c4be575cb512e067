/// The public identity of an instance: tenant, workflow and instance id.
public struct InstanceKey: Hashable, Sendable, CustomStringConvertible {
    public var tenant: String
    public var workflow: String
    public var id: String

    public init(tenant: String, workflow: String, id: String) {
        self.tenant = tenant
        self.workflow = workflow
        self.id = id
    }

    public var description: String { "\(tenant)/\(workflow)/\(id)" }
}

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
