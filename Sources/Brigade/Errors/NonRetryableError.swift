/// Throw from a step body to fail the step at once, without further attempts.
///
/// The step is stored as failed and ``StepFailedError`` (with `isNonRetryable == true`) is thrown
/// from `step.do`, now and on every replay. Catch it in `run` to continue; leave it uncaught and
/// the instance ends `errored`.
public struct NonRetryableError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The error name recorded with the failure. Defaults to `NonRetryableError`.
    public var name: String

    public init(_ message: String, name: String = "NonRetryableError") {
        self.message = message
        self.name = name
    }

    public var description: String { "\(name): \(message)" }
}
