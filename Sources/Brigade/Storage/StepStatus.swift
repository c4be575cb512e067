import Foundation

/// The state of one step record.
public enum StepStatus: String, Sendable, Hashable, Codable {
    /// A `step.do` attempt is (or was, before a crash) executing.
    case running
    /// A `step.do` attempt failed; the next one is due at `deadline`.
    case retrying
    /// A sleep or an event wait is pending until `deadline`.
    case waiting
    /// Finished with a value.
    case complete
    /// A `step.do` failed for good (retries exhausted or non-retryable).
    case failed
    /// A `waitForEvent` timed out.
    case timedOut
}
