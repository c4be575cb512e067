import Foundation

extension Engine {
    /// Watches the engine for the moments it must change state: every branch parked long enough
    /// (hibernate), a pending pause with no step body running (pause), a stop request. Returns
    /// once the engine unwinds.
    func monitor() async {
        while !Task.isCancelled {
            await monitorSignal.wait()
            if Task.isCancelled || stopRequested.load(ordering: .acquiring) { return }

            enum Action {
                case none, pause, drain
                case considerHibernation(UInt64)
            }
            let action = state.withLock { state -> Action in
                guard let current = state else { return .none }
                if current.draining && current.busy == 0 && !current.isUnwinding {
                    state!.phase = .stopping
                    return .drain
                }
                if current.phase == .pausing && current.busy == 0 { return .pause }
                if current.phase == .running && current.busy == 0 && !current.parked.isEmpty && current.fatal == nil {
                    return .considerHibernation(current.activity)
                }
                return .none
            }
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
            case .considerHibernation(let activity):
                // A branch that just finished a step may be about to start the next one: give it
                // a moment before concluding that everything is parked.
                try? await Task.sleep(for: settings.hibernationGrace)
                if Task.isCancelled { return }
                if await hibernateIfStill(activity: activity) { return }
            }
        }
    }

    /// Writes `paused` and unwinds. Returns true when the engine unwound.
    private func pauseNow() async -> Bool {
        let proceed = state.withLock { state -> Bool in
            guard state!.phase == .pausing, state!.busy == 0 else { return false }
            state!.phase = .paused
            return true
        }
        guard proceed else { return false }
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

    /// Hibernates if nothing happened since `activity` and every branch is still parked.
    private func hibernateIfStill(activity: UInt64) async -> Bool {
        let dueAt = state.withLock { state -> Int64? in
            guard let current = state, current.phase == .running, current.busy == 0, current.fatal == nil,
                current.activity == activity, !current.parked.isEmpty,
                let due = current.earliestDeadline
            else { return nil }
            state!.phase = .hibernating(dueAt: due)
            return due
        }
        guard let dueAt else {
            // Something moved; look again if the engine is still quiescent.
            if state.withLock({ $0?.isQuiescent ?? false }) { monitorSignal.signal() }
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
        state.withLock { state in
            state!.phase = .stopping
            if fenced { state!.fenced = true }
            if storageFailed { state!.storageFailed = true }
        }
    }

    /// Releases every parked branch with the unwind error of the current phase.
    func unwindParked() {
        let (tickets, reason) = state.withLock { state in
            (state!.takeParkedTickets(), state!.unwindReason)
        }
        for ticket in tickets { ticket.settle(.failure(EngineUnwind(reason: reason))) }
    }
}
