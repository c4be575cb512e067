import Foundation

/// Saga rollbacks (contract §1.12): when `run` fails, the rollbacks its steps registered run
/// last-started first, each a durable, retried pseudo-step; the chain halts at the first that
/// fails for good.
///
/// Nothing about the chain is stored but its steps' records: a lifetime that crashes or
/// hibernates mid-chain is claimed again, `run` replays to the same failure (its steps answer
/// from the journal) and registers the same rollbacks, and the rollbacks already done answer
/// from the journal too. Tenant JavaScript keeps its chain in the prelude, on the same
/// ``runRollback(of:count:config:body:)``.
extension Engine {
    /// After `run` threw `error`: runs the registered rollbacks. Returns once the chain ended
    /// (or when there was none to run); throws when the engine unwinds meanwhile.
    func rollBack(after error: any Error) async throws {
        if error is EngineUnwind || error is FencedWriteError { return }
        if error is CancellationError, Task.isCancelled { return }
        let chain: [(position: Int, rollback: RegisteredRollback?, step: StepIdentity)] = state.withLock { state in
            // A fatal condition (a sandbox limit, non-determinism, a bad argument) ends the
            // instance as it is: its code is not to be trusted with compensation.
            guard !state.isUnwinding, state.fatal == nil else { return [] }
            var chain = state.rollbacks.map { (position: $0.key, rollback: Optional($0.value), step: $0.value.step) }
            // A rollback an earlier lifetime started and did not finish, that this code no
            // longer registers: it cannot be finished, and the chain must not skip past it. (A
            // sandbox's chain, run by its runner before `run` failed here, leaves none behind
            // unless its code too stopped registering one.)
            for record in state.records.values where record.kind == .rollback && [.running, .retrying].contains(record.status) {
                let forward = StepIdentity(name: record.name, count: -record.count)
                guard let position = state.records[forward]?.position, state.rollbacks[position] == nil else { continue }
                chain.append((position: position, rollback: nil, step: forward))
            }
            return chain.sorted { $0.position > $1.position }
        }
        guard !chain.isEmpty else { return }
        let cause = ErrorInfo(error)
        for link in chain {
            guard let rollback = link.rollback else {
                try await failMissingRollback(of: link.step)
                return
            }
            let output: Data? = state.withLock { state in
                guard let forward = state.records[rollback.step], forward.status == .complete else { return nil }
                return forward.value
            }
            do {
                try await runRollback(of: rollback.step.name, count: rollback.step.count, config: rollback.config) { context in
                    try await rollback.handler(context, cause, output)
                    return Data("null".utf8)
                }
            } catch is StepFailedError {
                return
            }
        }
    }

    /// Records the rollback of `step` failed for good: an earlier lifetime started it, and the
    /// code no longer registers one for that step. The journal then says it failed, as any
    /// other failed rollback, and the chain stops there.
    func failMissingRollback(of step: StepIdentity) async throws {
        try await beginRollback()
        let now = clock.nowMilliseconds()
        guard var record = state.withLock({ $0.records[step.rollback] }) else { return }
        let error = ErrorInfo(
            name: "RollbackMissing",
            message:
                "The rollback of step \"\(step.name)-\(step.count)\" was under way, but the workflow's code no longer registers one for that step; the rollback chain stops here."
        )
        record.status = .failed
        record.error = error
        record.endedAt = now
        state.withLock { state in
            if state.rollbackFailure == nil { state.rollbackFailure = error }
        }
        try await commit(
            [record],
            history: [
                HistoryEntry(
                    .rollbackStepErrored, at: now, step: "\(step.name)-\(step.count)",
                    data: ["error": error.json])
            ], awaitCommit: true)
    }

    /// Marks the start of the rollback phase in this lifetime: status `rollingBack`, and
    /// `rollback_started` unless an earlier lifetime's rollbacks are in the journal already.
    func beginRollback() async throws {
        let (first, begunBefore) = state.withLock { state -> (Bool, Bool) in
            defer { state.rollingBack = true }
            return (!state.rollingBack, state.records.values.contains { $0.kind == .rollback })
        }
        guard first else { return }
        let now = clock.nowMilliseconds()
        var write = newWrite(now: now)
        // Due now, as a claim leaves it: if this engine dies, the sweep finds the instance again.
        write.update = InstanceUpdate(status: .rollingBack, dueAt: now)
        if !begunBefore { write.history = [HistoryEntry(.rollbackStarted, at: now)] }
        try await persistFromStep(write, awaitCommit: true)
    }

    /// The history that closes the rollback phase, if this lifetime had one.
    func rollbackClosingEntry(at now: Int64) -> HistoryEntry? {
        let (rollingBack, failure) = state.withLock { ($0.rollingBack, $0.rollbackFailure) }
        guard rollingBack else { return nil }
        guard let failure else { return HistoryEntry(.rollbackCompleted, at: now) }
        return HistoryEntry(
            .rollbackErrored, at: now, data: ["error": failure.json])
    }
}
