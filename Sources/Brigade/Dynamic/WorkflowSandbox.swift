/// An engine that runs tenant code in isolation (JavaScriptCore in `BrigadeJS`; the protocol
/// lets a second engine be added without touching the dispatcher or the loader).
public protocol WorkflowSandbox: Sendable {
    /// The engine's name, as shown to operators (`javascriptcore`).
    var engineName: String { get }

    /// Compiles `tenant`'s uploaded source into what ``boot(_:)`` runs, and checks it: a syntax
    /// error or a module without a `TenantWorkflow` class throws `code.invalid`, saying where
    /// (line and column) and what is wrong. The check may run the module as the tenant's code
    /// (a sandbox that meters tenants counts it against `tenant`).
    func compile(_ source: String, language: CodeLanguage, tenant: String) async throws -> String

    /// A new isolated runner with `code` loaded. It serves every instance of that version of
    /// the tenant's workflow until the loader evicts it.
    func boot(_ code: TenantCode) async throws -> any WorkflowRunner

    /// What the sandbox has done so far — runners booted, time in tenant code, entries stopped by
    /// a limit — for a server's `GET /metrics`. None by default.
    var metrics: [SandboxMetric] { get }
}

extension WorkflowSandbox {
    public var metrics: [SandboxMetric] { [] }
}
