import Foundation

/// The changes made to an instance from outside its engine, and the rules that decide them.
///
/// A store reads the row (under its write lock), asks ``decide(_:steps:now:)`` what to do and
/// applies the ``InstanceChange`` it answers; it holds no rule of its own. Each change that
/// takes the instance from its engine bumps the epoch, fencing out an engine still running it.
@_spi(Stores) public enum InstanceTransition: Sendable, Hashable {
    /// Pause a `running`, `rollingBack`, `waiting` or `waitingForPause` instance; others are
    /// left alone.
    case pause
    /// Resume a `paused` (or `waitingForPause`) instance; others are left alone.
    case resume
    /// Terminate a non-terminal instance; it expires after its own error retention, or
    /// `defaultRetention` if it has none.
    case terminate(defaultRetention: Duration)
    /// Terminate a non-terminal instance after its rollbacks: it becomes `rollingBack`, due now,
    /// and the engine that claims it next runs the rollbacks its finished steps registered and
    /// ends it `terminated` (contract §2.3, `terminate({ rollback: true })`).
    case terminateWithRollback
    /// Start over, from any status: with every step dropped, or only the step `from` and those
    /// recorded after it.
    case restart(from: StepSelector?)

    /// Whether deciding needs the instance's steps (a restart from a step finds its position).
    public var needsSteps: Bool {
        if case .restart(let from) = self { return from != nil }
        return false
    }

    /// The change to apply to `row`, or nil to leave it as it is.
    ///
    /// - Parameter steps: the instance's steps when ``needsSteps``, else ignored.
    /// - Throws: `instance.cannot_terminate` for a finished instance, `instance.cannot_restart`
    ///   when the step to restart from is not in its history.
    public func decide(_ row: InstanceRow, steps: [StepRecord], now: Int64) throws -> InstanceChange? {
        var next = row
        next.modifiedAt = now
        next.epoch = row.epoch + 1
        switch self {
        case .pause:
            guard [.running, .rollingBack, .waiting, .waitingForPause].contains(row.status) else { return nil }
            next.status = .paused
            next.pausedAt = now
            next.dueAt = nil
            return InstanceChange(row: next, decidedAtEpoch: row.epoch, history: [HistoryEntry(.workflowPaused, at: now)])

        case .resume:
            guard row.status == .paused || row.status == .waitingForPause else { return nil }
            next.status = .queued
            next.pausedAt = nil
            next.dueAt = now
            // A pause for a non-deterministic replay kept its error: resumed, the instance runs on.
            next.error = nil
            var shift: InstanceChange.Steps = .keep
            if let pausedAt = row.pausedAt, now > pausedAt { shift = .shiftDeadlines(by: now - pausedAt) }
            return InstanceChange(
                row: next, decidedAtEpoch: row.epoch, steps: shift,
                history: [HistoryEntry(.workflowQueued, at: now, data: ["resumed": .bool(true)])])

        case .terminate(let defaultRetention):
            try Self.checkTerminable(row)
            next.status = .terminated
            next.endedAt = now
            next.dueAt = nil
            next.expiresAt = Self.adding(now, (row.retention?.error ?? defaultRetention).wholeMilliseconds)
            return InstanceChange(
                row: next, decidedAtEpoch: row.epoch,
                history: [HistoryEntry(.workflowTerminated, at: now, data: ["trigger": .object(["source": .string("api")])])])

        case .terminateWithRollback:
            try Self.checkTerminable(row)
            // Asked before: the rollbacks are under way already.
            guard !row.terminating else { return nil }
            next.status = .rollingBack
            next.terminating = true
            next.pausedAt = nil
            next.dueAt = now
            return InstanceChange(row: next, decidedAtEpoch: row.epoch)

        case .restart(let from):
            var data: [String: JSONValue] = ["restarted": .bool(true)]
            let dropped: InstanceChange.Steps
            if let from {
                guard let step = steps.first(where: { $0.name == from.name && $0.count == from.count && $0.kind == from.kind }) else {
                    throw BrigadeError(
                        .cannotRestart,
                        "Step \"\(from.name)-\(from.count)\" of type \(from.kind.rawValue) not found in execution history of instance \"\(row.key.id)\".",
                        instanceId: row.key.id, stepName: "\(from.name)-\(from.count)"
                    )
                }
                // Steps recorded before the target keep their results; it and later ones re-run.
                dropped = .drop(fromPosition: step.position)
                data["from"] = .object([
                    "name": .string(from.name), "count": .number(Double(from.count)), "type": .string(from.kind.rawValue),
                ])
            } else {
                dropped = .dropAll
            }
            next.status = .queued
            next.dueAt = now
            next.output = nil
            next.error = nil
            next.endedAt = nil
            next.pausedAt = nil
            next.expiresAt = nil
            next.terminating = false
            return InstanceChange(
                row: next, decidedAtEpoch: row.epoch, steps: dropped, history: [HistoryEntry(.workflowQueued, at: now, data: data)])
        }
    }

