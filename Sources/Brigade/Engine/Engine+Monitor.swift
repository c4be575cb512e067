import Foundation

extension Engine {
    /// Watches the engine for the moments it must change state: every branch parked long enough
    /// (hibernate), a pending pause with no step body running (pause), a stop request. Returns
    /// once the engine unwinds.
    func monitor() async {
        while !Task.isCancelled {
            await monitorSignal.wait()
            if Task.isCancelled || state.withLock({ $0.stopRequested }) { return }

            let action = state.withLock { $0.nextMonitorAction() }
            switch action {
            case .none:
                continue
            case .drain:
                // Every attempt that was running has committed its outcome; the instance stays
                // `running` in the store and the next start resumes it from there.
                logger.debug("engine drained for shutdown")
                unwindParked()
                return
            case .pause:
                if await pauseNow() { return }
            case .considerNonDeterminism(let activity):
                try? await SleepScheduler.shared.sleep(nanoseconds: SleepScheduler.nanoseconds(roundingUp: settings.nonDeterminismGrace))
                if Task.isCancelled { return }
                if var error = state.withLock({ $0.confirmNonDeterminism(ifStill: activity) }) {
                    error.instanceId = instanceId
                    logger.warning("non-deterministic replay", metadata: ["error": "\(error.message)"])
                    if settings.onNonDeterminism == .pause {
                        if await pauseForNonDeterminism(error) { return }
                    } else {
                        _ = fail(error)
                    }
                } else if state.withLock({ $0.isQuiescent }) {
                    monitorSignal.signal()
                }
            case .considerHibernation(let activity):
                // A branch that just finished a step may be about to start the next one: give it
                // a moment before concluding that everything is parked.
                // On the scheduler, not `Task.sleep`: a cancelled grace (the engine stopped)
                // leaves no dispatch timer behind, and every hibernating instance takes one.
                try? await SleepScheduler.shared.sleep(nanoseconds: SleepScheduler.nanoseconds(roundingUp: settings.hibernationGrace))
                if Task.isCancelled { return }
                if await hibernateIfStill(activity: activity) { return }
            }
        }
    }

    /// Writes `paused` and unwinds. Returns true when the engine unwound.
    private func pauseNow() async -> Bool {
        guard state.withLock({ $0.beginPause() }) else { return false }
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        write.update = InstanceUpdate(status: .paused, dueAt: nil, pausedAt: now)
        write.history = [HistoryEntry(.workflowPaused, at: now)]
        do {
            try await persist(write, awaitCommit: true)
            logger.debug("instance paused")
        } catch {
            markStopping(after: error)
        }
        unwindParked()
        return true
    }

    /// Writes `paused` with `error` on the instance (and as the pause's reason) and unwinds:
    /// ``BrigadeSettings/NonDeterminismPolicy/pause``. Returns true when the engine unwound.
    func pauseForNonDeterminism(_ error: BrigadeError) async -> Bool {
        guard state.withLock({ $0.beginPauseForNonDeterminism() }) else { return false }
        let now = clock.nowMilliseconds()
        let info = ErrorInfo(error)
        var write = newWrite(now: now)
        write.update = InstanceUpdate(status: .paused, dueAt: nil, error: info, pausedAt: now)
        write.history = [
            HistoryEntry(.workflowPaused, at: now, data: ["reason": info.json])
        ]
        do {
            try await persist(write, awaitCommit: true)
        } catch {
            markStopping(after: error)
        }
        unwindParked()
        return true
    }

    /// Hibernates if nothing happened since `activity` and every branch is still parked.
    private func hibernateIfStill(activity: UInt64) async -> Bool {
        let dueAt = state.withLock { $0.beginHibernation(ifStill: activity) }
        guard let dueAt else {
            // Something moved; look again if the engine is still quiescent.
            if state.withLock({ $0.isQuiescent }) { monitorSignal.signal() }
            return false
        }
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        write.update = InstanceUpdate(status: .waiting, dueAt: dueAt)
        write.history = [HistoryEntry(.workflowWaiting, at: now, data: ["until": .number(Double(dueAt))])]
        do {
            try await persist(write, awaitCommit: true)
            logger.debug("instance hibernating", metadata: ["due": "\(dueAt)"])
        } catch {
            markStopping(after: error)
        }
        unwindParked()
        return true
    }

    /// Whether a write that failed with `error` ends this lifetime rather than the workflow:
    /// fenced (another engine owns the instance now), or the store's own failure (the instance
    /// replays from its last commit once the store writes again).
    static func endsLifetime(_ error: any Error) -> Bool {
        error is FencedWriteError || (error as? BrigadeError)?.isStorageFailure == true
    }

    /// Stops this lifetime after a write failed with `error` (see ``endsLifetime(_:)``).
    func markStopping(after error: any Error) {
        let fenced = error is FencedWriteError
        let storageFailed = (error as? BrigadeError)?.isStorageFailure == true
        if fenced { logger.debug("write fenced: \(error)") }
        if storageFailed { logger.warning("a write failed; the instance will run again", metadata: ["error": "\(error)"]) }
        state.withLock { $0.stopAfterFailedWrite(fenced: fenced, storageFailed: storageFailed) }
    }

    /// Releases every parked branch with the unwind error of the current phase.
    func unwindParked() {
        let (tickets, reason) = state.withLock { $0.unwind() }
        for ticket in tickets { ticket.settle(.failure(EngineUnwind(reason: reason))) }
    }
}
