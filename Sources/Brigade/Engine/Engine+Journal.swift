import Foundation

/// How a step that finished in an earlier lifetime answers when `run` reaches it again.
@_spi(Sandbox)
public enum JournaledOutcome: Sendable, Equatable {
    /// A `step.do`'s stored result or a delivered event (JSON); nil for a finished sleep.
    case value(Data?)
    /// A `step.do` that failed for good, or a wait that timed out: the error `run` sees.
    case failed(name: String, message: String, nonRetryable: Bool)
}

extension Engine {
    /// Answers a step call from the journal without suspending, when the step it reaches
    /// finished in an earlier lifetime — the same answer, occurrence count and
    /// non-determinism check as ``enterStep(_:_:occurrence:)`` followed by the replay branch of
    /// `runDo`/`runSleep`/`runWaitForEvent`, in one critical section.
    ///
    /// Returns nil, having changed nothing, whenever the slow path has more to say: the step has
    /// no finished record, its kind differs (the slow path reports the non-determinism), a
    /// pause or drain is pending (the slow path blocks), or the engine is unwinding or failed.
    /// Arguments are not validated again: they were when the step first ran.
    func answerFromJournal(_ kind: StepKind, _ name: String) -> JournaledOutcome? {
        // A journaled step's name passed validation when it was recorded, and of the rules only
        // the length comes from settings, which may have changed since: a name of no more bytes
        // than the limit has no more characters either, so the full check (a walk over the
        // name, on every step of every replay) is needed only past that.
        if name.utf8.count > settings.maxStepNameLength, (try? Validation.stepName(name, settings: settings)) == nil { return nil }
        return state.withLock { state -> JournaledOutcome? in
            // `fatal == nil` would copy the error out to compare it.
            guard case .none = state!.fatal, !state!.isUnwinding, state!.phase == .running, !state!.draining else { return nil }
            // Counted only once the journal answers (below): otherwise the slow path counts it.
            let count = state!.nextOccurrence(of: name)
            guard let record = state!.records[StepIdentity(name: name, count: count)], record.kind == kind else { return nil }
            let outcome: JournaledOutcome
            switch (kind, record.status) {
            case (.do, .complete), (.waitForEvent, .complete):
                outcome = .value(record.value ?? Data("null".utf8))
            case (.sleep, .complete):
                outcome = .value(nil)
            case (.do, .failed), (.do, .timedOut):
                outcome = .failed(
                    name: record.error?.name ?? "Error", message: record.error?.message ?? "", nonRetryable: record.nonRetryable)
            case (.waitForEvent, .failed), (.waitForEvent, .timedOut):
                let error = WaitForEventTimeoutError(stepName: name, count: count, eventType: record.eventType ?? "")
                outcome = .failed(name: "WaitForEventTimeoutError", message: error.description, nonRetryable: false)
            default:
                return nil
            }
            state!.counters[name] = count
            state!.activity += 1
            return outcome
        }
    }
}
