/// How an instance's rollbacks went (contract §2.4's `rollback`): read from its rollback
/// records, so the journal is the one source of it.
public struct RollbackOutcome: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Every rollback of the chain completed.
        case complete
        /// A rollback failed for good: the chain stopped there.
        case failed
    }

    public var outcome: Outcome
    /// The failed rollback's error, when it failed.
    public var error: ErrorInfo?

    public init(outcome: Outcome, error: ErrorInfo? = nil) {
        self.outcome = outcome
        self.error = error
    }

    /// Whether an instance of `status` can have run rollbacks: it ended `errored` or
    /// `terminated` (a `complete` one never does), so its steps are worth reading for them.
    public static func mayHaveRun(for status: InstanceStatus) -> Bool {
        status == .errored || status == .terminated
    }

    /// The outcome of the rollbacks in `steps` once the instance has finished; nil when none
    /// ran, or it has not finished.
    public init?(status: InstanceStatus, steps: [StepRecord]) {
        guard Self.mayHaveRun(for: status) else { return nil }
        let rollbacks = steps.filter { $0.kind == .rollback }
        guard !rollbacks.isEmpty else { return nil }
        if let failed = rollbacks.first(where: { $0.status == .failed || $0.status == .timedOut }) {
            self.init(outcome: .failed, error: failed.error)
        } else if rollbacks.allSatisfy({ $0.status == .complete }) {
            self.init(outcome: .complete)
        } else {
            return nil
        }
    }
}
