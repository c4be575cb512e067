/// Thrown by `step.do` when its step failed for good: retries exhausted, or a
/// ``NonRetryableError``.
///
/// The failure is stored, so the same error is thrown on every replay without running the body
/// again, and a `try/catch` around the step takes the same branch every time. Because a replay
/// cannot rebuild the original error value, the first execution throws this stored form too.
public struct StepFailedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The step's name, without the occurrence suffix.
    public var stepName: String
    /// The occurrence of that name (1-based).
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

/// Recorded as an attempt's error when the attempt ran longer than the step's `timeout`.
public struct WorkflowTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public var description: String { "Execution timed out after \(milliseconds) ms" }
}

/// Thrown by `step.waitForEvent` when no matching event arrived before the timeout.
///
/// Catch it in `run` to continue without the event. The timeout is stored, so replays throw it
/// again at the same point.
public struct WaitForEventTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var stepName: String
    public var count: Int
    public var eventType: String

    public init(stepName: String, count: Int, eventType: String) {
        self.stepName = stepName
        self.count = count
        self.eventType = eventType
    }

    public var description: String {
        "waitForEvent \"\(stepName)-\(count)\" timed out waiting for an event of type \"\(eventType)\""
    }
}

/// The `{name, message}` form of an error, as stored with a failed step or an errored instance.
public struct ErrorInfo: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    /// Describes any Swift error in the stored form.
    public init(_ error: any Error) {
        switch error {
        case let error as NonRetryableError:
            self.init(name: error.name, message: error.message)
        case let error as BrigadeError:
            self.init(name: error.code.rawValue, message: error.message)
        case let error as StepFailedError:
            self.init(name: error.errorName, message: error.message)
        case let error as WaitForEventTimeoutError:
            self.init(name: "WaitForEventTimeoutError", message: error.description)
        case let error as WorkflowTimeoutError:
            self.init(name: "WorkflowTimeoutError", message: error.description)
        case let error as any NamedError:
            self.init(name: error.errorName, message: error.errorMessage)
        default:
            self.init(name: String(describing: type(of: error)), message: String(describing: error))
        }
    }

    public var description: String { "\(name): \(message)" }
}
