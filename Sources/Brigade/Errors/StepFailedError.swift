/// Thrown by `step.do` when its step failed for good: retries exhausted, or a
/// ``NonRetryableError``.
///
/// The failure is stored, so the same error is thrown on every replay without running the body
/// again, and a `try/catch` around the step takes the same branch every time. Because a replay
/// cannot rebuild the original error value, the first execution throws this stored form too.
public struct StepFailedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The step's name, without the count suffix.
    public var stepName: String
    /// The count of that name (1-based).
    public var count: Int
    /// How many attempts ran.
    public var attempts: Int
    /// The name of the last attempt's error (its Swift type name, or a ``NonRetryableError``'s name).
    public var errorName: String
    /// The message of the last attempt's error.
    public var message: String
    /// Whether the step stopped because of a ``NonRetryableError``.
    public var isNonRetryable: Bool

    public init(stepName: String, count: Int, attempts: Int, errorName: String, message: String, isNonRetryable: Bool) {
        self.stepName = stepName
        self.count = count
        self.attempts = attempts
        self.errorName = errorName
        self.message = message
        self.isNonRetryable = isNonRetryable
    }

    public var description: String {
        "step \"\(stepName)-\(count)\" failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(errorName): \(message)"
    }
}
