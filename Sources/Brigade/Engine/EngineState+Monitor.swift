/// The monitor's decisions (``Engine/monitor()``): when the engine pauses, hibernates, drains or
/// stops, as mutations of its state that return what the engine then does outside the lock.
extension EngineState {
    /// What the monitor does when woken.
    enum MonitorAction: Equatable {
        case none
        /// A pause is pending and no step body runs: write `paused` (``beginPause()``).
        case pause
        /// Shutting down and no step body runs: the engine now stops; release the parked
        /// branches and leave the instance to the next start.
        case drain
        /// Every branch is parked: hibernate if nothing moves within the grace period
        /// (``beginHibernation(ifStill:)`` with this activity).
        case considerHibernation(activity: UInt64)
        /// Every branch is blocked, a new step held back, and a finished step of an earlier
        /// lifetime not reached again: `run` may no longer take the path it took. Confirm after
        /// a grace (``confirmNonDeterminism(ifStill:)`` with this activity).
        case considerNonDeterminism(activity: UInt64)
    }

    mutating func nextMonitorAction() -> MonitorAction {
        if draining && busy == 0 && !isUnwinding {
            phase = .stopping
            return .drain
        }
        if busy == 0, !held.isEmpty, !unreached.isEmpty, fatal == nil, !isUnwinding {
            return .considerNonDeterminism(activity: activity)
        }
        if phase == .pausing && busy == 0 { return .pause }
        if phase == .running && busy == 0 && !parked.isEmpty && fatal == nil {
            return .considerHibernation(activity: activity)
        }
        return .none
    }

    /// Takes the pending pause into effect: true when the engine now writes `paused` and
    /// unwinds; false when a step started meanwhile or the pause was cancelled.
    mutating func beginPause() -> Bool {
        guard phase == .pausing, busy == 0 else { return false }
        phase = .paused
        return true
    }

    /// The non-determinism error when nothing happened since `activity` and every branch is
    /// still blocked behind a finished step not reached again; nil when something moved.
    func confirmNonDeterminism(ifStill activity: UInt64) -> BrigadeError? {
        guard self.activity == activity, busy == 0, !held.isEmpty, fatal == nil, !isUnwinding, let expected = firstUnreached else {
            return nil
        }
        let reached = held.values.sorted { ($0.name, $0.count) < ($1.name, $1.count) }.first
        return .nonDeterministicReplay(expected: expected, reached: reached)
    }

    /// Pauses the engine for a non-deterministic replay (``BrigadeSettings/onNonDeterminism``):
    /// true when it now writes `paused` and unwinds.
    mutating func beginPauseForNonDeterminism() -> Bool {
        guard phase == .running || phase == .pausing else { return false }
        phase = .paused
        return true
    }

    /// Starts hibernating when nothing happened since `activity` and every branch is still
    /// parked: the time to wake at (the earliest parked deadline), or nil when something moved.
    mutating func beginHibernation(ifStill activity: UInt64) -> Int64? {
        guard phase == .running, busy == 0, fatal == nil, self.activity == activity, !parked.isEmpty, let due = earliestDeadline
        else { return nil }
        phase = .hibernating(dueAt: due)
        return due
    }

    /// A write of this lifetime failed: the lifetime ends, fenced (another engine owns the
    /// instance now) or for the store's failure (to run again once the store writes).
    mutating func stopAfterFailedWrite(fenced: Bool, storageFailed: Bool) {
        phase = .stopping
        if fenced { self.fenced = true }
        if storageFailed { self.storageFailed = true }
    }

    /// Every parked ticket, with the reason to fail them with outside the lock.
    mutating func unwind() -> (tickets: [ParkTicket], reason: EngineUnwind.Reason) {
        (takeParkedTickets(), unwindReason)
    }
}
