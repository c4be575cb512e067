/// The kind of a step. Part of a step's identity: (kind, name, count of that name).
public enum StepKind: String, Codable, Sendable, CaseIterable {
    /// `step.do`
    case `do`
    /// `step.sleep` and `step.sleepUntil`
    case sleep
    /// `step.waitForEvent`
    case waitForEvent
    /// The rollback of a `step.do` (saga compensation): a durable, retried pseudo-step that runs
    /// when `run` fails, recorded under its forward step's name with the count negated.
    case rollback
    /// `step.child`: a child workflow started by the step and waited for; its record waits until
    /// the child's outcome arrives, and stores it.
    case child
}
