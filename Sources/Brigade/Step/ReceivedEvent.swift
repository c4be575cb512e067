import Foundation

/// An event delivered to `step.waitForEvent`.
public struct ReceivedEvent<Payload: Sendable>: Sendable {
    /// The event type it was sent with.
    public let type: String
    /// The decoded payload.
    public let payload: Payload
    /// When `sendEvent` accepted it.
    public let timestamp: Date
}
