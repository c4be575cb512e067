import Foundation

/// A rollback a `step.do` call registered: the compensation of that step, run when `run` fails.
struct RegisteredRollback: Sendable {
    /// Runs the handler once: the rollback attempt's context (the forward step's name and count),
    /// the error `run` failed with, and the forward step's stored output (nil when it has none:
    /// it failed, or had not finished).
    typealias Handler = @Sendable (StepContext, ErrorInfo, Data?) async throws -> Void

    /// The forward step.
    var step: StepIdentity
    /// The rollback's own retries and timeout (the contract's defaults when nil).
    var config: StepConfig?
    var handler: Handler
}
