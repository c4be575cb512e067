import Foundation

/// The storage protocol every backend implements (`SQLiteStore`, `PostgresStore`): the
/// instances an engine runs (``InstanceStore``) and the tenants' workflow definitions and code
/// (``DefinitionStore``) and their cron schedules (``ScheduleStore``), and the operator's per-tenant limits (``LimitsStore``). Tenants and their tokens are ``TenantStore``, which the server needs and
/// an embedder does not.
///
/// `StoreContract` (BrigadeTesting) checks a store against everything the engine relies on.
public protocol WorkflowStore: InstanceStore, DefinitionStore, ScheduleStore, LimitsStore {
    /// Creates or upgrades the schema. Migrations are append-only.
    func migrate() async throws
}
