import Foundation

/// Seams for tests (`BrigadeTesting`'s `WorkflowModifier`, Cloudflare's
/// `introspectWorkflowInstance(…).modify`): the engine asks them at each step of an instance, and
/// a nil or false answer leaves the step as it is. What a hook makes a step do is recorded as if
/// the step had done it — a mocked result is committed, a skipped sleep completes — so replay,
/// history and describe show what a test observes.
public protocol StepHooks: Sendable {
    /// Instead of running attempt `attempt` of the `step.do` `name`-`count`: its outcome.
    func attempt(_ name: String, count: Int, attempt: Int, of key: InstanceKey) -> StepAttemptOverride?
    /// Whether a failed attempt's retry waits no time.
    func skipsRetryDelay(of key: InstanceKey) -> Bool
    /// Whether the sleep `name`-`count` ends as soon as it starts.
    func skipsSleep(_ name: String, count: Int, of key: InstanceKey) -> Bool
    /// Instead of waiting for an event, for the wait `name`-`count` of `type`: its outcome.
    func event(_ name: String, count: Int, type: String, of key: InstanceKey) -> StepEventOverride?
}

/// What a test makes one attempt of a `step.do` do instead of running its body.
public enum StepAttemptOverride: Sendable {
    /// The body returned this JSON.
    case result(Data)
    /// The body threw this.
    case error(any Error)
    /// The attempt ran past its timeout.
    case timeout
}

/// What a test makes a `step.waitForEvent` receive instead of waiting.
public enum StepEventOverride: Sendable {
    /// An event of the wait's type with this JSON payload.
    case payload(Data)
    /// The wait times out at once.
    case timeout
}
