/// What a rollback handler receives (contract §1.12): the step it compensates, the error `run`
/// failed with, and that step's output.
public struct RollbackContext<Output: Sendable>: Sendable {
    /// The forward step's name and count, with the rollback's own attempt and config.
    public var step: StepContext
    /// The error that made `run` fail and the rollbacks run.
    public var error: ErrorInfo
    /// The forward step's stored output; nil when it failed or never finished.
    public var output: Output?
}
