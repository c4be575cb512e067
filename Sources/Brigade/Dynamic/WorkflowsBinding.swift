import Foundation

/// A tenant's binding to its own workflow: what its code sees as `env.WORKFLOWS` (Cloudflare's
/// Workflow binding, as the seed's `wrapWorkflowBinding` hands it to a tenant).
///
/// The tenant and the workflow are fixed when the binding is made, from the credential or the
/// instance that runs the code: no argument of a call can name another tenant. Every call goes
/// through the runtime's rules and limits, as the REST API's do, and instances it creates have
/// `trigger.source` `binding`.
public struct WorkflowsBinding: Sendable {
    public let tenant: String
    public let workflow: String
    let perform: @Sendable (_ operation: Operation, _ arguments: JSONValue) async throws -> JSONValue

    /// The calls of Cloudflare's binding and of its instance handle.
    public enum Operation: String, Sendable, CaseIterable {
        /// `{id?, params?}` → `{id}`
        case create
        /// `[{id?, params?}, …]` → `[{id}, …]` (ids that exist are skipped)
        case createBatch
        /// `{id}` → `{id}`, or `instance.not_found`
        case get
        /// `{id}` → `{status, error, output, metadata}`
        case status
        /// `{id}` → `null`
        case pause, resume, terminate, restart
        /// `{id, type, payload}` → `null`
        case sendEvent
    }

    init(tenant: String, workflow: String, perform: @escaping @Sendable (Operation, JSONValue) async throws -> JSONValue) {
        self.tenant = tenant
        self.workflow = workflow
        self.perform = perform
    }

    /// Performs `operation` with `arguments` (JSON as the binding's JavaScript passes them).
    public func call(_ operation: Operation, _ arguments: JSONValue) async throws -> JSONValue {
        try await perform(operation, arguments)
    }
}
