/// The errors several places raise, each written once: a throw site names what is missing or
/// taken, the factory says it in Brigade's words (as postgres-nio's `PSQLError` factories do).
extension BrigadeError {
    /// No instance `key` (or not one the caller may see: another tenant's ids answer the same).
    public static func instanceNotFound(_ key: InstanceKey) -> BrigadeError {
        BrigadeError(.instanceNotFound, "No instance \"\(key.id)\" in workflow \"\(key.workflow)\".", instanceId: key.id)
    }

    /// A creation whose id is taken until the instance's retention ends.
    public static func instanceAlreadyExists(_ key: InstanceKey) -> BrigadeError {
        BrigadeError(
            .instanceAlreadyExists,
            "Instance already exists: \"\(key.id)\" is taken until its retention ends. Use another id, or restart the existing instance.",
            instanceId: key.id
        )
    }

    /// A tenant whose cron schedules would number more than `limit` over all its workflows.
    public static func scheduleLimit(tenant: String, others: Int, asked: Int, limit: Int) -> BrigadeError {
        BrigadeError(
            .invalidSchedule,
            "This account may hold \(limit) cron schedules over all its workflows; its other workflows hold \(others), so this one can have at most \(max(0, limit - others)), not \(asked). Remove schedules elsewhere, or ask the operator for a higher limit.")
    }

    /// No workflow definition named `name` for the tenant.
    public static func workflowNotFound(_ name: String) -> BrigadeError {
        BrigadeError(.workflowNotRegistered, "No workflow named \"\(name.cut(toUTF8Bytes: 200))\"; GET …/workflows lists them.")
    }

    /// A replay that no longer reaches `expected`, a step an earlier run of the instance
    /// finished: it reached the new step `reached` instead (nil: `run` returned without it).
    static func nonDeterministicReplay(expected: StepRecord, reached: StepIdentity?) -> BrigadeError {
        let recorded = "step.\(expected.kind.rawValue)(\"\(expected.name)\") #\(expected.count)"
        let instead = reached.map { "it reached a new step \"\($0.name)-\($0.count)\" instead" } ?? "run returned without reaching it"
        return BrigadeError(
            .nonDeterminism,
            "Non-deterministic replay: an earlier run of this instance finished \(recorded) (\"\(expected.displayName)\", its \(expected.position + 1)th step), but this run did not reach it: \(instead). The workflow code changed (a step renamed, removed or moved), or it branches on something other than its params and step results. Nothing of the new path ran. Restart the instance, or restore the code it started with.",
            stepName: expected.displayName)
    }

    /// A step called inside a rollback handler (contract §1.12: Cloudflare's words).
    public static func stepDuringRollback(_ name: String) -> BrigadeError {
        BrigadeError(
            .stepDuringRollback,
            "Cannot execute steps during rollback phase: step \"\(name.cut(toUTF8Bytes: 100))\" was called from a rollback handler. Do the compensating work in the handler itself.",
            stepName: name)
    }

    /// No tenant `id`.
    public static func tenantNotFound(_ id: String) -> BrigadeError {
        BrigadeError(.tenantNotFound, "No tenant \"\(id.cut(toUTF8Bytes: 80))\"; `brigade tenants list` shows the ones there are.")
    }

    /// A tenant created with an id that is taken.
    public static func tenantAlreadyExists(_ id: String) -> BrigadeError {
        BrigadeError(.tenantAlreadyExists, "A tenant \"\(id.cut(toUTF8Bytes: 80))\" exists already; pick another id or rotate its token.")
    }
}
