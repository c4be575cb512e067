import Foundation

/// Tenants' workflow definitions (`PUT …/workflows/{name}`) and the versions of their code.
public protocol DefinitionStore: Sendable {
    /// Creates or replaces a tenant's workflow definition, keeping the first `createdAt`.
    /// Returns what is stored.
    func putWorkflowDefinition(_ definition: WorkflowDefinition) async throws -> WorkflowDefinition

    /// Every tenant's workflow definitions (the runtime keeps them in memory).
    func workflowDefinitions() async throws -> [WorkflowDefinition]

    /// Removes a definition, and the code and schedules stored under it; false if there was none.
    func deleteWorkflowDefinition(tenant: String, name: String) async throws -> Bool

    /// Stores a new version of a tenant's code and points the definition at it, in one
    /// transaction: the version is one more than the highest stored for (tenant, workflow).
    /// `code.version` is ignored; the stored code and definition are returned.
    func deployCode(_ code: TenantCode, definition: WorkflowDefinition) async throws -> (TenantCode, WorkflowDefinition)

    /// One stored version of a tenant's code, or nil.
    func tenantCode(tenant: String, workflow: String, version: Int) async throws -> TenantCode?

    /// The stored versions of a tenant's workflow code, newest first.
    func tenantCodeVersions(tenant: String, workflow: String) async throws -> [TenantCodeVersion]
}
