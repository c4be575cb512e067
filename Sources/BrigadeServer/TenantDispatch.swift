import Brigade

/// How `brigade serve` serves the `fetch` handlers of tenants' modules
/// (`export default { fetch(request, env, ctx) }`) at `/dispatch/{account_id}/{workflow_name}/…`.
///
/// The routes are public, as a Worker's are: the tenant's own clients call them. An operator who
/// wants them closed sets a ``token``, which every request must carry in `x-brigade-dispatch-token`.
public struct TenantDispatch: Sendable {
    /// Loads the code version each workflow runs now.
    public var loader: TenantCodeLoader
    /// When set, required in the `x-brigade-dispatch-token` header of every dispatch request.
    public var token: String?

    public init(loader: TenantCodeLoader, token: String? = nil) {
        self.loader = loader
        self.token = token
    }
}
