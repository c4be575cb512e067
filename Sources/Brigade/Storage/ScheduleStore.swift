import Foundation

/// The cron schedules of tenants' workflows and the time each next fires.
///
/// A firing is claimed by moving `nextAt` forward with a compare-and-set
/// (`advanceSchedule(_:to:)`), and the instance it creates has an id derived from the
/// schedule and the firing's time: two nodes that both see a schedule due create one instance.
public protocol ScheduleStore: Sendable {
    /// Makes `schedules` the workflow's whole set in one transaction: crons no longer listed are
    /// removed, new ones added with their `nextAt`, and a cron already stored keeps its own
    /// `nextAt` (a redeploy neither skips nor repeats a firing). Throws
    /// `workflow.invalid_schedule` and changes nothing when the tenant would then hold more than
    /// `maxPerTenant` schedules over all its workflows.
    /// - Returns: the workflow's schedules as stored afterwards, by cron.
    @_spi(Stores) func replaceSchedules(tenant: String, workflow: String, _ schedules: [WorkflowSchedule], maxPerTenant: Int) async throws
        -> [WorkflowSchedule]

    /// A workflow's schedules, by cron.
    @_spi(Stores) func schedules(tenant: String, workflow: String) async throws -> [WorkflowSchedule]

    /// Up to `limit` schedules of every tenant due at or before `now`, earliest first.
    @_spi(Stores) func dueSchedules(now: Int64, limit: Int) async throws -> [WorkflowSchedule]

    /// The earliest `nextAt` of all schedules, or nil when there are none.
    @_spi(Stores) func earliestScheduleTime() async throws -> Int64?

    /// Moves a schedule's `nextAt` from `schedule.nextAt` to `next`; false (and nothing changed)
    /// when it no longer holds `schedule.nextAt` (another node fired it) or was removed.
    @_spi(Stores) func advanceSchedule(_ schedule: WorkflowSchedule, to next: Int64) async throws -> Bool
}
