/// Throw from a step body to fail the step at once, without further attempts.
///
/// The step is stored as failed and ``StepFailedError`` (with `isNonRetryable == true`) is thrown
/// from `step.do`, now and on every replay. Catch it in `run` to continue; leave it uncaught and
/// the instance ends `errored`.
public struct NonRetryableError: StackTracedError, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The error name recorded with the failure. Defaults to `NonRetryableError`.
    public var name: String
    /// Where it was thrown, when the workflow's language gives a stack (JavaScript tenants do).
    public var stackTrace: String?

    public init(_ message: String, name: String = "NonRetryableError", stackTrace: String? = nil) {
        self.message = message
        self.name = name
        self.stackTrace = stackTrace
    }

    public var description: String { "\(name): \(message)" }
}
