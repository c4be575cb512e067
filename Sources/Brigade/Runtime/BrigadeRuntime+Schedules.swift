import Foundation
import Logging

/// Cron schedules: each firing creates one instance of its workflow, with `event.schedule` and
/// `trigger.source` `cron`.
///
/// Exactly once, across restarts and nodes: a firing's instance has an id made of the
/// schedule and the firing's time (``cronInstanceId(cron:scheduledTime:)``), created with
/// "skip if it exists", and the schedule's next time is moved on with a compare-and-set
/// afterwards. A node that dies between the two leaves the schedule due at the same firing; the
/// next node to look creates nothing new (the id is taken) and moves it on.
///
/// Catch-up: firings missed while no node ran are fired once, on return, as the latest of them
/// (its `scheduledTime` is that firing's, not the time of the return); the earlier ones are
/// skipped. A firing the account's limits refuse (rate, queue) is tried again at the next look.
extension BrigadeRuntime {
    /// A workflow's cron schedules, by cron, with their next firing.
    public func schedules(tenant: String = BrigadeRuntime.defaultTenant, workflow: String) async throws -> [WorkflowSchedule] {
        try await ready()
        return try await store.schedules(tenant: tenant, workflow: workflow)
    }

    /// Makes `crons` the workflow's whole set of cron schedules (an empty array removes them).
    /// Each is parsed (``CronExpression``) before anything changes; a cron already scheduled
    /// keeps its next firing. Throws `workflow.invalid_schedule` for a cron that does not parse
    /// or when the account would hold more than ``BrigadeSettings/maxSchedulesPerAccount``.
    @discardableResult
    public func replaceSchedules(tenant: String = BrigadeRuntime.defaultTenant, workflow: String, _ crons: [String]) async throws
        -> [WorkflowSchedule]
    {
        _ = try await definition(tenant: tenant, named: workflow)
        return try await storeSchedules(tenant: tenant, workflow: workflow, try Self.parseSchedules(crons))
    }

    /// Parses each cron and drops repeats (the first occurrence stays).
    static func parseSchedules(_ crons: [String]) throws -> [CronExpression] {
        var seen = Set<String>()
        return try crons.compactMap { text in
            let cron = try CronExpression(text)
            return seen.insert(cron.text).inserted ? cron : nil
        }
    }

    @discardableResult
    func storeSchedules(tenant: String, workflow: String, _ crons: [CronExpression]) async throws -> [WorkflowSchedule] {
        if crons.count > settings.maxSchedulesPerAccount {
            throw BrigadeError.scheduleLimit(tenant: tenant, others: 0, asked: crons.count, limit: settings.maxSchedulesPerAccount)
        }
        let now = clock.nowMilliseconds()
        let schedules = crons.map { cron in
            // A parsed cron has a firing within the search horizon (its initializer checked).
            WorkflowSchedule(
                tenant: tenant, workflow: workflow, cron: cron.text, nextAt: cron.nextMilliseconds(after: now) ?? Self.neverMilliseconds,
                createdAt: now)
        }
        let stored = try await store.replaceSchedules(
            tenant: tenant, workflow: workflow, schedules, maxPerTenant: settings.maxSchedulesPerAccount)
        scheduleSignal.signal()
        return stored
    }

    /// The id of the instance a firing creates: the same for the same workflow, cron and time,
    /// on every node. `cron-<FNV-1a of the cron, hex>-<scheduled time in ms>`.
    public static func cronInstanceId(cron: String, scheduledTime: Int64) -> String {
        var hash = FNV1a()
        hash.add(cron)
        return "cron-\(hash.hex)-\(scheduledTime)"
    }

    /// A time no schedule reaches: where one that can no longer fire is parked.
    static let neverMilliseconds = Int64(1) << 60

    /// Fires due schedules, then sleeps until the earliest next firing or a change on this
    /// node; in a cluster, also at most the poll interval (other nodes add schedules too), and
    /// so does a schedule still due because its firing was refused for now.
    func scheduleLoop() async {
        let shared = store is any LeaseStore
        while !Task.isCancelled {
            let now = clock.nowMilliseconds()
            let poll = now + settings.clusterPollInterval.wholeMilliseconds
            var wakeAt: Int64? = shared ? poll : nil
            do {
                try await fireDueSchedules()
                if let earliest = try await store.earliestScheduleTime() {
                    let now = clock.nowMilliseconds()
                    wakeAt = earliest > now ? min(wakeAt ?? earliest, earliest) : poll
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("reading cron schedules failed: \(error)")
                wakeAt = poll
            }
            await scheduleSignal.wait(until: wakeAt.map { Date(millisecondsSince1970: $0) }, clock: clock)
        }
    }

    /// Fires every schedule due now, once each.
    func fireDueSchedules() async throws {
        let now = clock.nowMilliseconds()
        for schedule in try await store.dueSchedules(now: now, limit: 1_000) {
            try Task.checkCancellation()
            await fire(schedule, now: now)
        }
    }

    private func fire(_ schedule: WorkflowSchedule, now: Int64) async {
        let metadata: Logger.Metadata = ["tenant": "\(schedule.tenant)", "workflow": "\(schedule.workflow)", "cron": "\(schedule.cron)"]
        guard let cron = try? CronExpression(schedule.cron) else {
            // Stored before a stricter parser: park it rather than look at it on every poll.
            logger.error("a stored cron schedule no longer parses; it will not fire", metadata: metadata)
            _ = try? await store.advanceSchedule(schedule, to: Self.neverMilliseconds)
            return
        }
        // The latest firing due: missed ones collapse into it.
        let firing = max(schedule.nextAt, cron.previousMilliseconds(atOrBefore: now) ?? schedule.nextAt)
        let trigger = InstanceTrigger(source: .cron, schedule: CronFiring(cron: schedule.cron, scheduledTime: firing))
        let id = Self.cronInstanceId(cron: schedule.cron, scheduledTime: firing)
        do {
            _ = try await createInstances(
                tenant: schedule.tenant, workflow: schedule.workflow, [NewInstanceRequest(id: id, params: Data("{}".utf8))],
                skipExisting: true, trigger: trigger)
        } catch let error as BrigadeError where error.code == .rateLimited || error.code == .queueFull || error.isStorageFailure {
            logger.warning("a cron firing was refused for now; it is tried again", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        } catch {
            // The workflow's class is gone or its definition cannot run: this firing is
            // skipped (said in the log), the next one tried.
            logger.error(
                "a cron firing could not create its instance; it is skipped", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        do {
            _ = try await store.advanceSchedule(schedule, to: cron.nextMilliseconds(after: now) ?? Self.neverMilliseconds)
        } catch {
            logger.error("moving a cron schedule to its next firing failed; it is looked at again", metadata: metadata)
        }
    }
}
