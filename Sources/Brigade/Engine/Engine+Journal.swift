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
    /// finished in an earlier lifetime — the same count and non-determinism check as
    /// ``enterStep(_:_:count:)``, and the same answer as `runDo`/`runSleep`/`runWaitForEvent`
    /// (all four ask ``ReplayAnswer``), in one critical section.
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
        return state.withLock { $0.answerFromJournal(kind, name) }
    }
}
