import Foundation

/// The binding of one workflow: creates instances and gets handles to them.
public struct WorkflowClient<W: Workflow>: Sendable {
    let runtime: BrigadeRuntime
    /// The tenant whose instances this client creates and reads.
    public let tenant: String

    /// Creates an instance. `id` follows `^[a-zA-Z0-9_][a-zA-Z0-9-_]*$` (≤ 100 characters) and
    /// defaults to a random UUID; an id already taken within retention throws
    /// `instance.already_exists`.
    public func create(id: String? = nil, params: W.Params, retention: Retention? = nil) async throws -> WorkflowInstance<W> {
        let created = try await runtime.createInstance(
            tenant: tenant, workflow: W.name, id: id, params: try JSONCoding.encode(params), retention: retention
        )
        return WorkflowInstance(runtime: runtime, key: key(created))
    }

    /// Creates 1–100 instances. Ids that already exist are skipped and omitted from the result.
    public func createBatch(_ items: [CreateOptions<W.Params>]) async throws -> [WorkflowInstance<W>] {
        let requests = try items.map { NewInstanceRequest(id: $0.id, params: try JSONCoding.encode($0.params), retention: $0.retention) }
        let created = try await runtime.createInstanceBatch(tenant: tenant, workflow: W.name, requests)
        return created.map { WorkflowInstance(runtime: runtime, key: key($0)) }
    }

    /// A handle to an existing instance; throws `instance.not_found`.
    public func get(_ id: String) async throws -> WorkflowInstance<W> {
        let key = key(id)
        _ = try await runtime.instanceRow(key)
        return WorkflowInstance(runtime: runtime, key: key)
    }

    /// A page of this workflow's instances; see ``BrigadeRuntime/listInstances(tenant:workflow:_:)``.
    public func list(_ query: InstanceQuery = InstanceQuery()) async throws -> InstancePage {
        try await runtime.listInstances(tenant: tenant, workflow: W.name, query)
    }

    /// How many of this workflow's instances are in each status.
    public func counts() async throws -> [InstanceStatus: Int] {
        try await runtime.instanceCounts(tenant: tenant, workflow: W.name)
    }

    private func key(_ id: String) -> InstanceKey {
        InstanceKey(tenant: tenant, workflow: W.name, id: id)
    }
}
