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

    /// The name tenant code and the stored error see.
    public static let errorName = "WaitForEventTimeoutError"

    public var description: String {
        "waitForEvent \"\(stepName)-\(count)\" timed out waiting for an event of type \"\(eventType)\""
    }
}
