import Foundation

/// A registered workflow with its types erased: JSON params in, JSON output out.
struct AnyWorkflowRunner: Sendable {
    let name: String
    /// A ``DynamicWorkflow``: its instances must be created with dispatcher metadata.
    let isDispatcher: Bool
    let run: @Sendable (_ params: Data, _ meta: EventMeta, _ step: WorkflowStep) async throws -> Data

    struct EventMeta: Sendable {
        var instanceId: String
        var workflowName: String
        var tenant: String
        var createdAt: Int64
        var trigger: InstanceTrigger
    }

    init<W: Workflow>(_ workflow: W) {
        name = W.name
        isDispatcher = W.self == DynamicWorkflow.self
        run = { params, meta, step in
            let payload: W.Params
            do {
                payload = try JSONCoding.decode(W.Params.self, from: params)
            } catch {
                throw BrigadeError(
                    .notSerializable,
                    "The params of instance \(meta.instanceId) do not decode as \(W.Params.self): \(JSONCoding.describe(error)).",
                    instanceId: meta.instanceId
                )
            }
            let event = WorkflowEvent(
                payload: payload,
                timestamp: Date(millisecondsSince1970: meta.createdAt),
                instanceId: meta.instanceId,
                workflowName: meta.workflowName,
                tenant: meta.tenant,
                trigger: meta.trigger
            )
            let output = try await workflow.run(event, step: step)
            return try JSONCoding.encode(output)
        }
    }
}