    /// Refuses to terminate a finished instance.
    private static func checkTerminable(_ row: InstanceRow) throws {
        guard row.status.isTerminal else { return }
        throw BrigadeError(
            .cannotTerminate,
            "Cannot terminate instance \"\(row.key.id)\": it is already \(row.status.rawValue). Only queued, running, paused or waiting instances can be terminated.",
            instanceId: row.key.id
        )
    }

    /// What an engine's claim of `row` does: run it (the change makes it `running` under a new
    /// epoch), or not, with the change to make first if any.
    public enum Claim: Sendable, Hashable {
        /// Run it: apply `change`, then replay from the steps and events read after it.
        case run(InstanceChange)
        /// Do not run it; apply `change` first when there is one.
        case notRunnable(InstanceStatus, InstanceChange?)
    }

    /// Decides an engine's claim of `row`.
    public static func claim(_ row: InstanceRow, now: Int64) -> Claim {
        var next = row
        next.modifiedAt = now
        next.epoch = row.epoch + 1
        switch row.status {
        case .complete, .errored, .terminated, .paused:
            return .notRunnable(row.status, nil)
        case .waitingForPause:
            // The process died while a pause was pending: nothing runs any more, so the pause
            // has taken effect.
            next.status = .paused
            next.pausedAt = now
            next.dueAt = nil
            return .notRunnable(.paused, InstanceChange(row: next, decidedAtEpoch: row.epoch, history: [HistoryEntry(.workflowPaused, at: now)]))
        case .queued, .running, .waiting, .rollingBack:
            // A chain of rollbacks under way stays `rollingBack`: the replay fails again and
            // the engine goes on with it.
            next.status = row.status == .rollingBack ? .rollingBack : .running
            next.startedAt = row.startedAt ?? now
            // Due now: if this engine dies, the sweep finds the instance again.
            next.dueAt = now
            var history: [HistoryEntry] = []
            if row.startedAt == nil { history.append(HistoryEntry(.workflowStarted, at: now)) }
            history.append(HistoryEntry(.workflowRunning, at: now))
            return .run(InstanceChange(row: next, decidedAtEpoch: row.epoch, history: history))
        }
    }

    /// Decides the delivery of an event to `row`: refused once it has finished; a hibernating
    /// (`waiting`) instance becomes due now to look at it. The epoch is not bumped: an engine
    /// running the instance keeps it and finds the event in the store.
    /// - Returns: the change to apply with the event, or nil when only the event is stored.
    public static func deliverEvent(to row: InstanceRow, now: Int64) throws -> InstanceChange? {
        if row.status.isTerminal {
            throw BrigadeError(
                .instanceFinished,
                "Cannot send an event to instance \"\(row.key.id)\": it is \(row.status.rawValue). Events are accepted until an instance finishes.",
                instanceId: row.key.id
            )
        }
        guard row.status == .waiting else { return nil }
        var next = row
        next.dueAt = now
        next.modifiedAt = now
        return InstanceChange(row: next, decidedAtEpoch: row.epoch)
    }

    /// Refuses a creation that could push a workflow past `maxQueued` queued instances.
    /// - Throws: `workflow.queue_full`.
    public static func checkQueueRoom(workflow: String, queued: Int, adding: Int, maxQueued: Int) throws {
        if queued + adding > maxQueued {
            throw BrigadeError(
                .queueFull,
                "Workflow \"\(workflow)\" already has \(queued) queued instances; the limit is \(maxQueued). Retry later, or raise maxQueuedPerWorkflow."
            )
        }
    }

    private static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : sum
    }
}
