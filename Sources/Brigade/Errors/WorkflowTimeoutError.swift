/// Recorded as an attempt's error when the attempt ran longer than the step's `timeout`.
public struct WorkflowTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public var description: String { "Execution timed out after \(milliseconds) ms" }
}
