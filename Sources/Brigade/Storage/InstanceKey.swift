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
