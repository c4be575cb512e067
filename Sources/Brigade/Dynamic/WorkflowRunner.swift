/// Where a ``DynamicWorkflow`` forwards a run: tenant code in a sandbox, or any Swift value.
///
/// `run` is called the same way a ``Workflow``'s is — from the top on every resumption, with the
/// engine's real ``WorkflowStep`` — and with the params the instance was created with, unwrapped
/// from the dispatcher's envelope.
public protocol WorkflowRunner: Sendable {
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue

    /// True once the runner must not be used for new runs (a sandbox stopped its code at a
    /// limit): the loader drops it and boots a fresh one.
    var isRetired: Bool { get }
    /// Serves an HTTP request with the module's `fetch` handler (`export default { fetch }`),
    /// `env.WORKFLOWS` being `binding`. Throws `code.no_fetch_handler` when there is none.
    func fetch(_ request: TenantFetchRequest, binding: WorkflowsBinding) async throws -> TenantFetchResponse
}

extension WorkflowRunner {
    public var isRetired: Bool { false }

    public func fetch(_ request: TenantFetchRequest, binding: WorkflowsBinding) async throws -> TenantFetchResponse {
        throw BrigadeError(.noFetchHandler, "This workflow's code has no fetch handler.")
    }
}
