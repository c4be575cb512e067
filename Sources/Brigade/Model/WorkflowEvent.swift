import Foundation

/// The first argument of ``Workflow/run(_:step:)``: the instance's parameters and identity.
///
/// The event is the same on every replay: `timestamp` is the instance's creation time, not the
/// time of the current replay.
public struct WorkflowEvent<Payload: Sendable>: Sendable {
    /// The `params` the instance was created with.
    public let payload: Payload
    /// When the instance was created.
    public let timestamp: Date
    /// The instance id.
    public let instanceId: String
    /// The workflow's name.
    public let workflowName: String
    /// The tenant (account) that owns the instance: the one whose credential created it.
    public let tenant: String
    /// What created the instance; for a cron schedule's firing, which one.
    public let trigger: InstanceTrigger

    /// The firing of a cron schedule that created this instance (Cloudflare's `event.schedule`),
    /// nil for every other instance.
    public var schedule: CronFiring? { trigger.schedule }

    public init(
        payload: Payload, timestamp: Date, instanceId: String, workflowName: String,
        tenant: String = BrigadeRuntime.defaultTenant, trigger: InstanceTrigger = .api
    ) {
        self.trigger = trigger
        self.payload = payload
        self.timestamp = timestamp
        self.instanceId = instanceId
        self.workflowName = workflowName
        self.tenant = tenant
    }
}
