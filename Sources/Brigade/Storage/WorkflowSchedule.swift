import Foundation

/// One cron schedule of a tenant's workflow, with the time of its next firing.
public struct WorkflowSchedule: Sendable, Hashable {
    public var tenant: String
    public var workflow: String
    /// The cron expression as written (see ``CronExpression``).
    public var cron: String
    /// When it next fires, in milliseconds since 1970. A time in the past is a firing that is
    /// due (or was missed while no node ran).
    public var nextAt: Int64
    public var createdAt: Int64

    public init(tenant: String, workflow: String, cron: String, nextAt: Int64, createdAt: Int64) {
        self.tenant = tenant
        self.workflow = workflow
        self.cron = cron
        self.nextAt = nextAt
        self.createdAt = createdAt
    }
}
