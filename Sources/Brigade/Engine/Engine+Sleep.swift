import Foundation

extension Engine {
    /// `step.sleep` / `step.sleepUntil`: stores the absolute wake-up time once, keyed by name and
    /// count, then waits for it (in memory or hibernated).
    func runSleep(_ name: String, duration: Duration?, until date: Date?, count: Int? = nil) async throws {
        let now = clock.nowMilliseconds()
        let maxSleep = settings.maxSleep.wholeMilliseconds
        if let duration, duration < .zero || duration.wholeMilliseconds > maxSleep {
            throw fail(
                BrigadeError(
                    .invalidDuration,
                    "Sleep \"\(name)\" lasts \(duration); a sleep must be between 0 and \(settings.maxSleep) (365 days by default).",
                    instanceId: instanceId, stepName: name))
        }
        let entry = try await enterStep(.sleep, name, count: count)
        defer { exitStep() }
        let stepName = "\(name)-\(entry.identity.count)"

        var record: StepRecord
        if let stored = entry.record {
            switch ReplayAnswer(stored, name: name) {
            case .value: return
            case .failed(let error): throw error
            case .resume: record = stored
            }
        } else {
            let deadline: Int64
            if let duration {
                deadline = now + duration.wholeMilliseconds
            } else {
                deadline = date!.millisecondsSince1970
                if deadline - now > maxSleep {
                    throw fail(
                        BrigadeError(
                            .invalidDuration,
                            "sleepUntil \"\(name)\" targets \(date!), more than \(settings.maxSleep) ahead; a sleep lasts at most 365 days.",
                            instanceId: instanceId, stepName: stepName))
                }
            }
            let skipped = settings.stepHooks?.skipsSleep(name, count: entry.identity.count, of: key) == true
            record = StepRecord(
                name: name, count: entry.identity.count, kind: .sleep, position: entry.position,
                status: .waiting, deadline: skipped ? now : deadline, startedAt: now
            )
            // Not awaited: if this is lost in a crash the replay stores a later deadline, which
            // can only make the sleep longer, never fire it early.
            try await commit(
                [record],
                history: [
                    HistoryEntry(
                        .sleepStarted, at: now, step: stepName, data: ["durationMs": .number(Double(max(0, (record.deadline ?? now) - now)))])
                ],
                awaitCommit: false
            )
        }
        if let deadline = record.deadline {
            try await wait(until: deadline)
        }
        let end = clock.nowMilliseconds()
        if let deadline = record.deadline {
            EngineMetrics.record(metrics.wakeLateness, milliseconds: end - deadline)
        }
        record.status = .complete
        record.endedAt = end
        try await commit([record], history: [HistoryEntry(.sleepCompleted, at: end, step: stepName)], awaitCommit: false)
    }
}
