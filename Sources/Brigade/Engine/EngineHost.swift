import Foundation

/// What an engine asks of the runtime that runs it, beyond its store: starting a child workflow
/// (creation goes through the runtime's rules and limits) and waking a parent once a child's
/// outcome is committed. The closures hold the runtime weakly: engines and SousChefs never keep
/// it alive.
struct EngineHost: Sendable {
    /// Creates the child instance `id` of `workflow` (skipped when it exists; then, if it has
    /// ended, its outcome is sent to the parent again, for a parent restarted since).
    var spawnChild: @Sendable (_ link: ParentLink, _ key: InstanceKey, _ params: Data) async throws -> Void
    /// A committed notice: wakes the parent where it runs.
    var parentNotified: @Sendable (_ notice: ParentNotice) async -> Void
    /// The instance's `env.WORKFLOWS` (calls from steps: a create with an id is idempotent).
    var binding: @Sendable (_ key: InstanceKey) -> WorkflowsBinding

    /// For engines made without a runtime (tests of the engine alone): no child can start.
    static let none = EngineHost(
        spawnChild: { _, key, _ in
            throw BrigadeError(
                .workflowNotRegistered, "No runtime runs this engine, so it cannot start child workflow \"\(key.workflow)\".")
        },
        parentNotified: { _ in },
        binding: { key in
            WorkflowsBinding(tenant: key.tenant, workflow: key.workflow) { _, _ in
                throw BrigadeError(.workflowNotRegistered, "No runtime runs this engine, so env.WORKFLOWS reaches nothing.")
            }
        })
}
