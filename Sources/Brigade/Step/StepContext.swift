import Foundation

/// What a `step.do` body learns about its step: its name, the count of that name, the
/// attempt number and the resolved config.
public struct StepContext: Sendable {
    /// The step's name.
    public let name: String
    /// The 1-based count of this name in the run.
    public let count: Int
    /// The 1-based attempt number: 1 for the first try, 2 for the first retry.
    public let attempt: Int
    /// The resolved config (stored at first execution).
    public let config: StepConfig
}
