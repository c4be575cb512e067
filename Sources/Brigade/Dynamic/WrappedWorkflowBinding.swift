import Foundation

/// A binding that tags every instance it creates with dispatcher metadata (Cloudflare's
/// `wrapWorkflowBinding({ tenantId })`): the params are stored as
/// `{ "__dispatcherMetadata": metadata, "params": params }` and a ``DynamicWorkflow`` routes each
/// run with it. Hand it to the tenant's code; the tenant sees an ordinary binding and cannot
/// change the metadata.
public struct WrappedWorkflowBinding: Sendable {
    public let tenant: String
    public let workflow: String
    public let metadata: [String: JSONValue]
    let runtime: BrigadeRuntime

    /// Creates an instance with `params` wrapped in the envelope; returns its id.
    @discardableResult
    public func create(id: String? = nil, params: JSONValue = .null, retention: Retention? = nil) async throws -> String {
        let created = try await runtime.createInstances(
            tenant: tenant, workflow: workflow,
            [NewInstanceRequest(id: id, params: try JSONCoding.encode(params), retention: retention)],
            skipExisting: false, dispatcherMetadata: metadata)
        return created[0]
    }

    /// Creates 1–100 instances, skipping ids that exist; returns the ids created.
    public func createBatch(_ requests: [NewInstanceRequest]) async throws -> [String] {
        guard !requests.isEmpty, requests.count <= runtime.settings.maxBatchSize else {
            throw BrigadeError(
                .invalidBatch, "A batch holds 1–\(runtime.settings.maxBatchSize) instances; this one has \(requests.count). Split it.")
        }
        return try await runtime.createInstances(
            tenant: tenant, workflow: workflow, requests, skipExisting: true, dispatcherMetadata: metadata)
    }

    /// The instance's row (status, output, error); `instance.not_found` for another binding's ids.
    public func instance(_ id: String) async throws -> InstanceRow {
        try await runtime.instanceRow(InstanceKey(tenant: tenant, workflow: workflow, id: id))
    }
}

extension BrigadeRuntime {
    /// A binding to `workflow` (a registered ``DynamicWorkflow``, or a name bound to one) whose
    /// creates carry `metadata` for the dispatcher.
    public func wrapWorkflowBinding(
        tenant: String = BrigadeRuntime.defaultTenant, workflow: String = DynamicWorkflow.name, metadata: [String: JSONValue]
    ) -> WrappedWorkflowBinding {
        WrappedWorkflowBinding(tenant: tenant, workflow: workflow, metadata: metadata, runtime: self)
    }
}
