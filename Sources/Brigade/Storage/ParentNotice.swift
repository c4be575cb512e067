import Foundation

/// A child workflow's outcome, delivered to its parent as an event in the same transaction that
/// ends the child: once the child's end is committed, so is its parent's wake-up, crash or not.
@_spi(Stores) public struct ParentNotice: Sendable, Hashable {
    /// The parent instance (the child's tenant).
    public var parent: InstanceKey
    /// The event type the parent's step waits for.
    public var type: String
    /// `{status, output, error, workflow, id}` as JSON.
    public var payload: Data

    public init(parent: InstanceKey, type: String, payload: Data) {
        self.parent = parent
        self.type = type
        self.payload = payload
    }

    /// The notice of `row`, an instance that has just ended; nil when it has no parent or has
    /// not ended.
    public init?(finished row: InstanceRow) {
        guard let link = row.trigger.parent, row.status.isTerminal else { return nil }
        self.init(link: link, child: row.key, status: row.status, output: row.output, error: row.error)
    }

    /// The notice of the child `child`, ended with `status`.
    public init(link: ParentLink, child: InstanceKey, status: InstanceStatus, output: Data?, error: ErrorInfo?) {
        var outcome: [String: JSONValue] = [
            "status": .string(status.rawValue), "workflow": .string(child.workflow), "id": .string(child.id),
        ]
        if let output, let value = try? JSONCoding.decode(JSONValue.self, from: output) { outcome["output"] = value }
        if let error { outcome["error"] = error.json }
        self.init(
            parent: InstanceKey(tenant: child.tenant, workflow: link.workflow, id: link.id),
            type: ChildWorkflow.eventType(childId: child.id), payload: JSONValue.object(outcome).jsonData())
    }
}
