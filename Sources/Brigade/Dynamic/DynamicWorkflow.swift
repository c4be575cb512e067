import Foundation

/// A workflow that runs somebody else's code: every instance is dispatched, on every run, to
/// the runner its `loadRunner` returns for it (Cloudflare's `createDynamicWorkflowEntrypoint`).
///
/// Register one, bind tenants' workflow names to it, and create instances through a wrapped
/// binding (``BrigadeRuntime/wrapWorkflowBinding(tenant:workflow:metadata:)``) so that their
/// params carry the envelope that routes them. The runner gets the engine's real ``WorkflowStep``:
/// replay, retries, sleeps, events and hibernation behave exactly as for a Swift workflow.
///
/// ```swift
/// try runtime.register(DynamicWorkflow { request in
///     try await loader.runner(tenant: request.tenant, workflow: request.workflow, version: …)
/// })
/// ```
public struct DynamicWorkflow: Workflow {
    public typealias Params = JSONValue
    public typealias Output = JSONValue

    /// The registered class name (Cloudflare's `class_name`).
    public static var name: String { "DynamicWorkflow" }

    private let loadRunner: @Sendable (DispatchRequest) async throws -> any WorkflowRunner

    public init(loadRunner: @escaping @Sendable (DispatchRequest) async throws -> any WorkflowRunner) {
        self.loadRunner = loadRunner
    }

    public func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        guard let (metadata, params) = DispatcherEnvelope.unwrap(event.payload) else {
            throw BrigadeError(
                .notDispatched,
                "Instance \(event.instanceId) of \"\(event.workflowName)\" has no \"\(DispatcherEnvelope.metadataKey)\" in its params, so there is no code to route it to. Create instances of a dynamic workflow through its wrapped binding (or the tenant's API).",
                instanceId: event.instanceId)
        }
        let runner = try await loadRunner(
            DispatchRequest(tenant: event.tenant, workflow: event.workflowName, instanceId: event.instanceId, metadata: metadata))
        let unwrapped = WorkflowEvent(
            payload: params, timestamp: event.timestamp, instanceId: event.instanceId, workflowName: event.workflowName,
            tenant: event.tenant, trigger: event.trigger)
        return try await runner.run(unwrapped, step: step)
    }
}

extension BrigadeError.Code {
    /// A dynamic workflow's instance without the dispatcher's envelope.
    public static let notDispatched = Self(rawValue: "workflow.not_dispatched")
}
